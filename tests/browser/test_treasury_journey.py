"""The treasurer's work in a real browser, on the demo co-op, on a desktop and a phone: a bank
line no application's reference explains is matched from the to-do home; an investor gives the
account their returns are paid to; a run is approved with a line per holder, the holder without
an account is held, and the payment file comes out complete."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from capital.models import ReturnSchedule, ShareClass
from cms.management.commands.load_demo import BOARD_PASSWORD
from investors.applications.services import apply_for_shares
from investors.models import Application, BankStatementLine, DistributionLine
from investors.payments.bank_import import import_bank_statement
from investors.payouts.accounts import PayoutDetails, details_of, save_payout_details
from investors.runs.services import approve_run, start_run
from shares.models import Holder, Holding
from tests.browser import helpers
from tests.browser.helpers import check_accessibility
from tests.browser.test_journeys import Journey, solar_offer

DEVICES = ["desktop", "phone"]


@pytest.fixture(params=DEVICES)
def screen(request) -> str:
    return request.param


@pytest.fixture
def screen_page(request, screen) -> Page:
    return request.getfixturevalue("page" if screen == "desktop" else "phone")


def log_in_to_the_admin(page: Page, username: str) -> None:
    helpers.log_in_to_the_admin(page, username, BOARD_PASSWORD)


def community_members() -> tuple[ShareClass, list[Holder]]:
    community = ShareClass.objects.get(name="Community shares")
    if not ReturnSchedule.objects.filter(share_class=community).exists():
        ReturnSchedule.objects.create(
            share_class=community,
            first_year_end=datetime.date(2026, 3, 31),
            rate_ceiling_percent=Decimal("4.00"),
        )
    holders = [holding.holder for holding in Holding.objects.filter(share_class=community, shares__gt=0)]
    return community, sorted(holders, key=lambda holder: holder.pk)


def match_the_bank_line_from_the_to_do_home(
    journey: Journey, application: Application | None = None, bank_reference: str = "D PATEL SOLAR SHARES"
) -> Application:
    """The treasurer matches a bank line whose reference is not the application's (Dev's, on the
    solar offer, unless another is given) from the to-do home."""
    page = journey.page
    if application is None:
        offer = solar_offer()
        application = apply_for_shares(
            offer=offer,
            holder=Holder.objects.get(email="dev@example.org"),
            shares=offer.shares_for(offer.minimum_per_investor),
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
        )
    amount = application.amount.amount
    import_bank_statement(
        society=application.offer.society,
        text=f"Date,Amount,Reference\n2026-11-21,{amount},{bank_reference}\n",
    )
    line = BankStatementLine.objects.get(reference=bank_reference)

    log_in_to_the_admin(page, "tom.treasurer")
    expect(page.get_by_text("1 bank line not matched: match, refund or dismiss each.")).to_be_visible()
    journey.step("todo-home")
    page.get_by_role("link", name="Match bank lines").click()
    expect(page).to_have_url(re.compile(r"/admin/bankstatementline/"))
    page.get_by_role("button", name=f"More options for '{line}'").click()
    page.get_by_role("link", name="Match to an application", exact=True).click()
    page.get_by_label("Application's payment reference").fill(application.payment_reference)
    journey.step("match-bank-line")
    page.get_by_role("button", name="Match to an application").click()
    expect(page.get_by_text(f"{application.payment_reference} is paid")).to_be_visible()
    application.refresh_from_db()
    assert application.state == Application.State.PAID
    return application


def give_a_payout_account(journey: Journey, live_site, holder: Holder) -> None:
    page = journey.page
    live_site.log_in(page.context, holder.user)
    page.goto("/account/")
    expect(page.get_by_text("You have not given a payout account yet")).to_be_visible()
    page.get_by_role("link", name="Give your payout account").click()
    page.get_by_label("Name on the account").fill(holder.name)
    page.get_by_label("Sort code").fill("20-00-00")
    page.get_by_label("Account number").fill("5566 7788")
    journey.step("payout-account")
    page.get_by_role("button", name="Save the account").click()
    expect(page.get_by_text("Your returns will be paid to the account ending 7788")).to_be_visible()
    journey.step("dashboard-with-account")
    assert details_of(holder).sort_code == "200000"


def pay_the_run_with_a_complete_payment_file(journey: Journey, held: Holder) -> None:
    page = journey.page
    log_in_to_the_admin(page, "tom.treasurer")
    line = DistributionLine.objects.get(holder=held, run__year=1)
    run = line.run
    page.goto(f"/admin/distributionrun/inspect/{run.pk}/")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="See each holder's line", exact=True).click()
    expect(page.get_by_role("link", name=held.name, exact=True)).to_be_visible()
    journey.step("run-lines")

    page.goto(f"/admin/runs/{run.pk}/payment-file/")
    expect(page.get_by_text(f"1 holder owed money has no payout account: {held.name}.")).to_be_visible()
    page.goto(f"/admin/distributionline/action/resolve-payout/{line.pk}/")
    page.get_by_label("Hold it until they give an account").check()
    page.get_by_label("Note").fill("No bank details yet; letter sent")
    journey.step("hold-a-payment")
    page.get_by_role("button", name="Pay another way or hold").click()
    expect(
        page.get_by_text(f"{held.name}'s payment is held until the holder gives an account.")
    ).to_be_visible()

    with page.expect_download() as download:
        page.evaluate(f"window.location.href = '/admin/runs/{run.pk}/payment-file/'")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    owed = DistributionLine.objects.filter(run=run, cash__gt=0).exclude(holder=held).count()
    assert len(rows) == owed > 0
    assert all(row["sort_code"] or row["iban"] for row in rows), "every row has bank details"
    assert held.name not in [row["name"] for row in rows]


def test_the_treasurer_matches_a_line_an_investor_gives_an_account_and_a_run_is_paid(
    demo_site, screen_page, screen
):
    journey = Journey(screen_page, f"treasury-{screen}")
    match_the_bank_line_from_the_to_do_home(journey)

    community, members = community_members()
    investor = next(holder for holder in members if holder.user_id)
    give_a_payout_account(journey, demo_site, investor)

    director = get_user_model().objects.get(username="dina.director")
    run = start_run(share_class=community, year=1, declared_rate_percent=Decimal("3.00"), by=director)
    approve_run(run=run, by=director)
    held = next(holder for holder in members if holder.pk != investor.pk)
    for index, holder in enumerate(members):
        if holder.pk not in (investor.pk, held.pk):
            save_payout_details(
                holder=holder, details=PayoutDetails(holder.name, "400000", f"{30000000 + index}"), by=None
            )
    pay_the_run_with_a_complete_payment_file(journey, held)
    # Checked on a page without a flash message: Wagtail fades those in, mid-way through contrast.
    screen_page.goto("/admin/")
    expect(screen_page.get_by_text("What needs doing")).to_be_visible()
    check_accessibility(screen_page)
