"""The investor's dashboard and data export: their own applications, money, holdings,
certificates, documents and returns, never anyone else's, in a bounded number of queries."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from capital.models import ReturnSchedule, SocietyRole
from capital.returns import cap_amount
from investors.applications.services import apply_for_shares
from investors.models import Application, DistributionLine, Document
from investors.payments.services import confirm_payment
from investors.runs.services import approve_run, mark_run_paid, start_run
from investors.withdrawals.services import request_withdrawal
from shares.models import Certificate, Holder, Holding, LedgerEntry
from shares.services.register import issue_shares
from tests import factories
from tests.builders import board_seat, give_payout_accounts
from tests.factories import gbp

D = Decimal
CARD = Application.PaymentMethod.CARD
BANK = Application.PaymentMethod.BANK_TRANSFER
YEAR_ONE_END = datetime.date(2019, 12, 31)


# --- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def investor(name="Ada Lovelace", **holder_fields):
    user = factories.UserFactory()
    holder = factories.HolderFactory(name=name, email=user.email, user=user, **holder_fields)
    return user, holder


def society_with_classes(name):
    """A society with withdrawable community shares (an open offer) and investor shares paying
    25% of profit, capped at 1.5 × capital, from financial year 2019."""
    society = factories.SocietyFactory(name=name)
    community = factories.CommunityClassFactory(society=society)
    investor_shares = factories.InvestorClassFactory(society=society)
    ReturnSchedule.objects.create(
        share_class=investor_shares, first_year_end=YEAR_ONE_END, pool_percent=D("25"), cap_multiple=D("1.5")
    )
    offer = factories.OpenOfferFactory(share_class=community, title=f"{name} community offer")
    director = board_seat(society=society, role=SocietyRole.Role.DIRECTOR)
    return society, community, investor_shares, offer, director


def invest(holder, classes, *, investor_capital="1000"):
    """Give `holder` in one society: a paid bank application paid twice (so a refund is due), a card
    application waiting for payment, community shares, and investor shares."""
    society, community, investor_shares, offer, _ = classes
    paid = apply_for_shares(offer=offer, holder=holder, payment_method=BANK, shares=100)
    confirm_payment(application=paid, amount=paid.amount, method=BANK, provider_reference=f"BANK-{paid.pk}")
    confirm_payment(application=paid, amount=paid.amount, method=BANK, provider_reference=f"AGAIN-{paid.pk}")
    card = apply_for_shares(offer=offer, holder=holder, payment_method=CARD, shares=50)
    issue_shares(society=society, holder=holder, share_class=community, shares=250, amount=gbp(250))
    issue_shares(
        society=society,
        holder=holder,
        share_class=investor_shares,
        shares=int(investor_capital),
        amount=gbp(investor_capital),
        effective_date=datetime.date(2019, 1, 1),
    )
    return paid, card


def pay_year_one(classes, surplus="8000", *, paid=True):
    """Run, approve and (optionally) pay year 1 of the investor class; returns the run."""
    _, _, investor_shares, _, director = classes
    run = start_run(share_class=investor_shares, year=1, surplus=D(surplus), by=director)
    run = approve_run(run=run, by=director)
    if paid:
        give_payout_accounts(run)
        run = mark_run_paid(run=run, by=director, paid_on=datetime.date(2020, 3, 1))
    return run


def store_statement(holder, run, filename):
    document = Document(
        society=run.share_class.society,
        kind=Document.Kind.STATEMENT,
        holder=holder,
        run=run,
        digest="0" * 64,
        size=4,
        generated_at=timezone.now(),
    )
    document.file.save(filename, ContentFile(b"%PDF"), save=False)
    document.save()
    return document


def section(html: str, name: str) -> str:
    return html.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]


def row_with(html: str, text: str) -> str:
    [row] = [row for row in html.split("<tr>") if text in row.split("</tr>")[0]][:1]
    return row.split("</tr>")[0]


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("account:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def riverside(db):
    return society_with_classes("Riverside Energy")


@pytest.fixture
def ada(riverside):
    """Ada holds £1,000 of investor shares, alongside Bob's £3,000; year 1 (surplus £8,000, a
    pool of £2,000) has been paid, and her statement stored."""
    user, holder = investor("Ada Lovelace")
    applications = invest(holder, riverside, investor_capital="1000")
    run = pay_year_one_after(riverside, bob_capital="3000")
    store_statement(holder, run, "ada-statement-2019.pdf")
    return user, holder, applications


def pay_year_one_after(classes, *, bob_capital):
    society, _, investor_shares, _, _ = classes
    bob = factories.HolderFactory(name="Bob Bystander")
    issue_shares(
        society=society,
        holder=bob,
        share_class=investor_shares,
        shares=int(bob_capital),
        amount=gbp(bob_capital),
        effective_date=datetime.date(2019, 1, 1),
    )
    return pay_year_one(classes)


# --- The dashboard -----------------------------------------------------------------------------------


def test_dashboard_shows_applications_with_their_state_and_a_card_link_only_where_payable(client, ada):
    user, _, (paid, card) = ada
    applications = section(page(client, user), "applications")
    card_row, paid_row = (
        row_with(applications, card.payment_reference),
        row_with(applications, paid.payment_reference),
    )
    assert "Awaiting payment" in card_row and "Paid" in paid_row
    assert f'href="{reverse("payments:card", args=[card.payment_reference])}"' in card_row
    assert "Pay by card" not in paid_row


def test_dashboard_lists_payments_and_the_refund_due(client, ada):
    user, _, (paid, _) = ada
    money = section(page(client, user), "payments")
    assert money.count(f"<code>{paid.payment_reference}</code>") == 3  # two payments, one refund
    refund = row_with(money, "The application had already been paid")
    assert "£100.00" in refund and "Due: we will send it back to you" in refund


def test_dashboard_shows_holdings_per_society_with_capital_and_returns_towards_the_cap(client, ada):
    user, holder, _ = ada
    html = page(client, user)
    line = DistributionLine.objects.get(holder=holder)
    assert (line.paid, line.cumulative) == (D("500.00"), D("500.00"))  # a quarter of the £2,000 pool
    cap = cap_amount(line.capital, D("1.5"))
    assert cap == D("1500.00")
    assert "<h3>Riverside Energy</h3>" in html
    assert "Received £500.00" in html
    assert f'<progress id="cap-{line.holding_id}" value="500.00" max="1500.00">33%</progress>' in html
    assert f'<label for="cap-{line.holding_id}">£500.00 of its cap of £1,500.00 (33%)</label>' in html


def test_returns_approved_but_not_yet_paid_show_as_on_their_way(client, db):
    classes = society_with_classes("Hillside Heat")
    user, holder = investor()
    invest(holder, classes, investor_capital="2000")
    pay_year_one(classes, surplus="4000", paid=False)  # the whole £1,000 pool to the only holder
    html = page(client, user)
    assert "Received £0.00; £1,000.00 approved, on its way" in html


def test_dashboard_links_valid_certificates_and_stored_documents(client, ada):
    user, holder, _ = ada
    html = page(client, user)
    certificates = Certificate.objects.filter(holder=holder, state=Certificate.State.VALID)
    assert certificates.count() == 2
    for certificate in certificates:
        assert reverse("certificate-pdf", args=[certificate.society.slug, certificate.number]) in html
    document = Document.objects.get(holder=holder)
    assert reverse("holder-document", kwargs={"pk": document.pk, "filename": document.filename}) in html
    assert "Statement of returns" in html


def test_a_holder_without_documents_is_told_they_will_come(client, riverside):
    user, holder = investor()
    invest(holder, riverside)
    html = page(client, user)
    assert "No statements yet." in html


def test_withdrawable_holdings_are_listed_with_a_link_to_ask_for_a_withdrawal(client, ada):
    user, _, _ = ada
    html = page(client, user)
    withdrawals = section(html, "withdrawals")
    assert "250 Community shares in Riverside Energy" in withdrawals
    assert "Investor shares" not in withdrawals  # not withdrawable
    community = Holding.objects.get(holder__name="Ada Lovelace", share_class__name="Community shares")
    assert f'href="/account/withdrawals/{community.share_class_id}/">Ask to withdraw' in withdrawals


def test_an_investor_never_sees_another_investors_data(client, ada, riverside):
    ada_user, ada_holder, (ada_paid, ada_card) = ada
    bob = Holder.objects.get(name="Bob Bystander")
    cara_user, cara = investor("Cara Cheng")
    cara_paid, cara_card = invest(cara, riverside)
    store_statement(cara, ada_holder.distribution_lines.get().run, "cara-statement-2019.pdf")

    ada_page = page(client, ada_user)
    for secret in (cara_paid.payment_reference, cara_card.payment_reference, "cara-statement", "Cara Cheng"):
        assert secret not in ada_page
    for certificate in Certificate.objects.filter(holder__in=[cara, bob]):
        assert reverse("certificate-pdf", args=[certificate.society.slug, certificate.number]) not in ada_page
    bob_line = DistributionLine.objects.get(holder=bob)
    assert f'id="cap-{bob_line.holding_id}"' not in ada_page

    cara_page = page(client, cara_user)
    assert ada_paid.payment_reference not in cara_page and ada_card.payment_reference not in cara_page
    assert "ada-statement" not in cara_page and "cara-statement" in cara_page


def test_an_account_without_a_register_record_sees_an_empty_dashboard(client, db):
    html = page(client, factories.UserFactory())
    assert "You have no applications or shares yet." in html


def test_a_register_record_added_later_with_the_verified_address_is_linked_on_the_next_visit(
    client, community_class
):
    user = factories.UserFactory()
    assert "You have no applications or shares yet." in page(client, user)
    holder = factories.HolderFactory(email=user.email.upper())
    issue_shares(
        society=community_class.society, holder=holder, share_class=community_class, shares=75, amount=gbp(75)
    )
    html = page(client, user)
    holder.refresh_from_db()
    assert holder.user == user and "£75.00" in section(html, "holdings")


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for name in ("account:dashboard", "account:profile", "account:export"):
        url = reverse(name)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account:login')}?next={url}"


def queries_for_dashboard(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("account:dashboard")).status_code == 200
    return len(captured)


def test_the_dashboard_runs_the_same_number_of_queries_however_much_an_investor_holds(
    client, db, django_assert_max_num_queries
):
    one_user, one = investor("Just One")
    classes = society_with_classes("First Society")
    invest(one, classes)
    store_statement(one, pay_year_one(classes), "one-1.pdf")
    few = queries_for_dashboard(client, one_user)

    many_user, many = investor("Many Holdings")
    for number in range(4):
        classes = society_with_classes(f"Society {number}")
        invest(many, classes)
        store_statement(many, pay_year_one(classes), f"many-{number}.pdf")
    assert Application.objects.filter(holder=many).count() == 8
    assert many.holdings.count() == 8 and many.documents.count() == 4

    client.force_login(many_user)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("account:dashboard"))
    assert response.content.decode().count("<progress") == 4
    # One query per kind of row, three for the board check a session makes once (middleware), and
    # two for a member's meetings, ballots and proposals (governance's panel).
    assert few <= 25, "one query per kind of row (the offers each holding came from among them)"


# --- The export --------------------------------------------------------------------------------------


def test_export_downloads_everything_we_hold_as_json_with_amounts_as_strings(client, ada):
    user, holder, (paid, card) = ada
    community = Holding.objects.get(holder=holder, share_class__name="Community shares").share_class
    community.withdrawable = True
    community.save()
    request_withdrawal(holder=holder, share_class=community, shares=50, by=user)
    client.force_login(user)
    response = client.get(reverse("account:export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="commonshare-my-data-')
    data = json.loads(response.content)

    assert data["account"]["email"] == user.email
    assert data["holder"] == {
        "kind": "person",
        "name": "Ada Lovelace",
        "email": user.email,
        "postal_address": holder.postal_address,
        "date_of_birth": "1980-05-17",
        "organisation_number": "",
        "is_registered_society": False,
        "created_at": data["holder"]["created_at"],
    }
    applications = {application["payment_reference"]: application for application in data["applications"]}
    assert set(applications) == {paid.payment_reference, card.payment_reference}
    bank = applications[paid.payment_reference]
    assert bank["amount"] == {"amount": "100.00", "currency": "GBP"} and bank["state"] == "paid"
    assert [payment["amount"]["amount"] for payment in bank["payments"]] == ["100.00", "100.00"]
    assert bank["refunds"][0]["reason"] == "duplicate" and bank["refunds"][0]["state"] == "due"

    holdings = {holding["share_class"]: holding for holding in data["holdings"]}
    assert holdings["Investor shares"]["amount_paid"] == {"amount": "1000.00", "currency": "GBP"}
    assert holdings["Community shares"]["shares"] == 250
    entries = LedgerEntry.objects.filter(holder=holder)
    assert sorted(entry["entry_hash"] for entry in data["ledger_entries"]) == sorted(
        entries.values_list("entry_hash", flat=True)
    )
    assert {entry["direction"] for entry in data["ledger_entries"]} == {"in"}
    assert len(data["certificates"]) == 2 and {c["state"] for c in data["certificates"]} == {"valid"}
    [line] = data["distribution_lines"]
    assert (line["paid"], line["cumulative"], line["capital"], line["run_state"]) == (
        "500.00",
        "500.00",
        "1000.00",
        "paid",
    )
    assert [document["filename"] for document in data["documents"]] == ["ada-statement-2019.pdf"]
    [withdrawal] = data["withdrawal_requests"]
    assert (withdrawal["shares"], withdrawal["amount"], withdrawal["state"]) == (
        50,
        {"amount": "50.00", "currency": "GBP"},
        "pending",
    )
    assert "Bob Bystander" not in response.content.decode()


def test_export_for_an_account_without_a_register_record_holds_the_account_only(client, db):
    user = factories.UserFactory()
    client.force_login(user)
    data = json.loads(client.get(reverse("account:export")).content)
    assert data["holder"] is None and data["account"]["username"] == user.username
    assert "applications" not in data
