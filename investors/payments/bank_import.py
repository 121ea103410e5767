"""Importing a society's bank statement (CSV): exact matches are recorded, the rest are listed.

Every line is kept. A line is identified by the hash of its content (and how many identical
lines came before it in the file), so a line that is in two exports of the account imports
once; the file itself is identified by its SHA-256, so the same file uploaded twice (even at the
same moment) is told it is already imported. A statement imports in one transaction, all its
lines or none, in bulk: the lines already imported and the applications their references name
are read once for the whole file, matched in memory, and written with `bulk_create`; exact
payments go through `confirm_bank_receipts`. A large file is imported by a background job
(`import_statement_job`), its progress kept on its `BankStatementImport`.
"""

import csv
import datetime
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from capital import permissions
from capital.models import Society
from capital.money import format_money
from capital.services import record_audit
from investors.errors import PaymentError
from investors.models import Application, BankStatementImport, BankStatementLine, Payment
from investors.payments.services import Receipt, confirm_bank_receipts

REQUIRED_COLUMNS = ("date", "amount", "reference")
REFERENCE_PATTERN = re.compile(r"\bCS[\s-]?([A-HJ-NP-Z2-9]{8})\b", re.IGNORECASE)
# 1250, 1250.5, 1,250.00, -45.10 — and nothing else (no "1.250,00", no "Infinity")
AMOUNT_PATTERN = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d{1,12})(\.\d{1,2})?$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y")
# Files with more lines than this are imported by a background job rather than in the request.
IN_REQUEST_LINES = 2000
CHUNK = 2000
# A statement whose importer has shown no sign of life for this long has lost its worker (killed,
# or its machine restarted): reading updates the sign at least every 10,000 lines, and recording
# holds the statement's row lock until it commits, so a live import is never taken for stalled.
STALLED_AFTER = datetime.timedelta(minutes=5)
Status = BankStatementLine.Status
ImportState = BankStatementImport.State


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
    """Read a statement and record what it can, now, in one transaction. Raises `PaymentError`
    (changing nothing) if the file cannot be read (a missing column, a NUL byte, a bad date or
    amount, named with its line) or was imported already."""
    permissions.require(by, "record_payments", society)
    _resume_if_stalled(society, text)
    rows = parse_statement(text, society.currency)
    with transaction.atomic():
        statement = _claim(society, text, source_name, by, state=ImportState.RECORDING, lines=len(rows))
        result = _record(statement, rows, by)
        _finish(statement, result)
    return result


def queue_bank_statement(
    *, society: Society, text: str, source_name: str = "", by=None
) -> BankStatementImport:
    """Keep a (large) statement and import it in a background job; returns its import, whose
    state and `progress` say how far the job has gone. The header and NUL bytes are checked now;
    a bad line later fails the job with its line number, importing nothing."""
    permissions.require(by, "record_payments", society)
    _resume_if_stalled(society, text)
    check_text(text)
    _columns(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))).fieldnames)
    with transaction.atomic():
        statement = _claim(society, text, source_name, by, state=ImportState.QUEUED, lines=_count_lines(text))
        transaction.on_commit(lambda: import_statement_job.enqueue(statement.pk))
    return statement


@task()
def import_statement_job(statement_id: int) -> str:
    """Import a queued statement (see `queue_bank_statement`): all its lines, or none."""
    return run_statement_import(statement_id).state


def run_statement_import(statement_id: int) -> BankStatementImport:
    with transaction.atomic():
        statement = BankStatementImport.objects.select_for_update().get(pk=statement_id)
        if statement.state != ImportState.QUEUED:
            return statement  # taken by another worker, or finished
        statement.state, statement.heartbeat_at = ImportState.READING, timezone.now()
        statement.save(update_fields=["state", "heartbeat_at"])
    society = statement.society
    by = statement.imported_by

    def progress(lines_read: int) -> None:
        BankStatementImport.objects.filter(pk=statement.pk).update(
            lines_read=lines_read, heartbeat_at=timezone.now()
        )

    try:
        rows = parse_statement(statement.content, society.currency, progress=progress)
        BankStatementImport.objects.filter(pk=statement.pk).update(
            state=ImportState.RECORDING,
            lines_read=len(rows),
            lines_total=len(rows),
            heartbeat_at=timezone.now(),
        )
        with transaction.atomic():
            statement = BankStatementImport.objects.select_for_update().get(pk=statement_id)
            result = _record(statement, rows, by)
            _finish(statement, result)
    except PaymentError as error:
        statement.refresh_from_db()
        statement.state, statement.error, statement.finished_at = (
            ImportState.FAILED,
            str(error),
            timezone.now(),
        )
        statement.save(update_fields=["state", "error", "finished_at"])
        record_audit(
            society=society,
            actor=by,
            action="bank.import_failed",
            summary=f"{statement.source_name or 'Bank statement'}: nothing imported. {error}",
            statement=statement.pk,
        )
    return statement


def resume_stalled_imports(*, society: Society | None = None, digest: str | None = None) -> int:
    """Queue again every statement whose import stopped without finishing (its worker killed,
    its machine restarted, or its task lost before a worker took it): nothing of it was stored,
    since a statement is recorded in one transaction, so it starts again from its first line.
    A statement being recorded right now is locked and left alone. Returns how many."""
    stalled = BankStatementImport.objects.filter(
        state__in=[ImportState.QUEUED, ImportState.READING, ImportState.RECORDING],
        heartbeat_at__lt=timezone.now() - STALLED_AFTER,
    )
    if society is not None:
        stalled = stalled.filter(society=society)
    if digest is not None:
        stalled = stalled.filter(digest=digest)
    resumed = 0
    for pk in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            statement = (
                stalled.filter(pk=pk).select_for_update(skip_locked=True).select_related("society").first()
            )
            if statement is None:
                continue  # finished, resumed by someone else, or being recorded now
            was = statement.get_state_display().lower()
            statement.state, statement.lines_read, statement.heartbeat_at = (
                ImportState.QUEUED,
                0,
                timezone.now(),
            )
            statement.save(update_fields=["state", "lines_read", "heartbeat_at"])
            record_audit(
                society=statement.society,
                actor=None,
                action="bank.import_resumed",
                summary=(
                    f"{statement.source_name or 'Bank statement'}: its import stopped ({was}) and starts "
                    "again from the first line; nothing of it had been stored."
                ),
                statement=statement.pk,
            )
            transaction.on_commit(lambda pk=statement.pk: import_statement_job.enqueue(pk))
        resumed += 1
    return resumed


def check_text(text: str) -> None:
    """Refuse what a statement never contains and the database cannot keep: NUL bytes."""
    position = text.find("\x00")
    if position >= 0:
        line = text.count("\n", 0, position) + 1
        raise PaymentError(f"Line {line} contains a NUL byte: this is not a bank statement as exported.")


def _resume_if_stalled(society: Society, text: str) -> None:
    """The same file uploaded again while its earlier import has stopped: start that one again
    (telling the uploader) rather than answer that it is being imported."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    waiting = BankStatementImport.objects.filter(society=society, digest=digest).exclude(
        state__in=[ImportState.DONE, ImportState.FAILED]
    )
    if waiting.exists() and resume_stalled_imports(society=society, digest=digest):
        raise PaymentError(
            "This statement file's import had stopped before it finished (nothing of it was stored); "
            "it has started again. Its progress is under Bank statements."
        )


def _count_lines(text: str) -> int:
    return max(text.count("\n") - 1 + (not text.endswith("\n")), 0)


def _claim(society, text, source_name, by, *, state, lines) -> BankStatementImport:
    digest = hashlib.sha256(text.encode()).hexdigest()
    statement = BankStatementImport(
        society=society,
        source_name=source_name[:255],
        digest=digest,
        content=text if state == ImportState.QUEUED else "",
        state=state,
        lines_total=lines,
        imported_by=by,
    )
    try:
        with transaction.atomic():
            statement.save(force_insert=True)
    except IntegrityError:
        earlier = (
            BankStatementImport.objects.filter(society=society, digest=digest)
            .exclude(state=ImportState.FAILED)
            .first()
        )
        when = f" on {timezone.localtime(earlier.created_at):%d %B %Y at %H:%M}" if earlier else ""
        raise PaymentError(
            f"This statement file was already imported{when} (or is being imported now); "
            "nothing was imported again. Its lines are under Bank lines."
        ) from None
    return statement


def _finish(statement: BankStatementImport, result: ImportResult) -> None:
    statement.state, statement.finished_at = ImportState.DONE, timezone.now()
    statement.summary, statement.content = result.summary(), ""
    statement.lines_read = statement.lines_total = len(result.new_lines) + result.already_imported
    statement.save(update_fields=["state", "finished_at", "summary", "content", "lines_read", "lines_total"])
    record_audit(
        society=statement.society,
        actor=statement.imported_by,
        action="bank.imported",
        summary=f"{statement.source_name or 'Bank statement'}: {result.summary()}",
        statement=statement.pk,
    )


def _columns(fieldnames) -> dict:
    if fieldnames is None:
        raise PaymentError("The file is empty.")
    columns = {name.strip().lower(): name for name in fieldnames if name}
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise PaymentError(
            f"The statement has no {', '.join(missing)} column (it needs date, amount and reference)."
        )
    return columns


def parse_statement(
    text: str, currency: str, *, progress: Callable[[int], None] | None = None
) -> list[StatementRow]:
    check_text(text)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    _columns(reader.fieldnames)
    seen: Counter = Counter()
    rows = []
    for number, raw in enumerate(reader, start=2):
        if progress and number % 10_000 == 0:
            progress(number - 1)
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


def _record(statement: BankStatementImport, rows: list[StatementRow], by) -> ImportResult:
    """Write the lines not imported before, matched in memory, in bulk."""
    society = statement.society
    result = ImportResult()
    known = set()
    keys = [row.key for row in rows]
    for start in range(0, len(keys), CHUNK):
        known.update(
            BankStatementLine.objects.filter(
                society=society, line_key__in=keys[start : start + CHUNK]
            ).values_list("line_key", flat=True)
        )
    fresh = [row for row in rows if row.key not in known]
    result.already_imported = len(rows) - len(fresh)
    applications = _applications_for(society, fresh)
    paid = _already_paid(applications.values())
    paying: set[int] = set()
    receipts: list[tuple[BankStatementLine, Receipt]] = []
    for row in fresh:
        line = BankStatementLine(
            society=society,
            statement=statement,
            line_key=row.key,
            date=row.date,
            amount=society.money(row.amount),
            reference=row.reference,
            other_columns=row.other_columns,
            source_name=statement.source_name,
        )
        application = _first(applications, row.reference)
        line.application = application
        if row.amount <= 0:
            line.status = Status.NOT_RECEIPT
        elif application is None:
            line.status = Status.UNKNOWN
        elif application.amount != line.amount:
            line.status = Status.WRONG_AMOUNT
            line.note = f"The application is for {format_money(application.amount)}."
        elif application.pk in paid:
            # Perhaps a second payment, perhaps the same one in another export: the treasurer decides.
            line.status = Status.SECOND_RECEIPT
            line.note = (
                f"{application.payment_reference} is already paid ({application.get_state_display()})."
            )
        elif application.pk in paying:
            line.status = Status.SECOND_RECEIPT
            line.note = (
                f"{application.payment_reference} is already paid by an earlier line of this statement."
            )
        else:
            paying.add(application.pk)
            receipt = Receipt(
                application=application,
                amount=line.amount,
                provider_reference=f"statement:{society.pk}:{row.key}",
                received_on=row.date,
            )
            receipts.append((line, receipt))
        result.new_lines.append(line)
    confirm_bank_receipts(society=society, receipts=[receipt for _, receipt in receipts], by=by)
    for line, receipt in receipts:
        if receipt.payment is not None:
            line.payment, line.status = receipt.payment, Status.MATCHED
            line.application = receipt.payment.application
            line.note = receipt.payment.application.get_state_display()
        else:
            line.status, line.note = Status.REFUSED, receipt.refused
    BankStatementLine.objects.bulk_create(result.new_lines, batch_size=CHUNK)
    return result


def _candidates(reference: str) -> list[str]:
    return [f"CS-{code.upper()}" for code in REFERENCE_PATTERN.findall(reference)]


def _applications_for(society: Society, rows: list[StatementRow]) -> dict[str, Application]:
    """The society's applications named by any of the rows' references, by payment reference."""
    references = sorted({candidate for row in rows for candidate in _candidates(row.reference)})
    found = {}
    for start in range(0, len(references), CHUNK):
        found.update(
            (application.payment_reference, application)
            for application in Application.objects.filter(
                payment_reference__in=references[start : start + CHUNK], offer__share_class__society=society
            )
        )
    return found


def _first(applications: dict[str, Application], reference: str) -> Application | None:
    """The earliest application the reference names (a line may name more than one)."""
    named = [applications[code] for code in _candidates(reference) if code in applications]
    return min(named, key=lambda application: application.pk) if named else None


def _already_paid(applications) -> set[int]:
    ids = [application.pk for application in applications]
    paid = set()
    for start in range(0, len(ids), CHUNK):
        paid.update(
            Payment.objects.filter(application__in=ids[start : start + CHUNK]).values_list(
                "application_id", flat=True
            )
        )
    return paid
