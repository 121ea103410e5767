"""Importing a society's bank statement (CSV): exact matches are recorded, the rest are listed.

Every line is kept. A line is identified by the hash of its content (and how many identical
lines came before it in the file), so importing the same file twice changes nothing.
"""

import csv
import datetime
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from capital.models import Society
from capital.money import format_money
from capital.services import record_audit
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine
from investors.payments.services import confirm_payment

REQUIRED_COLUMNS = ("date", "amount", "reference")
REFERENCE_PATTERN = re.compile(r"\bCS[\s-]?([A-HJ-NP-Z2-9]{8})\b", re.IGNORECASE)
# 1250, 1250.5, 1,250.00, -45.10 — and nothing else (no "1.250,00", no "Infinity")
AMOUNT_PATTERN = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d{1,12})(\.\d{1,2})?$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
Status = BankStatementLine.Status


@dataclass
class ImportResult:
    new_lines: list[BankStatementLine] = field(default_factory=list)
    already_imported: int = 0

    def count(self, status: str) -> int:
        return sum(line.status == status for line in self.new_lines)

    def summary(self) -> str:
        return (
            f"{len(self.new_lines)} new lines ({self.already_imported} already imported): "
            f"{self.count(Status.MATCHED)} matched, {self.count(Status.WRONG_AMOUNT)} with the wrong amount, "
            f"{self.count(Status.UNKNOWN)} unknown, {self.count(Status.REFUSED)} refused, "
            f"{self.count(Status.NOT_RECEIPT)} payments out."
        )


@dataclass(frozen=True)
class StatementRow:
    date: datetime.date
    amount: Decimal
    reference: str
    other_columns: dict
    key: str


def import_bank_statement(*, society: Society, text: str, source_name: str = "", by=None) -> ImportResult:
    """Read a statement and record what it can. Raises `PaymentError` (changing nothing) if
    the file cannot be read: a missing column, a bad date or amount, named with its line."""
    rows = parse_statement(text, society.currency)
    result = ImportResult()
    for row in rows:
        if BankStatementLine.objects.filter(society=society, line_key=row.key).exists():
            result.already_imported += 1
            continue
        result.new_lines.append(_import_row(society, row, source_name, by))
    if result.new_lines:
        record_audit(
            society=society,
            actor=by,
            action="bank.imported",
            summary=f"{source_name or 'Bank statement'}: {result.summary()}",
        )
    return result


def parse_statement(text: str, currency: str) -> list[StatementRow]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        raise PaymentError("The file is empty.")
    columns = {name.strip().lower(): name for name in reader.fieldnames if name}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise PaymentError(
            f"The statement has no {', '.join(missing)} column (it needs date, amount and reference)."
        )
    seen: Counter = Counter()
    rows = []
    for number, raw in enumerate(reader, start=2):
        values = {name.strip().lower(): (value or "").strip() for name, value in raw.items() if name}
        if not any(values.values()):
            continue
        date = _parse_date(values["date"], number)
        amount = _parse_amount(values["amount"], number)
        others = {name: value for name, value in values.items() if name not in REQUIRED_COLUMNS}
        # The key ignores how the bank wrote the amount and any extra columns, which differ
        # between exports of the same account.
        reference = " ".join(values["reference"].upper().split())
        content = json.dumps([date.isoformat(), f"{amount:.2f}", reference])
        seen[content] += 1
        key = hashlib.sha256(f"{content}#{seen[content]}".encode()).hexdigest()
        rows.append(StatementRow(date, amount, values["reference"], others, key))
    return rows


def _parse_date(value: str, line: int) -> datetime.date:
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, date_format).date()
        except ValueError:
            continue
    raise PaymentError(f"Line {line}: {value!r} is not a date (use 2026-11-22 or 22/11/2026).")


def _parse_amount(value: str, line: int) -> Decimal:
    cleaned = re.sub(r"[£€\s]", "", value)
    if re.fullmatch(r"-?[\d,]*\.\d{3,}", cleaned):
        raise PaymentError(f"Line {line}: {value!r} has more than two decimal places.")
    if not AMOUNT_PATTERN.match(cleaned):
        raise PaymentError(f"Line {line}: {value!r} is not an amount (write it like 1250.00 or 1,250.00).")
    try:
        return Decimal(cleaned.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise PaymentError(f"Line {line}: {value!r} is not an amount.") from None


def _import_row(society: Society, row: StatementRow, source_name: str, by) -> BankStatementLine:
    line = BankStatementLine(
        society=society,
        line_key=row.key,
        date=row.date,
        amount=society.money(row.amount),
        reference=row.reference,
        other_columns=row.other_columns,
        source_name=source_name,
    )
    application = _application_for(society, row.reference)
    line.application = application
    if row.amount <= 0:
        line.status = Status.NOT_RECEIPT
    elif application is None:
        line.status = Status.UNKNOWN
    elif application.amount != line.amount:
        line.status = Status.WRONG_AMOUNT
        line.note = f"The application is for {format_money(application.amount)}."
    elif application.payments.exists():
        # Perhaps a second payment, perhaps the same one in another export: the treasurer decides.
        line.status = Status.SECOND_RECEIPT
        line.note = f"{application.payment_reference} is already paid ({application.get_state_display()})."
    else:
        return _record_match(line, application, by)
    line.save()
    return line


def _record_match(line: BankStatementLine, application: Application, by) -> BankStatementLine:
    try:
        with transaction.atomic():
            line.payment = confirm_payment(
                application=application,
                amount=line.amount,
                method=Application.PaymentMethod.BANK_TRANSFER,
                provider_reference=f"statement:{line.society_id}:{line.line_key}",
                received_on=line.date,
                by=by,
            )
            line.status = Status.MATCHED
            application.refresh_from_db()
            line.note = application.get_state_display()
            line.save()
    except PaymentError as refused:
        line.payment = None
        line.status = Status.REFUSED
        line.note = str(refused)
        line.save()
    return line


def _application_for(society: Society, reference: str) -> Application | None:
    candidates = [f"CS-{code.upper()}" for code in REFERENCE_PATTERN.findall(reference)]
    if not candidates:
        return None
    return (
        Application.objects.filter(payment_reference__in=candidates, offer__share_class__society=society)
        .order_by("pk")
        .first()
    )
