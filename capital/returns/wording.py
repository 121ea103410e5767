"""A schedule's terms in plain words, for offer pages and investors' statements.

One sentence per term, in the order an investor asks: what is paid, when it starts, how it is
shared, where it stops, and what happens at the end.
"""

from decimal import Decimal

from djmoney.money import Money

from capital.money import format_money
from capital.returns.terms import Excess, Terms, Weighting


def describe_terms(terms: Terms, currency: str) -> list[str]:
    sentences = [_what_is_paid(terms, currency)]
    if terms.grace_years:
        years = "year" if terms.grace_years == 1 else f"{terms.grace_years} years"
        sentences.append(f"Nothing is paid for the first {years}, while the business establishes itself.")
    if not terms.is_interest:
        sentences.append(_how_shared(terms))
        if terms.rate_ceiling_percent is not None:
            sentences.append(
                f"No holding is paid more in a year than {_percent(terms.rate_ceiling_percent)} "
                "interest on its capital would be."
            )
    else:
        sentences.append("Interest is counted by the day, from the day your shares were issued.")
    if terms.cap_multiple is not None:
        sentences.append(_cap(terms))
    if terms.term_years is not None:
        sentences.append(_term(terms))
    sentences.append(
        f"Financial years end on {terms.first_year_end:%-d %B}; returns are worked out after each "
        "year's accounts and approved by the board."
    )
    return sentences


def _what_is_paid(terms: Terms, currency: str) -> str:
    if terms.is_interest:
        return (
            f"Interest of up to {_percent(terms.rate_ceiling_percent)} a year on your capital. The board "
            "declares the rate for each year, never above this maximum, and may declare less or nothing "
            "when the society cannot afford it."
        )
    hurdle = ""
    if terms.hurdle:
        hurdle = f" above the first {format_money(Money(terms.hurdle, currency))}"
    return (
        f"A share of profit: {_percent(terms.pool_percent)} of each year's surplus{hurdle} is set aside "
        "for investors. In a year without surplus nothing is paid."
    )


def _how_shared(terms: Terms) -> str:
    if terms.weighting == Weighting.CAPITAL_DAYS:
        return (
            "That amount is shared in proportion to each investor's capital and the days they held it "
            "in the year."
        )
    return "That amount is shared in proportion to each investor's capital at the year's end."


def _cap(terms: Terms) -> str:
    multiple = _number(terms.cap_multiple)
    after = (
        "Anything above a holding's cap stays with the society."
        if terms.excess == Excess.RETAINED
        else "What a capped holding cannot take is shared among the others."
    )
    return (
        f"Returns stop once a holding has received {multiple} times its capital in all (payments and "
        f"capital repaid together); its shares are then cancelled. {after}"
    )


def _term(terms: Terms) -> str:
    if terms.redeem_at_term_end:
        return (
            f"The term is {_years(terms.term_years)}: after the last year your capital is repaid at "
            "its original value (within the cap) and the shares are cancelled."
        )
    return f"Returns are paid for {_years(terms.term_years)} at most."


def _percent(value: Decimal) -> str:
    return f"{_number(value)}%"


def _number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _years(count: int) -> str:
    return "one year" if count == 1 else f"{count} years"
