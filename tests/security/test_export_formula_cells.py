"""Every spreadsheet the platform writes (CSV and the admin's XLSX) neutralises a cell that a
spreadsheet would run as a formula, whatever field the text was typed in; an amount such as
-5.00 stays a number. Each export is produced through its own entry point: the admin's
download as a board member, or the service the admin calls."""

import csv
import datetime
import io
import pathlib
import re
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from capital.models import SocietyRole
from capital.services import record_audit
from capital.spreadsheets import FORMULA_STARTS
from investors.models import BankStatementLine, PayoutAccount
from investors.redemptions.exports import redemption_payment_file_csv
from investors.redemptions.services import approve_redemptions, request_redemption, set_aside
from investors.runs.exports import hmrc_interest_return_csv, payment_file_csv
from investors.runs.services import approve_run, mark_run_paid, start_run
from investors.surplus.exports import surplus_payment_file_csv
from investors.surplus.services import approve_surplus_run, start_surplus_run
from shares.models import Holder
from tests import factories
from tests.builders import (
    COOP_YEAR_END,
    board_seat,
    fairshares_coop,
    give_payout_accounts,
    seed_register,
    unpaid_application,
    with_schedule,
)
from tests.factories import gbp

Role = SocietyRole.Role
PLANTED = ['=HYPERLINK("http://evil","x")', "+1", "@SUM(A1)", "-2+3", "\tcmd", "\rcmd"]
AMOUNT = re.compile(r"-?\d+(\.\d+)?")
ROOT = pathlib.Path(__file__).resolve().parents[2]


# --- Each export, fed the planted text, read back as rows of cells -------------------------------


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def admin_csv(client, url) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return csv_rows(body.decode("utf-8"))


def admin_xlsx(client, url) -> list[list]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows()]


def holders_named(names, share_class, shares=1000, on=datetime.date(2021, 1, 1)) -> list[Holder]:
    return seed_register(share_class=share_class, holdings=[(name, shares) for name in names], on=on)


def register(client, society, community_class):
    holders_named(PLANTED, community_class)
    client.force_login(board_seat(society=society, role=Role.SECRETARY))
    return admin_csv(client, reverse("register_csv", args=[society.slug])), PLANTED


def ledger(client, society, community_class):
    holders_named(PLANTED, community_class)
    client.force_login(board_seat(society=society, role=Role.SECRETARY))
    return admin_csv(client, reverse("ledger_csv", args=[society.slug])), PLANTED


def _applications(society, community_class):
    offer = factories.OpenOfferFactory(share_class=community_class)
    for name in PLANTED:
        unpaid_application(offer=offer, shares=10, holder=factories.HolderFactory(name=name))
    return board_seat(society=society, role=Role.SECRETARY)


def applications_csv(client, society, community_class):
    client.force_login(_applications(society, community_class))
    return admin_csv(client, "/admin/application/?export=csv"), PLANTED


def applications_xlsx(client, society, community_class):
    client.force_login(_applications(society, community_class))
    return admin_xlsx(client, "/admin/application/?export=xlsx"), PLANTED


def _interest_run(society, community_class):
    interest = with_schedule(
        share_class=community_class,
        first_year_end=datetime.date(2021, 12, 31),
        pool_percent=None,
        rate_ceiling_percent=D("5"),
    )
    holders_named(PLANTED, interest)
    run = approve_run(
        run=start_run(share_class=interest, year=1, declared_rate_percent=D("3")),
        by=board_seat(society=society, role=Role.DIRECTOR),
        on_date=datetime.date(2022, 3, 1),
    )
    give_payout_accounts(run)
    return run


def run_payment_file(client, society, community_class):
    return csv_rows(payment_file_csv(_interest_run(society, community_class))), PLANTED


def hmrc_return(client, society, community_class):
    run = _interest_run(society, community_class)
    treasurer = board_seat(society=society, role=Role.TREASURER)
    mark_run_paid(run=run, by=treasurer, paid_on=datetime.date(2022, 4, 6))
    return csv_rows(hmrc_interest_return_csv(society, 2022)), PLANTED


def surplus_payment_file(client, society, community_class):
    coop = fairshares_coop()
    paid_in_money = ("Di", "Ed", "Fay", "Gus")
    for name, planted in zip(paid_in_money, PLANTED, strict=False):
        Holder.objects.filter(pk=coop.members[name].pk).update(name=planted)
    director = board_seat(society=coop.society, role=Role.DIRECTOR)
    run = start_surplus_run(society=coop.society, year_end=COOP_YEAR_END, surplus=D("10000.00"), by=director)
    run = approve_surplus_run(run=run, by=director, on_date=datetime.date(2024, 4, 30))
    give_payout_accounts(run)
    return csv_rows(surplus_payment_file_csv(run)), PLANTED[: len(paid_in_money)]


def redemption_payment_file(client, society, community_class):
    share_class = factories.InvestorClassFactory(society=society, redemption_minimum_holding_years=3)
    today = timezone.localdate()
    for index, holder in enumerate(
        holders_named(PLANTED, share_class, shares=300, on=today.replace(year=today.year - 4))
    ):
        request_redemption(
            holder=holder,
            share_class=share_class,
            shares=100,
            by=None,
            now=timezone.now() - datetime.timedelta(days=30 - index),
        )
        PayoutAccount.objects.create(holder=holder, sort_code="400000", account_number=f"{10000000 + index}")
    director = board_seat(society=society, role=Role.DIRECTOR)
    set_aside(share_class=share_class, amount=gbp(1000), by=director)
    approve_redemptions(share_class=share_class, by=director)
    return csv_rows(redemption_payment_file_csv(share_class)), PLANTED


def _bank_lines(society):
    for index, planted in enumerate([*PLANTED, "DIRECT DEBIT"]):
        BankStatementLine.objects.create(
            society=society,
            line_key=f"line-{index}",
            date=datetime.date(2026, 11, 20),
            amount=gbp("-5.00") if planted == "DIRECT DEBIT" else gbp(10),
            reference=planted,
            status=BankStatementLine.Status.UNKNOWN,
        )
    BankStatementLine.objects.create(
        society=factories.SocietyFactory(),
        line_key="elsewhere",
        date=datetime.date(2026, 11, 20),
        amount=gbp(1),
        reference="ANOTHER SOCIETY'S LINE",
        status=BankStatementLine.Status.UNKNOWN,
    )
    return board_seat(society=society, role=Role.TREASURER)


def bank_lines_csv(client, society, community_class):
    client.force_login(_bank_lines(society))
    return admin_csv(client, "/admin/bankstatementline/?export=csv"), PLANTED


def bank_lines_xlsx(client, society, community_class):
    client.force_login(_bank_lines(society))
    return admin_xlsx(client, "/admin/bankstatementline/?export=xlsx"), PLANTED


def _audit(society):
    for planted in PLANTED:
        record_audit(society=society, actor=None, action="holder.corrected", summary=planted)
    record_audit(society=factories.SocietyFactory(), actor=None, action="x", summary="ANOTHER SOCIETY'S ROW")
    return board_seat(society=society, role=Role.SECRETARY)


def audit_csv(client, society, community_class):
    client.force_login(_audit(society))
    return admin_csv(client, "/admin/auditentry/?export=csv"), PLANTED


def audit_xlsx(client, society, community_class):
    client.force_login(_audit(society))
    return admin_xlsx(client, "/admin/auditentry/?export=xlsx"), PLANTED


EXPORTS = [
    register,
    ledger,
    applications_csv,
    applications_xlsx,
    run_payment_file,
    hmrc_return,
    surplus_payment_file,
    redemption_payment_file,
    bank_lines_csv,
    bank_lines_xlsx,
    audit_csv,
    audit_xlsx,
]


# --- The tests ------------------------------------------------------------------------------------


def assert_csv_neutralised(rows, planted):
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        if cell.startswith(FORMULA_STARTS):
            assert AMOUNT.fullmatch(cell), f"{cell!r} would run as a formula"
    for typed in planted:
        assert "'" + typed in cells, f"{typed!r} did not reach the export"


def assert_xlsx_text(rows, planted):
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        assert cell.data_type != "f", f"{cell.value!r} is stored as a formula"
    texts = [cell.value for cell in cells if cell.data_type == "s"]
    for typed in planted:
        # XML reads a carriage return back as a line feed: still text.
        assert typed in texts or typed.replace("\r", "\n") in texts, (
            f"{typed!r} did not reach the export as text"
        )


@pytest.mark.parametrize("export", EXPORTS, ids=[export.__name__ for export in EXPORTS])
def test_every_export_neutralises_formula_cells_and_keeps_amounts_as_numbers(
    client, society, community_class, export
):
    rows, planted = export(client, society, community_class)

    if export.__name__.endswith("xlsx"):
        assert_xlsx_text(rows, planted)
        values = [cell.value for row in rows for cell in row]
    else:
        assert_csv_neutralised(rows, planted)
        values = [cell for row in rows for cell in row]
    assert not any("ANOTHER SOCIETY" in str(value) for value in values)
    if export.__name__.startswith("bank_lines"):
        assert (D("-5.00") if export.__name__.endswith("xlsx") else "-5.00") in values


def test_no_module_writes_csv_but_through_capital_spreadsheets():
    """`capital.spreadsheets.writer`/`dict_writer` are the only CSV writers: a new
    `csv.writer(` or `csv.DictWriter(` anywhere else would skip the neutralising."""
    offenders = []
    for app in ("capital", "shares", "investors", "governance", "cms", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if path == ROOT / "capital" / "spreadsheets.py" or "migrations" in path.parts:
                continue
            text = path.read_text()
            if re.search(r"\bcsv\.(writer|DictWriter)\s*\(", text) or re.search(
                r"from\s+csv\s+import[^\n]*\b(writer|DictWriter)\b", text
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
