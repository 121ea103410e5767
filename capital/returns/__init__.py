"""The pure returns engine: profit shares and capped interest, year by year, without the database.

`compute_year` is the one calculation (a distribution run calls it for one financial year of
the real register); `simulate` loops it over a run of years for the public simulator.
"""

from capital.returns.amounts import Reinvestment, cap_amount, days_held, interest_for, pool_for, reinvest
from capital.returns.engine import (
    HolderState,
    Holding,
    Line,
    Simulation,
    Status,
    Total,
    Tranche,
    YearResult,
    compute_year,
    in_register_order,
    simulate,
    totals,
)
from capital.returns.terms import Excess, ReturnsError, Terms, Weighting

__all__ = [
    "Excess",
    "HolderState",
    "Holding",
    "Tranche",
    "Line",
    "Reinvestment",
    "ReturnsError",
    "Simulation",
    "Status",
    "Terms",
    "Total",
    "Weighting",
    "YearResult",
    "cap_amount",
    "compute_year",
    "days_held",
    "in_register_order",
    "interest_for",
    "pool_for",
    "reinvest",
    "simulate",
    "totals",
]
