"""Whole journeys through the site in a real browser, on the demo co-op (`manage.py load_demo`).

An investor finds the open solar offer, tries the simulator, signs up, confirms their address,
applies, pays by card and, once the board has allocated the offer, downloads their certificate;
a director closes and allocates the offer and approves a year's interest in Wagtail's admin.
Each step is checked to fit the screen and leaves a screenshot in test-artifacts/screenshots/
(journey-<device>-<nn>-<step>.png).
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from capital.models import Offer, ReturnSchedule, ShareClass
from capital.services import close_offer
from capital.text import counted
from cms.demo import SOLAR_OFFER_TITLE
from cms.management.commands.load_demo import BOARD_PASSWORD
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares
from investors.models import Application, DistributionRun, Payment
from investors.payments.services import confirm_payment
from shares.models import Certificate, Holder, Holding
from tests.browser.helpers import check_accessibility, screenshot, sent_mail
from tests.factories import give_two_factor
from tests.factories.capital import authenticator_code
from tests.stripe_server import CARDS

State = Application.State
DEVICES = ["desktop", "phone"]
SOCIETY = "Riverside Community Energy Ltd"
DIRECTOR = "dina.director"
PAID_MESSAGE = "Thank you: your payment has been received."
# Demo members who pay for investor shares by bank transfer, so that the offer reaches its minimum.
OTHER_INVESTORS = ["bilal@example.org", "erin@example.org", "carys@example.org"]


class Journey:
    """One person's way through the site: each step is checked to fit the screen without
    sideways scrolling, and photographed, its screenshots numbered in order."""

    def __init__(self, page: Page, device: str):
        self.page, self.device, self.steps = page, device, 0

    def step(self, name: str) -> None:
        self.steps += 1
        screenshot(self.page, f"journey-{self.device}-{self.steps:02d}-{name}")
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], f"{self.page.url} scrolls sideways ({width}px wide)"


@pytest.fixture(params=DEVICES)
def screen(request) -> str:
    """Which screen the journey runs on; pytest-playwright's own `device` names an emulated one."""
    return request.param


@pytest.fixture
def screen_page(request, screen) -> Page:
    """A 1280×720 desktop window, or a 390×844 phone."""
    return request.getfixturevalue("page" if screen == "desktop" else "phone")


def solar_offer() -> Offer:
    return Offer.objects.get(title=SOLAR_OFFER_TITLE)


def director():
    return get_user_model().objects.get(username=DIRECTOR)


def emailed(subject: str, *, expected: int = 1) -> list[str]:
    """Who was sent an email with this subject (waiting for `expected` of them), in order of address."""
    sent = sent_mail(lambda message: message.subject == subject, expected=expected)
    return sorted(address for message in sent for address in message.to)


def paid_total(offer: Offer) -> Money:
    paid = Application.objects.filter(offer=offer, state=State.PAID).values_list("shares", flat=True)
    return offer.price_per_share * sum(paid)


def others_pay_up_to_the_minimum(offer: Offer) -> list[Application]:
    """Other demo members apply and pay by bank transfer until the paid applications reach the
    offer's minimum target, as the rest of the valley would. Dev's application stays unpaid."""
    paid = []
    for email in OTHER_INVESTORS:
        missing = offer.minimum_target - paid_total(offer)
        if missing.amount <= 0:
            break
        amount = min(missing, offer.maximum_per_investor)
        application = apply_for_shares(
            offer=offer,
            holder=Holder.objects.get(email=email),
            shares=offer.shares_for(amount),
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
        )
        confirm_payment(
            application=application,
            amount=application.amount,
            method=Application.PaymentMethod.BANK_TRANSFER,
            provider_reference=f"BANK-{application.payment_reference}",
        )
        paid.append(application)
    assert paid_total(offer) == offer.minimum_target
    return paid


# --- The investor's journey ------------------------------------------------------------------------


def find_the_offer(journey: Journey) -> None:
    page = journey.page
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invest in your community")
    page.get_by_role("link", name="Riverside Community Energy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Riverside Community Energy")
    page.get_by_role("link", name=SOLAR_OFFER_TITLE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SOLAR_OFFER_TITLE)
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "2000.00")
    expect(page.get_by_role("heading", name="What your shares give you")).to_be_visible()
    journey.step("offer")


def run_the_simulator(journey: Journey) -> None:
    page = journey.page
    simulator = page.locator("#simulator")
    simulator.get_by_label("How much would you invest?").fill("1,000")
    high = simulator.get_by_role("radio", name=re.compile(r"^High: £"))
    high.check()
    simulator.get_by_role("button", name="Show what I would get").click()

    expect(page).to_have_url(re.compile(r"[?&]amount=1%2C000&scenario=high"))
    result = page.locator("#simulator-result")
    expect(result.get_by_role("heading", level=3)).to_have_text("Your figures")
    expect(result.locator(".result-summary").first).to_contain_text("If you invest £1,000.00")
    expect(page.get_by_role("radio", name=re.compile(r"^High: £"))).to_be_checked()
    expect(result.get_by_role("img", name="Your payments year by year")).to_be_visible()
    table = result.get_by_role("table", name="Your payments year by year")
    # Twelve years: nothing in the grace year, then the 7% ceiling each year, until the cap of
    # 1.5 times the capital (returns and capital repaid together) is reached in the last year.
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(12)
    expect(rows.first.locator("td")).to_have_text(["£0.00", "£0.00", "£0.00"])
    expect(rows.nth(1).locator("td")).to_have_text(["£70.00", "£0.00", "£70.00"])
    expect(table.locator("tfoot td")).to_have_text(["£770.00", "£730.00", "£1,500.00"])
    expect(result.locator(".result-summary").first).to_contain_text("within a cap of £1,500.00")
    check_accessibility(page)
    journey.step("simulator")


def sign_up(journey: Journey, *, name: str, email: str) -> None:
    page = journey.page
    page.get_by_role("link", name="Invest in this offer").click()
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/invest/\d+/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_role("main").get_by_role("link", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Open an investor account")
    check_accessibility(page)
    page.get_by_label("Your full name").fill(name)
    page.get_by_label("Email address").fill(email)
    journey.step("sign-up")
    page.get_by_role("main").get_by_role("button", name="Sign up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("main")).to_contain_text(email)
    journey.step("check-your-email")


def follow_the_link_and_choose_a_password(journey: Journey, *, name: str, email: str, password: str) -> None:
    sent = sent_mail(lambda message: message.to == [email])
    assert [message.subject for message in sent] == ["Confirm your email address for Commonshare"]
    # allauth's confirmation link, carrying where they were going (the offer's form).
    link = re.search(r"https?://\S+?(/account/confirm-email/\S+/\?next=\S+)", sent[0].body)
    assert link, sent[0].body
    page = journey.page
    page.goto(link.group(1))

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(page.get_by_label("Your full name")).to_have_value(name)
    assert not get_user_model().objects.get(username=email).email  # opening the link changes nothing
    check_accessibility(page)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_label("Password again").fill(password)
    journey.step("choose-password")
    page.get_by_role("button", name="Save and open my account").click()

    # Back where they were going when they signed up: the offer's application form.
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Apply for shares: "))
    expect(page.get_by_text("Thank you: your email address is confirmed")).to_be_visible()
    assert get_user_model().objects.get(username=email).email == email


def log_out_and_in_again(journey: Journey, *, email: str, password: str) -> None:
    """The password chosen on the link's page is the one that logs in."""
    page = journey.page
    page.get_by_role("button", name="Log out").click()
    page.goto("/account/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your investments")


def apply_for_shares_by_card(journey: Journey, *, name: str) -> str:
    """Back to the offer (after logging in again), fill in the form and send it; returns the
    payment reference from the confirmation page."""
    page = journey.page
    page.goto("/")
    page.get_by_role("link", name=SOLAR_OFFER_TITLE).click()
    page.get_by_role("link", name="Invest in this offer").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Apply for shares: {SOLAR_OFFER_TITLE}")
    expect(page.get_by_label("Full name")).to_have_value(name)
    check_accessibility(page)
    page.get_by_label("How much do you want to invest?").fill("1000")
    expect(page.locator("#amount-shares")).to_have_text("That buys 1000 shares.")
    page.get_by_role("radio", name="Card: you pay now, on the next page").check()
    expect(page.get_by_role("radio", name="I am applying as a person, for myself")).to_be_checked()
    page.get_by_label("Postal address").fill("12 Calder Street\nHebden Bridge HX7 8XY")
    page.get_by_label("Date of birth").fill("1988-05-17")
    page.get_by_label("I have read the risk warning on this page").check()
    page.get_by_label("I understand that I could lose some or all of the money I invest").check()
    page.get_by_label("I understand that investor shares give no vote and no control").check()
    journey.step("application-form")
    page.get_by_role("button", name="Apply for shares").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Application received: now pay")
    reference = page.locator("strong.reference").first.inner_text()
    assert re.fullmatch(r"CS-[A-Z0-9]{8}", reference), reference
    journey.step("application-received")
    return reference


def pay_by_card(journey: Journey) -> None:
    page = journey.page
    page.get_by_role("link", name="Pay £1,000.00 by card").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay £1,000.00 by card")
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill(CARDS["ok"])
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("HX7 8XY")
    page.get_by_role("button", name="Pay £1,000.00").click()

    expect(page.locator("#card-message")).to_have_text(PAID_MESSAGE)
    expect(page.get_by_role("button", name="Pay £1,000.00")).to_be_disabled()
    journey.step("paid")


def the_board_allocates_the_offer() -> None:
    offer = solar_offer()
    others_pay_up_to_the_minimum(offer)
    offer = close_offer(offer=offer, by=director())
    result = allocate_offer(offer=offer, by=director())
    assert not result.failed, result.summary()


def see_the_allocation_on_the_dashboard(journey: Journey, reference: str) -> str:
    """Returns the certificate's link text."""
    page = journey.page
    page.goto("/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your investments")
    row = page.locator("section[aria-labelledby=applications]").get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text(SOLAR_OFFER_TITLE)
    expect(row.get_by_role("cell").nth(4)).to_have_text("Allocated")
    holding = page.locator("section[aria-labelledby=holdings]").get_by_role("row").filter(has_text="Solar")
    expect(holding.get_by_role("cell")).to_have_text(
        [
            re.compile(
                r"^Solar investor shares\s+From Solar roofs for Calder schools\s+News from .+\s+"
                r"Since \d+ \w+ \d{4}$"
            ),
            "1000",
            "£1,000.00",
            re.compile(r"^\s*Received £0\.00\s+£0\.00 of its cap of £1,500\.00 \(0%\)"),
        ]
    )
    certificate = Certificate.objects.get(holder__user__username=journey_email(journey.device))
    link = f"No. {certificate.number} (PDF)"
    expect(page.get_by_role("link", name=link)).to_be_visible()
    journey.step("dashboard")
    return link


def download_the_certificate(journey: Journey, link: str, *, name: str) -> None:
    page = journey.page
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link).click()
    download = download_info.value
    assert re.fullmatch(r"riverside-energy-certificate-\d+\.pdf", download.suggested_filename)
    with open(download.path(), "rb") as pdf:
        data = pdf.read()
    assert data.startswith(b"%PDF-")
    text = re.sub(r"\s+", " ", " ".join(sheet.extract_text() for sheet in PdfReader(io.BytesIO(data)).pages))
    assert name in text
    assert SOCIETY in text
    assert "1000 Solar investor shares" in text
    assert "no vote and no control right" in text


def journey_email(device: str) -> str:
    return f"robin.{device}@example.net"


def test_an_investor_finds_the_offer_applies_pays_and_gets_a_certificate(
    demo_site, stripe_server, screen, screen_page
):
    journey = Journey(screen_page, screen)
    name, email, password = (
        f"Robin Ashworth {screen.title()}",
        journey_email(screen),
        "calder-valley-solar-42",
    )

    find_the_offer(journey)
    run_the_simulator(journey)
    sign_up(journey, name=name, email=email)
    follow_the_link_and_choose_a_password(journey, name=name, email=email, password=password)
    log_out_and_in_again(journey, email=email, password=password)
    reference = apply_for_shares_by_card(journey, name=name)

    application = Application.objects.get(payment_reference=reference)
    assert (application.holder.name, application.holder.user.username) == (name, email)
    assert (application.shares, application.state) == (1000, State.AWAITING_PAYMENT)

    pay_by_card(journey)
    application.refresh_from_db()
    assert application.state == State.PAID
    assert Payment.objects.get(application=application).method == Application.PaymentMethod.CARD

    the_board_allocates_the_offer()
    application.refresh_from_db()
    assert (application.state, application.shares_allocated) == (State.ALLOCATED, 1000)
    assert Holding.objects.get(holder=application.holder).shares == 1000
    assert email in emailed(f"Your share certificate from {SOCIETY}")

    link = see_the_allocation_on_the_dashboard(journey, reference)
    download_the_certificate(journey, link, name=name)
    # Last, so that a failure here comes after every step of the journey has been proven.
    check_accessibility(screen_page)


# --- The board's journey ---------------------------------------------------------------------------


def log_in_to_the_admin(page: Page) -> None:
    """The site's login, then the code from the director's authenticator app."""
    give_two_factor(director())
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/admin/"))
    page.get_by_label("Email address").fill(DIRECTOR)
    page.get_by_label(re.compile(r"^Password:?$")).fill(BOARD_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/"))
    page.locator('input[name="code"]').fill(authenticator_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def open_row_action(page: Page, row_title: str, action: str) -> None:
    """From a listing, the row's "More options" menu, then one of the board's actions."""
    page.get_by_role("button", name=f"More options for '{row_title}'").click()
    page.get_by_role("link", name=action, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(action)


def open_header_action(page: Page, action: str) -> None:
    """From an object's page, the header's "Actions" menu, then one of the board's actions."""
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name=action, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(action)


def preview_of(page: Page):
    return page.locator(".action-preview li")


def close_and_allocate_the_offer(journey: Journey) -> None:
    page = journey.page
    offer = solar_offer()
    page.goto("/admin/offer/")
    open_row_action(page, SOLAR_OFFER_TITLE, "Close the offer")
    expect(preview_of(page)).to_have_text(
        [
            f"“{SOLAR_OFFER_TITLE}” stops taking applications now.",
            "Applications already made stay as they are until a director allocates the offer.",
        ]
    )
    journey.step("admin-close-offer")
    page.get_by_role("button", name="Close the offer").click()
    expect(page.get_by_text(f"“{SOLAR_OFFER_TITLE}” is closed.")).to_be_visible()
    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED

    # Dev applied today: he was told he has until his reservation ends to pay, and keeps it.
    dev = Application.objects.get(offer=offer, holder__email="dev@example.org")
    pay_by = f"{timezone.localtime(dev.reserved_until):%-d %B %Y, %H:%M}"
    open_header_action(page, "Allocate the offer")
    expect(preview_of(page)).to_have_text(
        [
            "50,000 shares (£50,000.00) will be issued to 3 applicants through the register, with a "
            "certificate each, emailed once the allocation is saved.",
            f"1 unpaid application may still be paid (the last by {pay_by}, as each investor was told): "
            f"{counted(dev.shares, 'share')} stay set aside, issued with a certificate as each is paid, "
            "or released as each lapses.",
            "0 unpaid applications will be cancelled.",
        ]
    )
    expect(page.get_by_text("Allocation writes to the register and cannot be undone.")).to_be_visible()
    journey.step("admin-allocate-offer")
    page.get_by_role("button", name="Allocate the offer").click()
    expect(
        page.get_by_text(
            "50,000 shares issued to 3 applicants; 0 refunds due (£0.00); 0 unpaid applications cancelled. "
            f"1 unpaid application may still be paid (the last by {pay_by}): "
            f"{counted(dev.shares, 'share')} set aside, issued as each is paid, or released as each lapses."
        )
    ).to_be_visible()
    journey.step("admin-allocated")

    offer.refresh_from_db()
    assert (offer.state, offer.shares_allocated) == (Offer.State.ALLOCATED, 50000)
    states = dict(Application.objects.filter(offer=offer).values_list("holder__email", "state"))
    assert states == {
        "alice@example.org": State.ALLOCATED,
        "bilal@example.org": State.ALLOCATED,
        "erin@example.org": State.ALLOCATED,
        "dev@example.org": State.AWAITING_PAYMENT,
    }
    certified = emailed(f"Your share certificate from {SOCIETY}", expected=3)
    assert certified == ["alice@example.org", "bilal@example.org", "erin@example.org"]


def pay_interest_on_community_shares() -> ShareClass:
    """The founding members' shares earn interest at up to the declared 4%, from a first year
    that ended on 31 March 2026, long enough ago for its run."""
    community = ShareClass.objects.get(name="Community shares")
    ReturnSchedule.objects.update_or_create(
        share_class=community,
        defaults={"first_year_end": datetime.date(2026, 3, 31), "rate_ceiling_percent": Decimal("4.00")},
    )
    return community


def test_a_director_allocates_an_offer_and_approves_a_run_in_the_admin(demo_site, page):
    others_pay_up_to_the_minimum(solar_offer())
    community = pay_interest_on_community_shares()
    mail.outbox.clear()  # the demo's own founding offer emailed its certificates
    journey = Journey(page, "admin")

    log_in_to_the_admin(page)
    close_and_allocate_the_offer(journey)

    page.goto("/admin/runs/start/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Start a distribution run")
    page.get_by_label("Share class").select_option(label=str(community))
    page.get_by_label("Year").fill("1")
    page.get_by_label("Declared rate (%)").fill("3.50")
    journey.step("admin-start-run")
    page.get_by_role("button", name="Work out the year").click()
    expect(page.get_by_text("The draft is ready: read it, then approve it.")).to_be_visible()
    run = DistributionRun.objects.get(share_class=community, year=1)
    assert run.state == DistributionRun.State.DRAFT
    assert run.lines.count() == 6

    open_header_action(page, "Approve the run")
    expect(preview_of(page).first).to_have_text(
        "Community shares, financial year 1 (1 April 2025 to 31 March 2026), on a declared rate of 3.50%."
    )
    expect(preview_of(page).last).to_have_text(
        "Approving writes these changes to the register and emails each holder their statement."
    )
    journey.step("admin-approve-run")
    page.get_by_role("button", name="Approve the run").click()
    expect(
        page.get_by_text("Year 1 of Community shares is approved; statements are on their way.")
    ).to_be_visible()
    journey.step("admin-run-approved")

    run.refresh_from_db()
    assert (run.state, run.approved_by) == (DistributionRun.State.APPROVED, director())
    members = sorted(Holding.objects.filter(share_class=community).values_list("holder__email", flat=True))
    assert len(members) == 6
    assert emailed(f"Your statement of returns from {SOCIETY}", expected=len(members)) == members


def test_on_a_phone_a_director_closes_and_allocates_the_offer_in_the_admin(demo_site, phone):
    others_pay_up_to_the_minimum(solar_offer())
    mail.outbox.clear()  # the demo's own founding offer emailed its certificates

    log_in_to_the_admin(phone)
    close_and_allocate_the_offer(Journey(phone, "admin-phone"))
