"""How much the application form asks of the database: an investor on the register opening the
form and sending it (the path an offer's rush takes), with every limit still refused."""

import re

import pytest
from django.urls import reverse

from capital.models import AuditEntry
from investors.applications.services import apply_for_shares
from investors.models import Application
from shares.models import Holder
from tests import factories

BANK = Application.PaymentMethod.BANK_TRANSFER
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
# Session, login, offer (with class and society), register record, the limits (one query).
GET_QUERIES = 5
# The first four reads again (the limits are counted once, under the lock, not before it as
# well); then, in the transaction (its start and end are two of these), the holder's lock (which
# also looks for an application this form's token made), the limits, the conditional UPDATE, the
# application and its audit entry. The receipt is queued once the transaction commits.
POST_QUERIES = 11


@pytest.fixture
def holder(db):
    user = factories.UserFactory(email="ada@example.org")
    return factories.HolderFactory(user=user, email=user.email)


@pytest.fixture
def signed_in(client, holder):
    client.force_login(holder.user)
    client.get("/")  # the first page after logging in: the session learns this is no board member
    return client


def apply_url(offer) -> str:
    return reverse("invest:apply", kwargs={"offer_id": offer.pk})


def answers(page: str, offer, amount: str = "250", **changes) -> dict:
    data = {
        "form_token": TOKEN.search(page).group(1),
        "amount": amount,
        "payment_method": BANK,
        "read_risk_warning": "on",
        "may_lose_money": "on",
        "withdrawals_can_be_suspended": "on" if offer.share_class.withdrawable else None,
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_opening_and_sending_the_form_takes_few_queries(
    signed_in, holder, open_offer, django_assert_max_num_queries
):
    assert open_offer.share_class.withdrawable  # the statutory limit is counted too
    signed_in.get(apply_url(open_offer))  # whatever a process loads once is loaded
    with django_assert_max_num_queries(GET_QUERIES):
        page = signed_in.get(apply_url(open_offer)).content.decode()
    with django_assert_max_num_queries(POST_QUERIES):
        response = signed_in.post(apply_url(open_offer), answers(page, open_offer))
    assert response.status_code == 302
    application = Application.objects.get()
    assert (application.holder, application.shares) == (holder, 250)
    assert application.form_token and application.form_token in page
    assert AuditEntry.objects.filter(action="application.made").count() == 1


def test_a_form_with_no_other_error_is_refused_its_limit_under_the_lock(signed_in, holder, open_offer):
    """The limits are counted once, by the locked path, and refused beside the amount as before."""
    apply_for_shares(offer=open_offer, holder=holder, payment_method=BANK, shares=1900)
    page = signed_in.get(apply_url(open_offer)).content.decode()
    response = signed_in.post(apply_url(open_offer), answers(page, open_offer, amount="250"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "The maximum investment in this offer is £2,000.00 per investor" in errors["amount"][0]
    assert Application.objects.count() == 1
    assert Application.objects.get().form_token == ""  # made by the service, not by this form


def test_a_form_with_another_error_shows_the_limit_in_the_same_round(signed_in, holder, open_offer):
    apply_for_shares(offer=open_offer, holder=holder, payment_method=BANK, shares=1900)
    page = signed_in.get(apply_url(open_offer)).content.decode()
    response = signed_in.post(
        apply_url(open_offer), answers(page, open_offer, amount="250", may_lose_money=None)
    )
    errors = response.context["form"].errors
    assert "per investor" in errors["amount"][0]
    assert "could lose the money" in errors["may_lose_money"][0]
    assert Application.objects.count() == 1


def test_the_statutory_limit_counts_withdrawable_holdings_and_applications_across_the_society(
    signed_in, holder, society, open_offer
):
    """The limits' one query, counted as the law counts: paid-up withdrawable capital in every class
    of the society, and unpaid or paid applications for any of its withdrawable shares."""
    from decimal import Decimal

    from capital.models import Society

    Society.objects.filter(pk=society.pk).update(individual_withdrawable_limit=Decimal("1000.00"))
    other_class = factories.CommunityClassFactory(society=society, name="Other community shares")
    other_offer = factories.OpenOfferFactory(share_class=other_class)
    apply_for_shares(offer=other_offer, holder=holder, payment_method=BANK, shares=800)
    elsewhere = factories.OpenOfferFactory()  # another society's shares do not count
    apply_for_shares(offer=elsewhere, holder=holder, payment_method=BANK, shares=900)
    page = signed_in.get(apply_url(open_offer)).content.decode()
    response = signed_in.post(apply_url(open_offer), answers(page, open_offer, amount="250"))
    assert (
        "The law limits anyone but a registered society to £1,000.00"
        in response.context["form"].errors["amount"][0]
    )
    page = signed_in.get(apply_url(open_offer)).content.decode()
    response = signed_in.post(apply_url(open_offer), answers(page, open_offer, amount="200"))
    assert response.status_code == 302
    assert Holder.objects.count() == 1
