"""Shares changing hands, in a real browser on the demo co-op, on a desktop and a phone: a holder
asks to transfer investor shares to someone new, who accepts through the emailed link and gives
their details, a director approves in the admin and both dashboards show it; a holder past the
minimum holding period asks to be redeemed and a director approves the queue; a member makes a
nomination and the secretary finds it in the nominations book. Each page a person fills in or
reads is checked for accessibility, and each step fits the screen (tests/browser/test_journeys)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from capital.models import ShareClass
from cms.management.commands.load_demo import BOARD_PASSWORD
from investors.models import Nomination, RedemptionFund, RedemptionRequest, TransferRequest
from investors.redemptions.services import set_aside
from shares.models import Holder, Holding, LedgerEntry
from shares.services.verification import verify_register
from tests.browser import helpers
from tests.browser.helpers import check_accessibility, sent_mail
from tests.browser.test_journeys import Journey
from tests.builders import issue, pdf_text
from tests.factories import gbp

DEVICES = ["desktop", "phone"]
TODAY = timezone.localdate()
FOUR_YEARS_AGO = TODAY.replace(year=TODAY.year - 4)
SELLER = "alice@example.org"


@pytest.fixture(params=DEVICES)
def screen(request) -> str:
    return request.param


@pytest.fixture
def screen_page(request, screen) -> Page:
    return request.getfixturevalue("page" if screen == "desktop" else "phone")


def investor_shares() -> ShareClass:
    return ShareClass.objects.get(name="Solar investor shares")


def seller_with_investor_shares(shares: int) -> Holder:
    """Alice, a demo member, holding investor shares bought four years ago."""
    seller = Holder.objects.get(email=SELLER)
    issue(holder=seller, share_class=investor_shares(), shares=shares, on=FOUR_YEARS_AGO)
    return seller


def log_in_to_the_admin(page: Page, username: str) -> None:
    helpers.log_in_to_the_admin(page, username, BOARD_PASSWORD)


def dashboard(journey: Journey, site, user, name: str) -> Page:
    page = journey.page
    page.context.clear_cookies()
    site.log_in(page.context, user)
    page.goto("/account/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.step(name)
    return page


def test_a_holder_transfers_investor_shares_to_someone_new_and_a_director_approves(
    demo_site, screen_page, screen
):
    journey = Journey(screen_page, f"transfer-{screen}")
    page = screen_page
    seller = seller_with_investor_shares(500)

    # The holder asks, from the dashboard.
    dashboard(journey, demo_site, seller.user, "dashboard")
    transfers = page.get_by_role("region", name="Transferring shares")
    transfers.get_by_role("listitem").filter(has_text="Solar investor shares").get_by_role(
        "link", name="Transfer"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transfer Solar investor shares")
    page.get_by_label("Shares to transfer").fill("200")
    page.get_by_label("Price agreed (£)").fill("210")
    page.get_by_label("Receiver's name").fill("Rae Newcomer")
    page.get_by_label("Receiver's email address").fill("rae@example.org")
    check_accessibility(page)
    journey.step("ask-to-transfer")
    page.get_by_role("button", name="Send the transfer").click()
    expect(page.get_by_text("Rae Newcomer has been sent a link to accept 200 shares")).to_be_visible()
    table = page.get_by_role("table", name="Your transfers")
    expect(table.get_by_role("row").filter(has_text="To Rae Newcomer")).to_contain_text(
        "Waiting for the receiver to accept"
    )

    # The receiver, new to the register, follows the emailed link and gives their details.
    (link,) = sent_mail(lambda message: message.to == ["rae@example.org"])
    path = re.search(r"https?://[^/\s]+(/transfers/accept/[^/\s]+/)", link.body).group(1)
    page.context.clear_cookies()
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Shares offered to you")
    expect(page.get_by_text("Alice Moss would like to transfer 200 Solar investor shares")).to_be_visible()
    expect(page.get_by_text("carry no vote and no control right")).to_be_visible()
    page.get_by_label("Your full name").fill("Rae Newcomer")
    page.get_by_label("Your postal address").fill("9 Bank Street\nHebden Bridge HX7 6EU")
    page.get_by_label("Date of birth").fill("1990-02-03")
    check_accessibility(page)
    journey.step("receiver-accepts")
    page.get_by_role("button", name="Accept the shares").click()
    expect(page.get_by_text("You accepted. The society's board now approves the transfer.")).to_be_visible()
    transfer = TransferRequest.objects.get()
    assert transfer.state == TransferRequest.State.AWAITING_BOARD

    # A director reads what will happen, and approves.
    log_in_to_the_admin(page, "dina.director")
    page.goto("/admin/transferrequest/")
    page.get_by_role("button", name=f"More options for '{transfer}'").click()
    page.get_by_role("link", name="Approve the transfer", exact=True).click()
    expect(
        page.get_by_text("200 Solar investor shares move on the register from Alice Moss to Rae Newcomer")
    ).to_be_visible()
    check_accessibility(page)
    journey.step("director-approves")
    page.get_by_role("button", name="Approve the transfer").click()
    expect(page.get_by_text("200 Solar investor shares were transferred to Rae Newcomer.")).to_be_visible()

    transfer.refresh_from_db()
    assert transfer.state == TransferRequest.State.COMPLETED
    assert Holding.objects.get(holder=seller, share_class=investor_shares()).shares == 300
    assert Holding.objects.get(holder=transfer.receiver, share_class=investor_shares()).shares == 200
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TRANSFER).count() == 1
    assert verify_register(investor_shares().society).ok

    # Both dashboards show it: the holder's balance and the transfer done; the receiver's shares.
    page = dashboard(journey, demo_site, seller.user, "holder-after")
    expect(page.get_by_role("table", name="Your transfers").get_by_role("row").nth(1)).to_contain_text(
        "Transferred"
    )
    expect(page.get_by_text(re.compile(r"300 Solar investor shares")).first).to_be_visible()
    check_accessibility(page)
    receiver_login = get_user_model().objects.create_user(
        "rae@example.org", "rae@example.org", "receiver-2026", first_name="Rae"
    )
    page = dashboard(journey, demo_site, receiver_login, "receiver-after")
    row = page.get_by_role("table", name="Your transfers").get_by_role("row").filter(has_text="From Alice")
    expect(row).to_contain_text("Transferred")
    expect(page.get_by_text(re.compile(r"200 Solar investor shares")).first).to_be_visible()
    check_accessibility(page)


def test_a_holder_past_the_minimum_period_asks_to_be_redeemed_and_a_director_approves(
    demo_site, screen_page, screen
):
    journey = Journey(screen_page, f"redemption-{screen}")
    page = screen_page
    share_class = investor_shares()
    share_class.redemption_minimum_holding_years = 3
    share_class.save(update_fields=["redemption_minimum_holding_years"])
    seller = seller_with_investor_shares(400)
    set_aside(
        share_class=share_class,
        amount=gbp(1000),
        by=get_user_model().objects.get(username="dina.director"),
        note="Redemption fund for 2026",
    )

    dashboard(journey, demo_site, seller.user, "dashboard")
    page.get_by_role("region", name="Redeeming investor shares").get_by_role("listitem").filter(
        has_text="Solar investor shares"
    ).get_by_role("link", name="Ask to be redeemed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Redeem Solar investor shares")
    expect(page.get_by_text("You can ask for up to 400 of them now.")).to_be_visible()
    page.get_by_label("Shares to redeem").fill("250")
    check_accessibility(page)
    journey.step("ask-to-redeem")
    page.get_by_role("button", name="Ask to be redeemed").click()
    expect(page.get_by_text("Your request to redeem 250 shares (£250.00) is in the queue")).to_be_visible()
    expect(page.get_by_role("table", name="Your redemption requests")).to_contain_text("Waiting in the queue")

    log_in_to_the_admin(page, "dina.director")
    page.goto(f"/admin/shareclass/inspect/{share_class.pk}/")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Approve waiting redemptions", exact=True).click()
    expect(page.get_by_text(re.compile(r"Alice Moss"))).to_be_visible()
    check_accessibility(page)
    journey.step("director-approves")
    page.get_by_role("button", name="Approve waiting redemptions").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text("redemption")

    request = RedemptionRequest.objects.get()
    assert request.state == RedemptionRequest.State.APPROVED
    assert Holding.objects.get(holder=seller, share_class=share_class).shares == 150
    assert RedemptionFund.objects.get(share_class=share_class).balance == gbp(750)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEMPTION).count() == 1
    assert verify_register(share_class.society).ok

    page = dashboard(journey, demo_site, seller.user, "holder-after")
    expect(page.get_by_role("table", name="Your redemption requests")).to_contain_text("Approved: money owed")
    check_accessibility(page)


def test_a_member_nominates_on_the_dashboard_and_the_secretary_sees_it_in_the_nominations_book(
    demo_site, screen_page, screen
):
    journey = Journey(screen_page, f"nomination-{screen}")
    page = screen_page
    member = Holder.objects.get(email=SELLER)

    dashboard(journey, demo_site, member.user, "dashboard")
    page.get_by_role("region", name="Nominations").get_by_role("listitem").filter(
        has_text="Riverside Community Energy Ltd"
    ).get_by_role("link", name="Make one").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your nomination in Riverside Community Energy Ltd"
    )
    first = page.get_by_role("group", name="Nominee 1")
    first.get_by_label("Their full name").fill("Nia Moss")
    first.get_by_label("Their postal address").fill("3 Hill Road\nHebden Bridge HX7 8AB")
    first.get_by_label("Date of birth").fill("1995-07-01")
    first.get_by_label("How they are related to you").select_option(label="Son or daughter")
    first.get_by_label("Their share (%)").fill("60")
    second = page.get_by_role("group", name=re.compile(r"^Nominee 2"))
    second.get_by_label("Their full name").fill("Ned Moss")
    second.get_by_label("Their postal address").fill("4 Hill Road\nHebden Bridge HX7 8AB")
    second.get_by_label("Date of birth").fill("1997-01-01")
    second.get_by_label("How they are related to you").select_option(label="Son or daughter")
    second.get_by_label("Their share (%)").fill("40")
    check_accessibility(page)
    journey.step("nominate")
    page.get_by_role("button", name="Record my nomination").click()
    expect(
        page.get_by_text("Your nomination is recorded in Riverside Community Energy Ltd's nominations book.")
    ).to_be_visible()
    expect(page.get_by_text("your nomination of Nia Moss, Ned Moss is in force")).to_be_visible()
    nomination = Nomination.objects.get()
    assert [(n.name, n.percent) for n in nomination.nominees.order_by("pk")] == [
        ("Nia Moss", 60),
        ("Ned Moss", 40),
    ]

    log_in_to_the_admin(page, "sam.secretary")
    page.goto("/admin/nomination/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Alice Moss", exact=True))
    expect(row).to_contain_text("Riverside Community Energy Ltd")
    expect(row).to_contain_text("In force")
    check_accessibility(page)
    journey.step("nominations-book")
    society = nomination.society
    page.goto(f"/admin/society/inspect/{society.pk}/")
    page.get_by_role("button", name="Actions").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the nominations book", exact=True).click()
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Nominations book" in text and "alice moss" in text.lower(), "headings are in capitals"
    assert "Nia Moss" in text and "60%" in text and "Ned Moss" in text and "40%" in text
