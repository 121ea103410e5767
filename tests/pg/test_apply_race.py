"""The same application form sent from several requests at once (a double click that reaches
several web processes, a retried request): real threads, real PostgreSQL, one application."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from capital.models import AuditEntry, Offer
from investors.models import Application
from shares.models import Holder
from tests import factories
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COPIES = 8
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


def logged_in_clients(user, count):
    clients = [Client() for _ in range(count)]
    for client in clients:
        client.force_login(user)
    return clients


def the_form_as_sent(client, offer, amount: str = "250") -> dict:
    page = client.get(reverse("invest:apply", kwargs={"offer_id": offer.pk})).content.decode()
    return {
        "form_token": TOKEN.search(page).group(1),
        "amount": amount,
        "payment_method": Application.PaymentMethod.BANK_TRANSFER,
        "kind": Holder.Kind.PERSON,
        "name": "Ada Lovelace",
        "postal_address": "4 Weir Terrace\nHebden Bridge HX7 8AB",
        "date_of_birth": "1985-12-10",
        "read_risk_warning": "on",
        "may_lose_money": "on",
        "withdrawals_can_be_suspended": "on",
    }


@pytest.mark.parametrize("already_a_holder", [False, True], ids=["first application", "existing holder"])
def test_one_form_sent_many_times_at_once_makes_exactly_one_application(already_a_holder):
    user = factories.UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    if already_a_holder:
        factories.HolderFactory(user=user, email=user.email)
    offer = factories.OpenOfferFactory()
    clients = logged_in_clients(user, COPIES)
    data = the_form_as_sent(clients[0], offer)
    url = reverse("invest:apply", kwargs={"offer_id": offer.pk})

    responses = run_concurrently(lambda client: client.post(url, data), clients)

    assert all(not isinstance(response, Exception) for response in responses), responses
    application = Application.objects.get()
    done = reverse("invest:done", kwargs={"reference": application.payment_reference})
    locations = sorted(response["Location"] for response in responses if response.status_code == 302)
    assert [response.status_code for response in responses] == [302] * COPIES
    assert locations == [done] + [f"{done}?resent=1"] * (COPIES - 1)
    assert Holder.objects.get().user == user
    assert (application.shares, application.holder.user) == (250, user)
    assert Offer.objects.get(pk=offer.pk).shares_reserved == 250
    assert application.form_token == data["form_token"]
    assert AuditEntry.objects.filter(action="application.made").count() == 1


def test_copies_of_a_form_that_takes_the_investors_whole_maximum_are_all_shown_the_one_application():
    """A copy that waited for the holder's lock while the first made the application is refused by
    the limit the first used up (its lock statement read the database from before): it is shown
    the first application, not a refusal."""
    user = factories.UserFactory(email="ada@example.org")
    factories.HolderFactory(user=user, email=user.email)
    offer = factories.OpenOfferFactory()
    clients = logged_in_clients(user, COPIES)
    data = the_form_as_sent(clients[0], offer, amount=str(offer.maximum_per_investor.amount))
    url = reverse("invest:apply", kwargs={"offer_id": offer.pk})

    responses = run_concurrently(lambda client: client.post(url, data), clients)

    assert all(not isinstance(response, Exception) for response in responses), responses
    application = Application.objects.get()
    done = reverse("invest:done", kwargs={"reference": application.payment_reference})
    assert [response.status_code for response in responses] == [302] * COPIES
    assert sorted(response["Location"] for response in responses) == [done] + [f"{done}?resent=1"] * (
        COPIES - 1
    )
    assert application.amount == offer.maximum_per_investor
