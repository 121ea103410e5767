"""Named helpers for money arithmetic: every rounding in the project goes through here."""

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
    """£1,250.00 — for messages people read."""
    symbols = {"GBP": "£", "EUR": "€", "USD": "$"}
    code = str(value.currency)
    amount = f"{round_half_up(value.amount):,.2f}"
    return f"{symbols[code]}{amount}" if code in symbols else f"{amount} {code}"
