"""The application form behind an offer's "Invest" button, through the test client."""

import datetime
import importlib
import re
from html import unescape
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import IntegrityError, connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capital.models import AuditEntry, Offer, Society
from investors.applications.forms import AlreadySent, ApplicationForm
from investors.applications.services import apply_for_shares
from investors.models import Application
from shares.models import Holder
from shares.services.register import issue_shares
from tests import factories
from tests.factories import gbp

BANK = Application.PaymentMethod.BANK_TRANSFER
CARD = Application.PaymentMethod.CARD
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
form_tokens = importlib.import_module("investors.migrations.0021_application_form_token")


@pytest.fixture
def user(db):
    return factories.UserFactory(first_name="Ada", last_name="Lovelace", email="ada@example.org")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def cards_configured(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_commonshare"


def apply_url(offer) -> str:
    return reverse("invest:apply", kwargs={"offer_id": offer.pk})


def fresh_token(client, offer) -> str:
    response = client.get(apply_url(offer))
    assert response.status_code == 200
    return TOKEN.search(response.content.decode()).group(1)


def answers(client, offer, **changes) -> dict:
    """What a person applying for £250 by bank transfer types, with a token from a fresh form."""
    data = {
        "form_token": fresh_token(client, offer),
        "amount": "250",
        "payment_method": BANK,
        "kind": Holder.Kind.PERSON,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "postal_address": "4 Weir Terrace\nHebden Bridge HX7 8AB",
        "date_of_birth": "1985-12-10",
        "read_risk_warning": "on",
        "may_lose_money": "on",
    }
    if offer.share_class.withdrawable:
        data["withdrawals_can_be_suspended"] = "on"
    if offer.share_class.is_investor_class:
        data["no_control"] = "on"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def field_error(response, name: str) -> str:
    """The error shown beside a field, if its input (or its radio group) points at it with
    aria-describedby; otherwise nothing."""
    page = response.content.decode()
    match = re.search(rf'<ul class="[^"]*" id="id_{name}_error">(.*?)</ul>', page, re.S)
    if not match or not re.search(rf'aria-describedby="[^"]*\bid_{name}_error\b', page):
        return ""
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def top_errors(response) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', response.content.decode(), re.S)
    return unescape(re.sub(r"<[^>]+>", " ", match.group(0))) if match else ""


def nothing_created():
    return (
        not Holder.objects.exists()
        and not Application.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="application.").exists()
    )


# --- Getting to the form ------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_log_in_and_brought_back(client, open_offer):
    response = client.get(apply_url(open_offer))
    assert response.status_code == 302
    login = resolve_url(django_settings.LOGIN_URL)
    assert response.url == f"{login}?{urlencode({'next': apply_url(open_offer)}, safe='/')}"


def test_form_shows_the_offer_its_price_limits_and_what_is_left_for_this_investor(
    signed_in, user, open_offer
):
    holder = factories.HolderFactory(user=user)
    apply_for_shares(offer=open_offer, holder=holder, payment_method=BANK, shares=500)
    response = signed_in.get(apply_url(open_offer))
    page = response.content.decode()
    assert open_offer.title in page
    assert "Price per share</dt><dd>£1.00" in page
    assert "Minimum per investor</dt><dd>£10.00" in page and "Maximum per investor</dt><dd>£2,000.00" in page
    assert "You have applied for 500 shares (£500.00)" in page
    assert "You may apply for up to <strong>£1,500.00</strong> more (1500 shares)" in page


def test_room_left_is_worked_out_by_the_services_own_checks(signed_in, user, society):
    """A class maximum the offer's own limits know nothing about still lowers what is shown."""
    share_class = factories.CommunityClassFactory(society=society, maximum_holding_shares=700)
    offer = factories.OpenOfferFactory(share_class=share_class)
    holder = factories.HolderFactory(user=user)
    apply_for_shares(offer=offer, holder=holder, payment_method=BANK, shares=400)
    with CaptureQueriesContext(connection) as queries:
        page = signed_in.get(apply_url(offer)).content.decode()
    assert "You may apply for up to <strong>£300.00</strong> more (300 shares)" in page
    assert len(queries) < 80


def test_investor_at_their_maximum_is_told_why_they_cannot_apply_for_more(signed_in, user, open_offer):
    holder = factories.HolderFactory(user=user)
    apply_for_shares(offer=open_offer, holder=holder, payment_method=BANK, shares=2000)
    page = unescape(signed_in.get(apply_url(open_offer)).content.decode())
    assert "You cannot apply for more in this offer." in page
    assert "you can apply for up to £0.00 more" in page


def test_new_investor_gets_their_name_and_email_from_their_login(signed_in, open_offer):
    form = signed_in.get(apply_url(open_offer)).context["form"]
    assert (form["name"].value(), form["email"].value()) == ("Ada Lovelace", "ada@example.org")
    assert not form.fields["name"].disabled


def test_unknown_or_draft_offer_is_not_found(signed_in, community_class):
    draft = factories.OpenOfferFactory(share_class=community_class, state=Offer.State.DRAFT)
    assert signed_in.get(reverse("invest:apply", kwargs={"offer_id": 999999})).status_code == 404
    assert signed_in.get(apply_url(draft)).status_code == 404


def test_closed_offer_says_it_is_not_open_and_takes_no_application(signed_in, community_class, user):
    offer = factories.OpenOfferFactory(share_class=community_class, state=Offer.State.CLOSED)
    response = signed_in.get(apply_url(offer))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This offer is not open for applications" in page
    assert "it has closed" in page and "No more applications can be made." in page
    posted = signed_in.post(apply_url(offer), {"amount": "250", "payment_method": BANK})
    assert "This offer is not open for applications" in posted.content.decode()
    assert nothing_created()


def test_offer_not_yet_open_says_when_it_opens(signed_in, community_class):
    opens = timezone.now() + datetime.timedelta(days=3)
    offer = factories.OpenOfferFactory(share_class=community_class, opens_at=opens)
    page = signed_in.get(apply_url(offer)).content.decode()
    assert "This offer is not open for applications" in page
    assert f"it opens on {timezone.localtime(opens):%-d %B %Y}" in page


# --- Applying -------------------------------------------------------------------------------------


def test_bank_transfer_application_shows_the_reference_amount_and_deadline(signed_in, user, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer))
    application = Application.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("invest:done", kwargs={"reference": application.payment_reference})
    assert (application.shares, application.amount, application.payment_method) == (250, gbp(250), BANK)
    holder = application.holder
    assert holder.user == user and holder.name == "Ada Lovelace"
    assert holder.date_of_birth == datetime.date(1985, 12, 10)
    assert holder.postal_address == "4 Weir Terrace\nHebden Bridge HX7 8AB"

    page = signed_in.get(response.url).content.decode()
    assert "Next: pay by bank transfer" in page
    assert f'<strong class="reference">{application.payment_reference}</strong>' in page
    assert "Send exactly <strong>£250.00</strong>" in page
    deadline = timezone.localtime(application.reserved_until)
    assert f"Pay by</dt><dd>{deadline:%-d %B %Y, %H:%M}" in page
    assert open_offer.society.registered_office in page  # where to ask for bank details
    assert "payments/" not in page

    Society.objects.filter(pk=open_offer.society.pk).update(
        bank_account_name="Valley Energy", bank_sort_code="089299", bank_account_number="65471234"
    )
    page = signed_in.get(response.url).content.decode()
    for detail in ("<dt>Sort code</dt><dd>089299</dd>", "<dt>Account number</dt><dd>65471234</dd>"):
        assert detail in page
    assert "in its offer document" not in page


def test_card_application_leads_to_the_card_payment_page(signed_in, open_offer, stripe_server):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, payment_method=CARD))
    application = Application.objects.get()
    assert application.payment_method == CARD
    page = signed_in.get(response.url).content.decode()
    card_url = reverse("payments:card", kwargs={"reference": application.payment_reference})
    assert f'<a href="{card_url}">Pay £250.00 by card</a>' in page
    card_page = signed_in.get(card_url).content.decode()
    assert 'id="card-form"' in card_page and "Pay £250.00 by card" in card_page


def test_card_is_not_offered_where_card_payment_is_not_configured(signed_in, open_offer, settings):
    settings.STRIPE_SECRET_KEY = ""
    form = signed_in.get(apply_url(open_offer)).context["form"]
    assert [value for value, _ in form.fields["payment_method"].choices] == [BANK]
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, payment_method=CARD))
    assert "Choose how you will pay." in field_error(response, "payment_method")
    assert nothing_created()


def test_existing_holder_is_used_with_their_register_details(signed_in, user, open_offer):
    holder = factories.HolderFactory(user=user, name="Ada King")
    response = signed_in.get(apply_url(open_offer))
    form = response.context["form"]
    assert form["name"].value() == "Ada King" and form.fields["name"].disabled
    details = re.search(r'<dl class="terms" id="holder-details">.*?</dl>', response.content.decode(), re.S)
    assert "<dd>Ada King</dd>" in details.group(0) and "<dd>17 May 1980</dd>" in details.group(0)
    assert 'name="name"' not in response.content.decode()
    data = answers(signed_in, open_offer, name="Someone Else", date_of_birth=None)
    response = signed_in.post(apply_url(open_offer), data)
    assert response.status_code == 302
    assert Application.objects.get().holder == holder
    assert Holder.objects.get().name == "Ada King"


def test_another_users_holder_is_never_reused(signed_in, user, open_offer):
    theirs = factories.HolderFactory(
        user=factories.UserFactory(), email="ada@example.org", name="Ada Lovelace"
    )
    data = answers(signed_in, open_offer, holder=theirs.pk, holder_id=theirs.pk)
    signed_in.post(apply_url(open_offer), data)
    application = Application.objects.get()
    assert application.holder != theirs and application.holder.user == user
    assert not theirs.applications.exists()


def test_confirmation_page_is_only_for_the_applicant(signed_in, open_offer):
    stranger = factories.HolderFactory(user=factories.UserFactory())
    theirs = apply_for_shares(offer=open_offer, holder=stranger, payment_method=BANK, shares=50)
    url = reverse("invest:done", kwargs={"reference": theirs.payment_reference})
    assert signed_in.get(url).status_code == 404


def test_organisation_applies_with_its_registration_number(signed_in, user, open_offer):
    data = answers(
        signed_in,
        open_offer,
        kind=Holder.Kind.ORGANISATION,
        name="Calder Housing Co-operative Ltd",
        organisation_number="RS004417",
    )
    signed_in.post(apply_url(open_offer), data)
    holder = Application.objects.get().holder
    assert (holder.kind, holder.organisation_number, holder.is_registered_society) == (
        Holder.Kind.ORGANISATION,
        "RS004417",
        False,
    )
    assert holder.date_of_birth is None


def test_nobody_can_declare_themselves_a_registered_society_to_pass_the_legal_limit(
    signed_in, community_class
):
    """The law lets only a registered society hold more than £100,000 of withdrawable shares; only
    the board can record a holder as one, so a box ticked on the public form changes nothing."""
    offer = factories.OpenOfferFactory(
        share_class=community_class, maximum_target=gbp(500000), maximum_per_investor=gbp(200000)
    )
    page = signed_in.get(apply_url(offer)).content.decode()
    assert "is_registered_society" not in page
    assert "should contact the board of" in re.sub(r"\s+", " ", page)
    organisation = {
        "kind": Holder.Kind.ORGANISATION,
        "name": "Calder Housing Co-operative Ltd",
        "organisation_number": "RS004417",
        "is_registered_society": "on",
    }
    response = signed_in.post(apply_url(offer), answers(signed_in, offer, amount="100,001", **organisation))
    assert "The law limits anyone but a registered society to £100,000.00" in field_error(response, "amount")
    assert nothing_created()

    signed_in.post(apply_url(offer), answers(signed_in, offer, amount="100,000", **organisation))
    holder = Application.objects.get().holder
    assert holder.kind == Holder.Kind.ORGANISATION and not holder.is_registered_society
    assert not holder.is_exempt_from_holding_limit_in(offer.society)


def test_someone_the_board_registered_applies_as_that_record_not_as_a_second_holder(
    signed_in, user, open_offer
):
    registered = factories.HolderFactory(email="Ada@Example.org", name="Ada King")
    issue_shares(
        society=open_offer.society,
        holder=registered,
        share_class=open_offer.share_class,
        shares=40,
        amount=gbp(40),
    )
    response = signed_in.get(apply_url(open_offer))
    assert response.context["holder"] == registered
    assert "<dd>Ada King</dd>" in response.content.decode()
    signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, name="Ada Lovelace"))
    application = Application.objects.get()
    assert application.holder == registered and Holder.objects.count() == 1
    registered.refresh_from_db()
    assert registered.user == user and registered.name == "Ada King"
    assert AuditEntry.objects.filter(action="holder.account_linked").exists()


def test_the_email_address_is_the_logins_verified_one_whatever_is_sent(signed_in, user, open_offer):
    form = signed_in.get(apply_url(open_offer)).context["form"]
    assert form.fields["email"].disabled and form["email"].value() == "ada@example.org"
    signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, email="someone.else@example.org"))
    assert Application.objects.get().holder.email == "ada@example.org"


def test_an_account_without_an_email_address_is_asked_to_add_one(client, open_offer):
    board_member = factories.UserFactory(email="")
    client.force_login(board_member)
    response = client.post(apply_url(open_offer), answers(client, open_offer))
    assert "Your account has no email address yet" in top_errors(response)
    assert nothing_created()


# --- Refusals: beside the right field, nothing lost, nothing created ------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("5", "The minimum investment in this offer is £10.00."),
        ("2,500", "The maximum investment in this offer is £2,000.00 per investor; you can apply for up to"),
        ("abc", "Enter an amount in GBP as a number"),
        ("0", "Enter an amount of more than zero."),
    ],
)
def test_amount_refusals_appear_beside_the_amount(signed_in, open_offer, amount, message):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, amount=amount))
    assert response.status_code == 200
    assert message in field_error(response, "amount")
    assert message in top_errors(response)
    assert nothing_created()  # not even the holder made before the service refused


def test_amount_that_is_not_whole_shares_suggests_the_nearest_amounts(signed_in, community_class):
    offer = factories.OpenOfferFactory(share_class=community_class, price_per_share=gbp(5))
    response = signed_in.post(apply_url(offer), answers(signed_in, offer, amount="£52"))
    assert "£52.00 is not a whole number of £5.00 shares: try £50.00 or £55.00." in field_error(
        response, "amount"
    )
    assert nothing_created()


def test_amount_field_points_at_its_error(signed_in, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, amount="5"))
    page = response.content.decode()
    amount_input = re.search(r'<input[^>]*name="amount"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in amount_input
    assert 'aria-describedby="id_amount_helptext id_amount_error"' in amount_input
    assert '<a href="#id_amount">' in page
    assert response.context["form"]["amount"].value() == "5"


def test_missing_acknowledgement_is_flagged_on_its_checkbox(signed_in, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, may_lose_money=None))
    assert "Confirm that you understand you could lose the money you invest." in field_error(
        response, "may_lose_money"
    )
    assert '<a href="#id_may_lose_money">' in response.content.decode()
    assert nothing_created()


def test_investor_class_asks_to_acknowledge_no_vote_and_no_control(signed_in, investor_class):
    offer = factories.OpenOfferFactory(share_class=investor_class)
    response = signed_in.post(apply_url(offer), answers(signed_in, offer, no_control=None))
    assert "carry no vote or control" in field_error(response, "no_control")
    assert "withdrawals_can_be_suspended" not in response.context["form"].fields
    assert nothing_created()


def test_withdrawable_class_asks_to_acknowledge_withdrawals_can_be_suspended(signed_in, open_offer):
    response = signed_in.post(
        apply_url(open_offer), answers(signed_in, open_offer, withdrawals_can_be_suspended=None)
    )
    assert "withdrawals can be suspended" in field_error(response, "withdrawals_can_be_suspended")
    assert "no_control" not in response.context["form"].fields
    assert nothing_created()


def test_person_needs_a_date_of_birth(signed_in, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, date_of_birth=""))
    assert "Enter your date of birth" in field_error(response, "date_of_birth")
    assert '<a href="#id_date_of_birth">' in response.content.decode()
    assert nothing_created()


def test_organisation_needs_its_registration_number(signed_in, open_offer):
    data = answers(signed_in, open_offer, kind=Holder.Kind.ORGANISATION, name="Calder Housing Co-operative")
    response = signed_in.post(apply_url(open_offer), data)
    assert "Enter the organisation's registration number." in field_error(response, "organisation_number")
    assert nothing_created()


def test_radio_group_errors_are_described_on_the_fieldset(signed_in, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, payment_method=None))
    page = response.content.decode()
    assert '<fieldset class="field field--error" aria-describedby="id_payment_method_error">' in page
    assert '<a href="#id_payment_method_0">Choose how you will pay.</a>' in page


def test_what_was_typed_is_kept_after_a_refusal(signed_in, open_offer):
    data = answers(signed_in, open_offer, amount="2,500", payment_method=BANK, read_risk_warning=None)
    response = signed_in.post(apply_url(open_offer), data)
    form = response.context["form"]
    assert response.status_code == 200
    assert form["amount"].value() == "2,500"
    assert form["name"].value() == "Ada Lovelace"
    assert form["postal_address"].value() == "4 Weir Terrace\nHebden Bridge HX7 8AB"
    assert form["date_of_birth"].value() == "1985-12-10"
    assert form["may_lose_money"].value() is True
    page = response.content.decode()
    assert 'value="2,500"' in page and 'value="1985-12-10"' in page
    assert re.search(r'<input type="radio" name="payment_method" value="bank_transfer"[^>]*checked', page)
    assert f'name="form_token" value="{data["form_token"]}"' in page  # the same form, sent again later
    assert nothing_created()


def filled_form(offer, user, token="a" * 32) -> ApplicationForm:
    """The form as a new investor sent it, built before anything else happened."""
    data = {
        "form_token": token,
        "amount": "250",
        "payment_method": BANK,
        "kind": Holder.Kind.PERSON,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "postal_address": "4 Weir Terrace\nHebden Bridge HX7 8AB",
        "date_of_birth": "1985-12-10",
        "read_risk_warning": "on",
        "may_lose_money": "on",
        "withdrawals_can_be_suspended": "on",
    }
    form = ApplicationForm(data, offer=offer, holder=None, user=user)
    assert form.is_valid(), form.errors
    return form


def test_offer_closing_under_the_form_is_a_form_error_at_the_top(open_offer, user):
    form = filled_form(open_offer, user)
    Offer.objects.filter(pk=open_offer.pk).update(state=Offer.State.CLOSED)
    assert form.submit(user=user) is None
    assert form.non_field_errors() == [f"The offer “{open_offer.title}” is not open for applications."]
    assert not form.errors.get("amount")
    assert nothing_created()


def test_a_tampered_form_token_is_refused_and_replaced(signed_in, open_offer):
    response = signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, form_token="x"))
    assert "This form had expired" in top_errors(response)
    assert TOKEN.search(response.content.decode()).group(1) != "x"
    assert nothing_created()


# --- Double submits -------------------------------------------------------------------------------


def test_the_same_form_sent_twice_makes_one_application(signed_in, open_offer):
    data = answers(signed_in, open_offer)
    first = signed_in.post(apply_url(open_offer), data)
    second = signed_in.post(apply_url(open_offer), data)
    application = Application.objects.get()
    assert Holder.objects.count() == 1
    assert first.url == reverse("invest:done", kwargs={"reference": application.payment_reference})
    assert second.url == first.url + "?resent=1"
    assert "You had already sent this form" in signed_in.get(second.url).content.decode()
    assert Offer.objects.get(pk=open_offer.pk).shares_reserved == 250


def test_the_same_form_sent_twice_by_an_existing_holder_makes_one_application(signed_in, user, open_offer):
    factories.HolderFactory(user=user)
    data = answers(signed_in, open_offer)
    signed_in.post(apply_url(open_offer), data)
    second = signed_in.post(apply_url(open_offer), data)
    assert Application.objects.count() == 1
    assert second.url.endswith("?resent=1")


def test_a_form_sent_again_is_shown_its_application_even_where_a_new_one_would_be_refused(
    signed_in, user, open_offer
):
    """The token is looked for with the holder's lock, before any limit: the investor who reached
    the offer's maximum with this very form is told it was sent, not that they are over it."""
    factories.HolderFactory(user=user)
    most = str(open_offer.maximum_per_investor.amount)
    data = answers(signed_in, open_offer, amount=most)
    first = signed_in.post(apply_url(open_offer), data)
    second = signed_in.post(apply_url(open_offer), data)
    assert second.status_code == 302 and second.url == first.url + "?resent=1"
    assert Application.objects.get().form_token == data["form_token"]


def test_the_database_keeps_one_application_per_form_token(open_offer, user):
    holder = factories.HolderFactory(user=user)
    first, second = (
        apply_for_shares(offer=open_offer, holder=holder, payment_method=BANK, shares=10) for _ in range(2)
    )
    Application.objects.filter(pk=first.pk).update(form_token="t" * 32)
    with pytest.raises(IntegrityError):
        Application.objects.filter(pk=second.pk).update(form_token="t" * 32)


def test_a_form_recorded_before_tokens_were_kept_on_applications_is_still_sent_once(
    signed_in, user, open_offer
):
    """Migration 0021 copies each token from the audit entry it was kept in before."""
    factories.HolderFactory(user=user)
    data = answers(signed_in, open_offer)
    first = signed_in.post(apply_url(open_offer), data)
    application = Application.objects.get()
    Application.objects.update(form_token="")  # as it was made before this release
    AuditEntry.objects.create(
        society=open_offer.society,
        actor=user,
        action="application.form_sent",
        summary=f"Application form sent for {application.payment_reference}",
        data={"form_token": data["form_token"], "application": application.pk},
    )

    form_tokens.copy_tokens_from_the_audit_trail(apps, SimpleNamespace(connection=connection))

    second = signed_in.post(apply_url(open_offer), data)
    assert second.url == first.url + "?resent=1"
    assert Application.objects.count() == 1


def test_a_first_application_sent_twice_at_once_makes_one_holder_and_one_application(open_offer, user):
    """Both copies were read before either was saved: the second finds the holder taken."""
    first, second = filled_form(open_offer, user), filled_form(open_offer, user)
    application = first.submit(user=user)
    with pytest.raises(AlreadySent) as repeat:
        second.submit(user=user)
    assert repeat.value.application == application
    assert Holder.objects.count() == 1 and Application.objects.count() == 1


def test_two_first_applications_from_two_windows_at_once_ask_to_check_and_send_again(open_offer, user):
    filled_form(open_offer, user, token="a" * 32).submit(user=user)
    other_window = filled_form(open_offer, user, token="b" * 32)
    assert other_window.submit(user=user) is None
    assert "saved from another window" in other_window.non_field_errors()[0]
    assert Holder.objects.count() == 1 and Application.objects.count() == 1


def test_a_second_application_from_a_fresh_form_goes_through(signed_in, open_offer):
    signed_in.post(apply_url(open_offer), answers(signed_in, open_offer))
    signed_in.post(apply_url(open_offer), answers(signed_in, open_offer, amount="100"))
    assert sorted(Application.objects.values_list("shares", flat=True)) == [100, 250]
    assert Holder.objects.count() == 1


# --- Details checked, all in the first round ----------------------------------------------------


def test_every_error_shows_in_the_first_round_the_amounts_limit_beside_the_others(signed_in, open_offer):
    too_young = timezone.localdate().replace(year=timezone.localdate().year - 10)
    response = signed_in.post(
        apply_url(open_offer),
        answers(
            signed_in,
            open_offer,
            amount="2,500",
            postal_address="somewhere",
            date_of_birth=too_young.isoformat(),
            may_lose_money=None,
        ),
    )
    assert "The maximum investment in this offer is £2,000.00 per investor" in field_error(response, "amount")
    assert "Enter the full postal address" in field_error(response, "postal_address")
    assert "aged 16 or over" in field_error(response, "date_of_birth")
    assert "Confirm that you understand you could lose" in field_error(response, "may_lose_money")
    assert nothing_created()


def test_a_society_sets_the_minimum_age_of_its_members(signed_in, open_offer):
    Society.objects.filter(pk=open_offer.society.pk).update(minimum_member_age=18)
    today = timezone.localdate()
    seventeen = today.replace(year=today.year - 17)
    response = signed_in.post(
        apply_url(open_offer), answers(signed_in, open_offer, date_of_birth=seventeen.isoformat())
    )
    assert f"{open_offer.society.name} takes applications from people aged 18 or over" in field_error(
        response, "date_of_birth"
    )
    eighteen = today.replace(year=today.year - 18)
    response = signed_in.post(
        apply_url(open_offer), answers(signed_in, open_offer, date_of_birth=eighteen.isoformat())
    )
    assert response.status_code == 302
    assert Holder.objects.get().date_of_birth == eighteen


def test_a_uk_postcode_is_checked_and_written_the_royal_mail_way(signed_in, open_offer):
    bad = signed_in.post(
        apply_url(open_offer),
        answers(signed_in, open_offer, postal_address="4 Weir Terrace\nHebden Bridge", postcode="HX7 ZZZ"),
    )
    assert "Enter a real UK postcode" in field_error(bad, "postcode")
    assert nothing_created()
    missing = signed_in.post(
        apply_url(open_offer), answers(signed_in, open_offer, postal_address="4 Weir Terrace\nHebden Bridge")
    )
    assert "Enter the postcode." in field_error(missing, "postcode")

    good = signed_in.post(
        apply_url(open_offer),
        answers(signed_in, open_offer, postal_address="4 Weir Terrace,\nHebden Bridge", postcode=" hx78ab "),
    )
    assert good.status_code == 302
    assert Holder.objects.get().postal_address == "4 Weir Terrace\nHebden Bridge\nHX7 8AB"


def test_an_address_abroad_needs_no_uk_postcode(signed_in, open_offer):
    response = signed_in.post(
        apply_url(open_offer),
        answers(
            signed_in, open_offer, postal_address="12 Rue des Lilas\n75011 Paris\nFrance", country="elsewhere"
        ),
    )
    assert response.status_code == 302
    assert Holder.objects.get().postal_address == "12 Rue des Lilas\n75011 Paris\nFrance"
