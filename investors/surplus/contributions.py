"""The year's labour and user contributions, imported from a CSV.

A file has a header row naming `email` and the contribution (`contribution`, `hours`, `pay`,
`trade`, `purchases` or `amount`), in any order and case; other columns are ignored. Each line
names one member of the part's class by their email (several lines for one member are added
together, as a till's export of purchases would have them). A file with any bad line is
refused whole, with every bad line named, and nothing is written; a good file supersedes the
part's figures for the year (the old import is kept for the record).
"""

import csv
import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from capital import permissions
from capital.models import Society, SurplusRules
from capital.services import record_audit
from investors.errors import SurplusRunError
from investors.models import Contribution, ContributionImport, SurplusRun
from investors.models.surplus import Part
from shares.models import Holder, Holding

CONTRIBUTION_COLUMNS = ("contribution", "hours", "pay", "trade", "purchases", "amount")
# 1250, 7.5, 1,250.00, £1,250.50 — not negative, at most four decimals.
NUMBER = re.compile(r"^(\d{1,3}(,\d{3})+|\d{1,12})(\.\d{1,4})?$")
# What one line, one member's lines together and the whole file may come to: a year's hours,
# pay or trade for a society, and well inside what the register stores (18 digits, 4 decimals).
LARGEST_FIGURE = Decimal("999999999999.9999")
LARGEST_TOTAL = Decimal("9999999999999.9999")
MAX_ERRORS_SHOWN = 20


class ContributionFileError(SurplusRunError):
    """The file was refused; `problems` names every bad line ("Line 4: …")."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        text = " ".join(shown) + (f" … and {more} more." if more else "")
        super().__init__(f"Nothing was imported. {text}")
        self.problems = problems


@dataclass(frozen=True)
class ContributionRow:
    line: int
    email: str
    amount: Decimal


def import_contributions(
    *, society: Society, part: str, year_end, text: str, filename: str = "", by=None
) -> ContributionImport:
    """Record a financial year's contributions for one part from a CSV's text."""
    permissions.require(by, "record_contributions", society)
    part = Part(part)
    _check_year_end(society, year_end)
    rows = parse_contributions(text)
    with transaction.atomic():
        Society.objects.select_for_update().get(pk=society.pk)
        share_class = _part_class(society, part)
        if SurplusRun.objects.filter(
            society=society, ends_on=year_end, state__in=SurplusRun.DECIDED
        ).exists():
            raise SurplusRunError(
                f"The surplus run for the year ending {year_end:%-d %B %Y} is approved: its contributions "
                "can no longer change."
            )
        amounts = _members_of(share_class, rows)
        ContributionImport.objects.filter(society=society, part=part, year_end=year_end, current=True).update(
            current=False
        )
        batch = ContributionImport(
            society=society,
            part=part,
            year_end=year_end,
            filename=filename[:200],
            digest=hashlib.sha256(text.encode()).hexdigest(),
            rows=len(rows),
            total=sum((amount for amount, _ in amounts.values()), Decimal("0")),
            imported_by=by,
        )
        try:
            with transaction.atomic():
                batch.save()
        except IntegrityError:
            raise SurplusRunError(
                "Another import of the same figures was saved at the same moment; try again."
            ) from None
        Contribution.objects.bulk_create(
            Contribution(batch=batch, holder_id=holder_id, amount=amount, lines=_lines_text(lines))
            for holder_id, (amount, lines) in amounts.items()
        )
        record_audit(
            society=society,
            actor=by,
            action="contributions.imported",
            summary=(
                f"{part.label} contributions for the year ending {year_end:%-d %B %Y}: "
                f"{len(amounts)} members, {batch.total.normalize():f} in all ({filename or 'a file'})"
            ),
            contribution_import=batch.pk,
            digest=batch.digest,
        )
    return batch


def _check_year_end(society: Society, year_end) -> None:
    if (year_end.month, year_end.day) != (society.financial_year_end_month, society.financial_year_end_day):
        expected = society.financial_year_end_in(year_end.year)
        raise SurplusRunError(
            f"{society}'s financial year ends on {expected:%-d %B}; the year ending "
            f"{year_end:%-d %B %Y} is not one of its years (did you mean {expected:%-d %B %Y}?)."
        )


def _part_class(society: Society, part: Part):
    rules = SurplusRules.objects.filter(society=society).select_related("labour_class", "user_class").first()
    share_class = getattr(rules, f"{part}_class", None) if rules else None
    if share_class is None:
        raise SurplusRunError(
            f"Set {society}'s surplus rules, naming the {part} members' class, before recording "
            "their contributions."
        )
    return share_class


def parse_contributions(text: str) -> list[ContributionRow]:
    """Every line of the file, or a `ContributionFileError` naming every bad one."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        raise ContributionFileError(
            ["The file is empty: it needs a header row naming email and contribution."]
        )
    columns = {name.strip().lower(): name for name in reader.fieldnames if name}
    amount_column = next((name for name in CONTRIBUTION_COLUMNS if name in columns), None)
    missing = [
        name for name, found in (("email", "email" in columns), ("contribution", amount_column)) if not found
    ]
    if missing:
        raise ContributionFileError(
            [
                f"The header row has no {' or '.join(missing)} column: it needs email and one of "
                f"{', '.join(CONTRIBUTION_COLUMNS)}."
            ]
        )
    rows, problems = [], []
    try:
        for number, raw in enumerate(reader, start=2):
            values = {name.strip().lower(): (value or "").strip() for name, value in raw.items() if name}
            if not any(values.values()):
                continue
            email, written = values.get("email", ""), values.get(amount_column, "")
            if "@" not in email:
                problems.append(f"Line {number}: {email!r} is not an email address.")
                continue
            amount = _number(written)
            if amount is None:
                problems.append(
                    f"Line {number}: {written!r} is not a contribution (a number that is not negative, "
                    "such as 37.5 or 1,250.00)."
                )
                continue
            if amount > LARGEST_FIGURE:
                problems.append(
                    f"Line {number}: {written!r} is more than one contribution can be "
                    f"({LARGEST_FIGURE:,.0f} at most)."
                )
                continue
            rows.append(ContributionRow(line=number, email=email, amount=amount))
    except csv.Error as error:
        problems.append(f"Line {reader.line_num}: the file cannot be read as CSV ({error}).")
    if problems:
        raise ContributionFileError(problems)
    return rows


def _number(written: str) -> Decimal | None:
    cleaned = re.sub(r"[£€\s]", "", written)
    if not NUMBER.fullmatch(cleaned):
        return None
    return Decimal(cleaned.replace(",", ""))


def _members_of(share_class, rows: list[ContributionRow]) -> dict[int, tuple[Decimal, list[int]]]:
    """Each row's holder among those who hold (or held) the part's class, summed per member."""
    members = Holder.objects.filter(
        pk__in=Holding.objects.filter(share_class=share_class).values("holder_id")
    )
    by_email = defaultdict(list)
    for holder in members.only("pk", "email", "name"):
        by_email[holder.email.strip().lower()].append(holder)
    emails = {row.email.lower() for row in rows}
    on_register = set(
        Holder.objects.annotate(address=Lower("email"))
        .filter(address__in=emails)
        .values_list("address", flat=True)
    )
    part_name = share_class.get_kind_display().split()[0].lower()
    amounts: dict[int, tuple[Decimal, list[int]]] = {}
    problems = []
    for row in rows:
        found = by_email.get(row.email.lower(), [])
        if len(found) == 1:
            total, lines = amounts.get(found[0].pk, (Decimal("0"), []))
            amounts[found[0].pk] = (total + row.amount, [*lines, row.line])
        elif len(found) > 1:
            names = ", ".join(f"{holder.name} (#{holder.pk})" for holder in found)
            problems.append(
                f"Line {row.line}: {len(found)} members of {share_class.name} share the email {row.email}: "
                f"{names}; give each their own address on the register."
            )
        elif row.email.lower() in on_register:
            problems.append(
                f"Line {row.line}: {row.email} holds no {share_class.name}, so is not a {part_name} member."
            )
        else:
            problems.append(f"Line {row.line}: no one on the register has the email {row.email}.")
    for total, lines in amounts.values():
        if total > LARGEST_FIGURE:
            problems.append(
                f"Lines {_lines_text(lines)}: together {total:,} for one member, more than one member's "
                f"contribution can be ({LARGEST_FIGURE:,.0f} at most)."
            )
    if sum((total for total, _ in amounts.values()), Decimal("0")) > LARGEST_TOTAL:
        problems.append(f"The file's contributions add up to more than {LARGEST_TOTAL:,.0f}.")
    if problems:
        raise ContributionFileError(problems)
    return amounts


def _lines_text(lines: list[int]) -> str:
    text = ", ".join(map(str, lines))
    return text if len(text) <= 200 else text[:196] + " …"


def current_contributions(society: Society, part: str, year_end) -> ContributionImport | None:
    return ContributionImport.objects.filter(
        society=society, part=part, year_end=year_end, current=True
    ).first()
