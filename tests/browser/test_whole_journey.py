"""Issue 13's whole journey, on a desktop and on a phone, with the accessibility checks: a
director sets up a class with its return schedule and an offer with its page and document, and
opens it; an investor signs up from the offer, is carried back to its application form, applies
by bank transfer and is emailed the details; the treasurer matches their bank line from the to-do
home; the director allocates; the investor gives a payout account; a year's run is approved with
a line per holder and its payment file comes out complete.

Composed from the journeys that prove each part (tests/browser/test_board_setup.py,
test_journeys.py, test_treasury_journey.py), each step checked to fit the screen."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from capital.models import Offer
from investors.models import Application
from investors.payouts.accounts import PayoutDetails, save_payout_details
from investors.runs.services import approve_run, start_run
from shares.models import Holding
from tests.browser.conftest import PHONE
from tests.browser.helpers import check_accessibility, sent_mail
from tests.browser.test_board_setup import OFFER_TITLE, set_up_and_open_an_offer
from tests.browser.test_journeys import (
    Journey,
    follow_the_link_and_choose_a_password,
    open_header_action,
    open_row_action,
    others_pay_up_to_the_minimum,
    sign_up,
)
from tests.browser.test_treasury_journey import (
    community_members,
    give_a_payout_account,
    match_the_bank_line_from_the_to_do_home,
    pay_the_run_with_a_complete_payment_file,
)

DEVICES = ["desktop", "phone"]


@pytest.fixture(params=DEVICES)
def screen(request) -> str:
    return request.param


@pytest.fixture
def people(screen, new_context):
    """A browser for each person, on the same kind of screen: director, investor, treasurer."""
    options = PHONE if screen == "phone" else {}
    return [new_context(**options).new_page() for _ in range(3)]


def apply_by_bank_transfer(journey: Journey, *, name: str) -> Application:
    page = journey.page
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Apply for shares: {OFFER_TITLE}")
    expect(page.get_by_label("Full name")).to_have_value(name)
    page.get_by_label("How much do you want to invest?").fill("1000")
    page.get_by_role("radio", name=re.compile(r"^Bank transfer")).check()
    page.get_by_label("Postal address").fill("3 Ridge Lane\nHebden Bridge HX7 6AA")
    page.get_by_label("Date of birth").fill("1979-02-11")
    page.get_by_label("I have read the risk warning on this page").check()
    page.get_by_label("I understand that I could lose some or all of the money I invest").check()
    page.get_by_label("I understand that investor shares give no vote and no control").check()
    check_accessibility(page)
    journey.step("application-form")
    page.get_by_role("button", name="Apply for shares").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Application received")
    journey.step("application-received")
    return Application.objects.get(holder__name=name)


def allocate_in_the_admin(journey: Journey) -> None:
    page = journey.page
    page.goto("/admin/offer/")
    open_row_action(page, OFFER_TITLE, "Close the offer")
    page.get_by_role("button", name="Close the offer").click()
    expect(page.get_by_text(f"“{OFFER_TITLE}” is closed.")).to_be_visible()
    open_header_action(page, "Allocate the offer")
    journey.step("allocate")
    page.get_by_role("button", name="Allocate the offer").click()
    expect(page.get_by_text(re.compile(r"shares issued to \d+ applicants"))).to_be_visible()


def test_a_co_op_runs_its_offer_from_set_up_to_a_paid_run(demo_site, screen, people):
    director_page, investor_page, treasurer_page = people
    offer_page = set_up_and_open_an_offer(director_page, f"whole-{screen}")
    offer = Offer.objects.get(title=OFFER_TITLE)

    investor = Journey(investor_page, f"whole-{screen}-investor")
    name, email = f"Sam Ridge {screen.title()}", f"sam.{screen}@example.net"
    investor_page.goto(offer_page.url)
    sign_up(investor, name=name, email=email)
    follow_the_link_and_choose_a_password(investor, name=name, email=email, password="ridge-turbine-77")
    application = apply_by_bank_transfer(investor, name=name)
    [received] = sent_mail(
        lambda message: message.to == [email] and message.subject.startswith("Application received")
    )
    assert (
        application.payment_reference in received.subject and application.payment_reference in received.body
    )
    assert "£1,000.00" in received.body

    treasurer = Journey(treasurer_page, f"whole-{screen}-treasurer")
    match_the_bank_line_from_the_to_do_home(treasurer, application, bank_reference="S RIDGE TURBINE")

    others_pay_up_to_the_minimum(offer)
    allocate_in_the_admin(Journey(director_page, f"whole-{screen}-director"))
    application.refresh_from_db()
    assert application.state == Application.State.ALLOCATED
    assert Holding.objects.get(holder=application.holder, share_class=offer.share_class).shares == 1000

    give_a_payout_account(investor, demo_site, application.holder)

    # The year that can be run is the demo's community class's (the new class's first year is
    # not over): a run with a line per holder, one holder held, and a complete payment file.
    community, members = community_members()
    run = start_run(
        share_class=community,
        year=1,
        declared_rate_percent=Decimal("3.00"),
        by=get_user_model().objects.get(username="dina.director"),
    )
    approve_run(run=run, by=get_user_model().objects.get(username="dina.director"))
    held, *others = members
    for index, holder in enumerate(others):
        save_payout_details(
            holder=holder, details=PayoutDetails(holder.name, "400000", f"{40000000 + index}"), by=None
        )
    pay_the_run_with_a_complete_payment_file(treasurer, held)
    treasurer_page.goto("/admin/")
    expect(treasurer_page.get_by_text("What needs doing")).to_be_visible()
    check_accessibility(treasurer_page)
