"""The figures on a member's statement of the surplus dividend: read from what the board
approved (the run, its stored lines and the rules kept with it), never worked out again."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet, Sum

from capital.models import SurplusRules
from investors.errors import DocumentError
from investors.models import SurplusRun
from shares.models import Holder

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PartFigures:
    """One member's share of one part (Labour or User)."""

    part: str  # "labour" or "user"
    label: str
    share_class_name: str
    by_shares: bool  # Labour split by shares held, not by recorded contribution
    weight: Decimal
    part_weight: Decimal
    share_percent: Decimal
    part_amount: Decimal
    paid: Decimal
    cash: Decimal
    member_shares: int
    member_shares_value: Decimal


@dataclass(frozen=True)
class SurplusStatementFigures:
    parts: list[PartFigures]
    rules_in_words: list[str]
    member_shares_class_name: str
    nominal_value: Decimal | None

    @property
    def paid(self) -> Decimal:
        return sum((part.paid for part in self.parts), ZERO)

    @property
    def cash(self) -> Decimal:
        return sum((part.cash for part in self.parts), ZERO)

    @property
    def member_shares(self) -> int:
        return sum(part.member_shares for part in self.parts)

    @property
    def member_shares_value(self) -> Decimal:
        return sum((part.member_shares_value for part in self.parts), ZERO)


def surplus_statement_holders(run: SurplusRun) -> QuerySet[Holder]:
    """Everyone the run pays something in the Labour or User part (investors have their runs' own
    statements)."""
    return Holder.objects.filter(pk__in=run.lines.filter(paid__gt=0).values("holder_id")).order_by(
        "name", "pk"
    )


def surplus_statement_figures(run: SurplusRun, holder: Holder) -> SurplusStatementFigures:
    if run.state not in SurplusRun.DECIDED:
        raise DocumentError(
            f"The surplus run for the year ending {run.ends_on:%-d %B %Y} is a draft: statements are made "
            "once the board has approved it."
        )
    lines = list(run.lines.filter(holder=holder, paid__gt=0).select_related("share_class").order_by("part"))
    if not lines:
        raise DocumentError(
            f"{holder.name} is paid nothing by the surplus run for the year ending {run.ends_on:%-d %B %Y}."
        )
    rules = SurplusRules.from_record(run.society, run.rules)
    member_class = rules.member_shares_class if rules.member_shares_class_id else None
    nominal = member_class.nominal_value.amount if member_class else None
    totals = {
        row["part"]: row["total"] for row in run.lines.values("part").annotate(total=Sum("weight")).order_by()
    }
    amounts = {"labour": run.labour.amount, "user": run.user.amount}
    parts = []
    for line in lines:
        part_weight = totals.get(line.part) or Decimal("0")
        parts.append(
            PartFigures(
                part=line.part,
                label=line.get_part_display(),
                share_class_name=line.share_class.name,
                by_shares=line.part == "labour" and rules.labour_basis == SurplusRules.LabourBasis.SHARES,
                weight=line.weight,
                part_weight=part_weight,
                share_percent=_percent_of(line.weight, part_weight),
                part_amount=amounts[line.part],
                paid=line.paid,
                cash=line.cash,
                member_shares=line.member_shares,
                member_shares_value=(nominal or ZERO) * line.member_shares,
            )
        )
    return SurplusStatementFigures(
        parts=parts,
        rules_in_words=rules.in_words(),
        member_shares_class_name=member_class.name if member_class else "",
        nominal_value=nominal,
    )


def _percent_of(part: Decimal, whole: Decimal) -> Decimal:
    if not whole:
        return Decimal("0.00")
    return (part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
