"""Named helpers for money arithmetic: every rounding in the project goes through here."""

from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from djmoney.money import Money

PENNY = Decimal("0.01")


def round_half_up(value: Decimal) -> Decimal:
    return value.quantize(PENNY, rounding=ROUND_HALF_UP)


def whole_shares(amount: Money, price: Money) -> int:
    """How many whole shares `amount` buys at `price` (rounded down)."""
    if amount.currency != price.currency:
        raise ValueError(f"Cannot divide {amount.currency} by {price.currency}.")
    return int((amount.amount / price.amount).to_integral_value(rounding=ROUND_DOWN))


def format_money(value: Money) -> str:
    """£1,250.00 — for messages people read; a loss is −£5,000.00 (a minus sign before the symbol)."""
    symbols = {"GBP": "£", "EUR": "€", "USD": "$"}
    code = str(value.currency)
    rounded = round_half_up(value.amount)
    sign = MINUS if rounded < 0 else ""
    amount = f"{abs(rounded):,.2f}"
    return f"{sign}{symbols[code]}{amount}" if code in symbols else f"{sign}{amount} {code}"


MINUS = "\u2212"  # the minus sign, as printed figures show it (not a hyphen)


# --- Exact arithmetic in whole pennies, for splitting and capping ---------------------------------
# Pro-rata shares, caps and interest are worked out in integer pennies so that no step rounds
# except the named one: a Decimal division keeps only 28 digits, which can move a floor by a penny.

MULTIPLE_DECIMALS = 4


def to_pennies(value: Decimal) -> int:
    """An amount as whole pennies; refuses (rather than rounds) anything finer than a penny."""
    pennies = value.scaleb(2)
    try:
        whole = int(pennies)
    except (ValueError, OverflowError):  # NaN, infinity
        whole = None
    if whole is None or pennies != whole:
        raise ValueError(f"{value} is not a whole number of pennies.")
    return whole


def from_pennies(pennies: int) -> Decimal:
    """Whole pennies back to an amount with exactly two decimal places (1234 → 12.34)."""
    return Decimal(pennies).scaleb(-2)


def divide_down(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded down (both non-negative), for a limit that must never be
    exceeded: a cap of 1.5 × £3,333.33 is £4,999.99."""
    return numerator // denominator


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (both non-negative)."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient + 1 if 2 * remainder >= denominator else quotient


def multiple_of(amount: Decimal, capital: Decimal) -> Decimal:
    """How many times `capital` has come back: amount / capital to four decimals, halves up."""
    scaled = divide_half_up(to_pennies(amount) * 10**MULTIPLE_DECIMALS, to_pennies(capital))
    return Decimal(scaled).scaleb(-MULTIPLE_DECIMALS)


def split_pro_rata(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split `total` in proportion to `weights` so that the parts sum exactly to `total`.

    Largest remainder: each part is floored to the penny, then the pennies left over go one each
    to the largest fractional remainders, ties to the earlier weight (the earlier holding in the
    register, when the weights are in register order).
    """
    parts = split_pennies_pro_rata(to_pennies(total), _as_integers(weights))
    return [from_pennies(part) for part in parts]


def split_pennies_pro_rata(total: int, weights: Sequence[int]) -> list[int]:
    """`split_pro_rata` in whole pennies and integer weights, for callers that already work so."""
    if total < 0:
        raise ValueError("Cannot split a negative amount.")
    if any(weight < 0 for weight in weights):
        raise ValueError("Weights cannot be negative.")
    whole = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if whole == 0:
        raise ValueError("Cannot split an amount when every weight is zero.")
    parts = [total * weight // whole for weight in weights]
    leftover = total - sum(parts)
    if leftover:
        # Remainders share the denominator `whole`, so comparing the integers compares the
        # fractions. The sort is stable, so of equal remainders the earlier weight ranks first.
        remainders = [total * weight - part * whole for weight, part in zip(weights, parts, strict=True)]
        ranked = sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)
        for index in ranked[:leftover]:
            parts[index] += 1
    return parts


def _as_integers(weights: Sequence[Decimal | int]) -> list[int]:
    """Scale decimal weights by one power of ten so that they all become integers, exactly."""
    places = max((-Decimal(weight).as_tuple().exponent for weight in weights), default=0)
    places = max(places, 0)
    return [int(Decimal(weight).scaleb(places)) for weight in weights]
