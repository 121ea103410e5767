"""The surplus simulator's interface: the JSON it reads, the checks on it, the JSON it prints.

`manage.py simulate_surplus` and `POST /api/v1/surplus/simulate` share these schemas, so bad
input is refused the same way by both (HTTP 422, or exit code 2 with `labour[1].contribution: …`
on standard error) and good input gets the same answer from both. The split itself
(`capital.surplus`) knows nothing of JSON.
"""

from decimal import Decimal
from typing import Annotated, Any

import pydantic
from ninja import Schema
from pydantic import ConfigDict, Field, model_validator

from capital.api.fields import (
    AMOUNT,
    PERCENT,
    UNSIGNED,
    WEIGHT,
    Exact,
    InputError,
    decimal_text,
    error_messages,
    parse_with,
    refuse,
)
from capital.surplus import PARTS, Member, Part, SurplusSplit, split_surplus

# A public endpoint computes on the caller's behalf: this bounds one request's work and answer.
MAX_MEMBERS = 10_000
DEFAULT_INVESTOR_PERCENT = Decimal("25")

Amount = Annotated[
    Decimal,
    Exact,
    Field(max_digits=14, decimal_places=2),
    decimal_text(AMOUNT, "The year's surplus in whole pennies; negative for a loss.", "100000.00"),
]
Fraction = Annotated[
    Decimal,
    Exact,
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    decimal_text(PERCENT, "A percentage of the surplus, from 0 to 100.", "25"),
]
Contribution = Annotated[
    Decimal,
    Exact,
    Field(ge=0, max_digits=16, decimal_places=4),
    decimal_text(WEIGHT, "Hours, pay or trade in the year; not negative.", "1200"),
]
Capital = Annotated[
    Decimal,
    Exact,
    Field(ge=0, max_digits=14, decimal_places=2),
    decimal_text(UNSIGNED, "Capital in whole pennies; not negative.", "5000.00"),
]
Ref = Annotated[str, Field(strict=True, min_length=1, max_length=64)]


class FractionsIn(Schema):
    """Percentages of the surplus; reserves take what the three leave."""

    model_config = ConfigDict(extra="forbid")

    labour: Fraction
    user: Fraction
    investor: Fraction = DEFAULT_INVESTOR_PERCENT


class ContributionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ref: Ref
    contribution: Contribution


class CapitalIn(Schema):
    model_config = ConfigDict(extra="forbid")

    ref: Ref
    capital: Capital


class SurplusIn(Schema):
    """What to split: the year's surplus, the fractions, and each part's members in order."""

    model_config = ConfigDict(extra="forbid")

    surplus: Amount
    fractions: FractionsIn
    labour: list[ContributionIn] = Field(default_factory=list, max_length=MAX_MEMBERS)
    user: list[ContributionIn] = Field(default_factory=list, max_length=MAX_MEMBERS)
    investor: list[CapitalIn] = Field(default_factory=list, max_length=MAX_MEMBERS)

    @model_validator(mode="after")
    def _fractions_fit_and_refs_are_unique(self):
        total = sum((getattr(self.fractions, part) for part in PARTS), Decimal(0))
        if total > 100:
            refuse(
                ("fractions",),
                f"labour, user and investor add up to {total.normalize():f}%: at most 100%, "
                "reserves taking what they leave.",
                self,
            )
        for part in PARTS:
            first_seen = {}
            for index, entry in enumerate(getattr(self, part)):
                if entry.ref in first_seen:
                    refuse(
                        (part, index, "ref"),
                        f"{entry.ref!r} is already the ref of {part}[{first_seen[entry.ref]}]; "
                        "refs must be unique within a part.",
                        self,
                    )
                first_seen[entry.ref] = index
        return self

    def members(self) -> dict[Part, list[Member]]:
        return {
            Part.LABOUR: [Member(ref=each.ref, weight=each.contribution) for each in self.labour],
            Part.USER: [Member(ref=each.ref, weight=each.contribution) for each in self.user],
            Part.INVESTOR: [Member(ref=each.ref, weight=each.capital) for each in self.investor],
        }


class SurplusLineOut(Schema):
    ref: str
    paid: str


class SurplusPartOut(Schema):
    amount: str = Field(
        description="round_half_up(surplus × fraction / 100); 0.00 with no one to receive it."
    )
    lines: list[SurplusLineOut]


class SurplusPartsOut(Schema):
    labour: SurplusPartOut
    user: SurplusPartOut
    investor: SurplusPartOut


class SurplusOut(Schema):
    reserves: str = Field(description="The surplus less the three parts.")
    parts: SurplusPartsOut


def parse_surplus(data: Any) -> SurplusIn:
    """Check decoded JSON against the interface, as the API does before it splits."""
    try:
        return SurplusIn.model_validate(data)
    except pydantic.ValidationError as error:
        raise InputError(error_messages(error)) from None


def parse_surplus_json(text: str) -> SurplusIn:
    return parse_with(parse_surplus, text)


def run_split(request: SurplusIn) -> dict:
    """Split a checked request and render the answer as the interface's JSON-ready dict."""
    split = split_surplus(
        surplus=request.surplus,
        fractions={part: getattr(request.fractions, part) for part in PARTS},
        members=request.members(),
    )
    return render(split)


def render(split: SurplusSplit) -> dict:
    """Money as strings with two decimals, parts and lines in the order they were given."""
    return {
        "reserves": _text(split.reserves),
        "parts": {
            part.value: {
                "amount": _text(split.parts[part].amount),
                "lines": [{"ref": line.ref, "paid": _text(line.paid)} for line in split.parts[part].lines],
            }
            for part in PARTS
        },
    }


def _text(value: Decimal) -> str:
    return format(value, ".2f")
