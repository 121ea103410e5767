"""Template filters for the public pages: money and multiples as people read them."""

from decimal import Decimal

from django import template
from djmoney.money import Money

from capital.money import format_money

register = template.Library()


@register.filter
def money(value: Money | None) -> str:
    """£1,250.00; an empty string for no value."""
    return format_money(value) if value is not None else ""


@register.filter
def times(multiple: Decimal | None) -> str:
    """A multiple of capital to two decimals: 1.5 → "1.50×"."""
    if multiple is None:
        return ""
    return f"{multiple.quantize(Decimal('0.01'))}×"
