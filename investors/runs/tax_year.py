"""The UK tax year, and what HMRC must be told about share interest paid in one."""

import datetime
from decimal import Decimal

# Income Tax Act 2007 s.887 (as applied by HMRC's yearly return for societies): everyone paid
# this much share interest or more in the tax year is listed.
HMRC_REPORTING_THRESHOLD = Decimal("15.00")


def tax_year(starting: int) -> tuple[datetime.date, datetime.date]:
    """The UK tax year that starts in `starting`: 6 April to the next 5 April, both included."""
    return datetime.date(starting, 4, 6), datetime.date(starting + 1, 4, 5)


def tax_year_of(day: datetime.date) -> int:
    """The UK tax year a day falls in, by the year it starts (6 April 2024 to 5 April 2025: 2024)."""
    return day.year if day >= datetime.date(day.year, 4, 6) else day.year - 1


def tax_year_label(starting: int) -> str:
    """2024 → "2024–25"."""
    return f"{starting}–{str(starting + 1)[-2:]}"
