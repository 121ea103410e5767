"""Paying an application by card in a real browser, against localstripe's stand-in Stripe.js.

localstripe's card element is five plain inputs (number, exp_month, exp_year, cvc, postal_code)
and its 3-D Secure challenge is a modal with two buttons, so a browser can drive both.
"""

import pytest
from playwright.sync_api import Page, expect

from investors.models import Application, CardPayment, Payment
from tests import factories
from tests.browser.helpers import check_accessibility, screenshot
from tests.builders import unpaid_application
from tests.factories import gbp
from tests.stripe_server import CARDS

State = Application.State
PAID_MESSAGE = "Thank you: your payment has been received."
FAILED_AUTHENTICATION = "The provided PaymentMethod has failed authentication."  # Stripe's own words


@pytest.fixture
def application(live_site, stripe_server, open_offer, page):
    """250 £1 shares awaiting payment by card, and the browser logged in as their applicant."""
    user = factories.UserFactory()
    application = unpaid_application(
        offer=open_offer, shares=250, holder=factories.HolderFactory(user=user), method="card"
    )
    live_site.log_in(page.context, user)
    return application


def open_card_page(page: Page, application: Application) -> None:
    page.goto(f"/payments/{application.payment_reference}/card/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay £250.00 by card")


def pay_with(page: Page, card_number: str) -> None:
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(card_number)
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("HX7 8AA")
    page.get_by_role("button", name="Pay £250.00").click()


def complete_authentication(page: Page) -> None:
    """Answer localstripe's 3-D Secure modal as the cardholder would."""
    expect(page.get_by_text("3D Secure")).to_be_visible()
    page.get_by_role("button", name="Complete authentication").click()


def test_a_good_card_pays_the_application_in_the_browser(page, application):
    open_card_page(page, application)
    check_accessibility(page, exclude=("#card-element",))
    pay_with(page, CARDS["ok"])

    expect(page.locator("#card-message")).to_have_text(PAID_MESSAGE)
    expect(page.get_by_role("button", name="Pay £250.00")).to_be_disabled()
    screenshot(page, "card-payment-paid")
    application.refresh_from_db()
    assert application.state == State.PAID
    payment = Payment.objects.get(application=application)
    assert (payment.method, payment.amount) == ("card", gbp(250))
    assert payment.provider_reference == CardPayment.objects.get(application=application).intent_id


def test_a_card_needing_3d_secure_is_authenticated_in_the_modal_and_pays(page, application, stripe_server):
    open_card_page(page, application)
    pay_with(page, CARDS["needs_authentication"])
    # The bank asks twice: when the card is saved, and when it is charged.
    complete_authentication(page)
    complete_authentication(page)

    expect(page.locator("#card-message")).to_have_text(PAID_MESSAGE)
    application.refresh_from_db()
    assert application.state == State.PAID
    card = CardPayment.objects.get(application=application)
    assert card.status == CardPayment.Status.SUCCEEDED
    assert stripe_server.intent(card.intent_id)["status"] == "succeeded"


def test_failed_3d_secure_says_so_and_leaves_the_application_payable(page, application):
    open_card_page(page, application)
    pay_with(page, CARDS["needs_authentication"])
    complete_authentication(page)
    expect(page.get_by_text("3D Secure")).to_be_visible()
    page.get_by_role("button", name="Fail authentication").click()

    expect(page.locator("#card-message")).to_have_text(FAILED_AUTHENTICATION)
    expect(page.get_by_role("button", name="Pay £250.00")).to_be_enabled()
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT
    assert not Payment.objects.filter(application=application).exists()


def test_a_declined_card_shows_why_and_another_card_can_then_pay(page, application):
    open_card_page(page, application)
    pay_with(page, CARDS["declined"])

    expect(page.locator("#card-message")).to_have_text(
        "Your card was declined. Please try another card, or pay by bank transfer."
    )
    expect(page.get_by_role("button", name="Pay £250.00")).to_be_enabled()
    screenshot(page, "card-payment-declined")
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT
    assert not Payment.objects.filter(application=application).exists()

    page.reload()
    pay_with(page, CARDS["ok"])
    expect(page.locator("#card-message")).to_have_text(PAID_MESSAGE)
    application.refresh_from_db()
    assert application.state == State.PAID
