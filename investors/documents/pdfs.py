"""Statements of returns and yearly summaries as PDFs: the figures from `investors.runs.statements`,
formatted and printed through the register's PDF renderer."""

import dataclasses
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from capital.models import Society
from capital.money import format_money
from capital.returns import Terms
from capital.returns.wording import describe_terms
from investors.models import DistributionRun, SurplusRun
from investors.runs.statements import StatementFigures, annual_summary, statement_figures
from investors.runs.tax_year import HMRC_REPORTING_THRESHOLD, tax_year, tax_year_label
from investors.surplus.statements import surplus_statement_figures
from shares.documents import render_pdf, society_logo_uri
from shares.models import Holder


def statement_context(run: DistributionRun, holder: Holder) -> dict:
    figures = statement_figures(run, holder)
    terms = Terms.from_record(run.terms)
    society = run.share_class.society
    first, last = tax_year(figures.tax_year)
    return {
        "society": society,
        "logo": society_logo_uri(society),
        "run": run,
        "share_class": run.share_class,
        "holder": holder,
        "figures": figures,
        "money": _formatted(figures, society.currency),
        "terms": terms,
        "terms_in_words": describe_terms(terms, society.currency),
        "hurdle": _money(terms.hurdle, society.currency),
        "percent": {
            "pool": _percent_text(terms.pool_percent),
            "rate": _percent_text(figures.rate_percent),
            "ceiling": _percent_text(terms.rate_ceiling_percent),
            "pool_share": _percent_text(figures.pool_share_percent),
            "cap_multiple": _percent_text(terms.cap_multiple, sign=""),
        },
        "tax_year_first": first,
        "tax_year_last": last,
        "tax_year_label": tax_year_label(figures.tax_year),
        "threshold": format_money(Money(HMRC_REPORTING_THRESHOLD, society.currency)),
        "issued_on": timezone.localdate(),
    }


def statement_pdf(run: DistributionRun, holder: Holder) -> bytes:
    """One holder's statement of returns for one approved (or paid) run, as an A4 PDF."""
    return render_pdf("pdf/statement.html", statement_context(run, holder))


def annual_summary_context(society: Society, holder: Holder, starting: int) -> dict:
    summary = annual_summary(society, holder, starting)
    currency = society.currency
    return {
        "society": society,
        "logo": society_logo_uri(society),
        "holder": holder,
        "summary": summary,
        "holdings": [
            {"holding": holding, "capital": _money(holding.capital, currency)} for holding in summary.holdings
        ],
        "payments": [
            {"payment": payment, "money": _formatted(payment, currency)} for payment in summary.payments
        ],
        "totals": {
            "cash": _money(summary.total_cash, currency),
            "reinvested": _money(summary.total_reinvested, currency),
            "redeemed": _money(summary.total_redeemed, currency),
            "interest": _money(summary.total_interest, currency),
        },
        "tax_year_label": tax_year_label(starting),
        "threshold": format_money(Money(HMRC_REPORTING_THRESHOLD, currency)),
        "issued_on": timezone.localdate(),
    }


def annual_summary_pdf(society: Society, holder: Holder, tax_year: int) -> bytes:
    """The yearly summary of one investor's holdings and payments in the tax year starting on
    6 April `tax_year`, as an A4 PDF."""
    return render_pdf("pdf/annual_summary.html", annual_summary_context(society, holder, tax_year))


def surplus_statement_context(run: SurplusRun, holder: Holder) -> dict:
    figures = surplus_statement_figures(run, holder)
    currency = run.society.currency
    return {
        "society": run.society,
        "logo": society_logo_uri(run.society),
        "run": run,
        "holder": holder,
        "figures": figures,
        "parts": [
            {
                "figures": part,
                "share_percent": _percent_text(part.share_percent),
                "money": {
                    name: _money(getattr(part, name), currency)
                    for name in ("part_amount", "paid", "cash", "member_shares_value")
                },
            }
            for part in figures.parts
        ],
        "money": {
            "surplus": format_money(run.surplus),
            "reserves": format_money(run.reserves),
            "labour": format_money(run.labour),
            "user": format_money(run.user),
            "investor": format_money(run.investor),
            "paid": _money(figures.paid, currency),
            "cash": _money(figures.cash, currency),
            "member_shares_value": _money(figures.member_shares_value, currency),
            "nominal_value": _money(figures.nominal_value, currency) if figures.nominal_value else "",
        },
        "issued_on": timezone.localdate(),
    }


def surplus_statement_pdf(run: SurplusRun, holder: Holder) -> bytes:
    """One member's statement of their Labour or User dividend for one approved surplus run."""
    return render_pdf("pdf/surplus_statement.html", surplus_statement_context(run, holder))


# --- Printing -------------------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    return format_money(Money(amount, currency))


def _formatted(figures, currency: str) -> dict[str, str]:
    """Every amount of a figures dataclass, formatted as money (days, counts and rates are not)."""
    money_fields = {
        "capital", "surplus", "pool", "ceiling_amount", "paid", "cash", "nominal_value", "reinvested_value",
        "redeemed", "cumulative", "cap", "left_to_cap", "tax_year_interest", "interest",
    }  # fmt: skip
    formatted = {
        field.name: _money(getattr(figures, field.name), currency)
        for field in dataclasses.fields(figures)
        if field.name in money_fields and getattr(figures, field.name) is not None
    }
    if isinstance(figures, StatementFigures):
        formatted["bank_amount"] = _money(figures.bank_amount, currency)
    return formatted


def _percent_text(value: Decimal | None, sign: str = "%") -> str:
    """7.00 → "7%", 3.50 → "3.5%"."""
    if value is None:
        return ""
    return f"{value.normalize():f}{sign}"
