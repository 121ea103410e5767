"""What distribution runs produce for others: the bank's payment file and the return to HMRC.

Both are CSV text built from the stored lines, never recomputed, so they always agree with
what the board approved.
"""

import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Sum

from capital import spreadsheets
from capital.models import Society
from investors.errors import RunError
from investors.models import DistributionLine, DistributionRun
from investors.payouts.accounts import details_of
from investors.runs.payouts import owed_money, refuse_while_accounts_missing
from investors.runs.tax_year import HMRC_REPORTING_THRESHOLD, tax_year
from shares.models import Holder

PAYMENT_FILE_FIELDS = ["name", "sort_code", "account_number", "iban", "amount", "reference"]
HMRC_FIELDS = ["name", "address", "amount"]
BANK_REFERENCE_LENGTH = 18  # what a Bacs payment carries to the payee's statement


def payment_file_csv(run: DistributionRun) -> str:
    """One row per holder to be paid money by an approved run, in register order.

    The amount is what leaves the bank: returns taken in money plus capital repaid (interest
    taken as shares is issued, not paid). Bank details come from the holder's payout account;
    while a holder owed money has none, the file is refused until the treasurer resolves them
    (paid another way or held, which leave the file, or the account given).
    """
    if run.state == DistributionRun.State.DRAFT:
        raise RunError("This run is a draft: approve it before making the payment file.")
    refuse_while_accounts_missing(run, "making the payment file")
    return payment_file_text(payment_rows(run))


def payment_rows(run: DistributionRun) -> Iterator[list[str]]:
    """The payment file's rows for one run (without the header), for this file or a bigger one."""
    lines = (
        owed_money(run)
        .filter(payout=DistributionLine.Payout.BANK_FILE)
        .select_related("holder__payout_account")
        .order_by("holding_id")
    )
    for line in lines.iterator(chunk_size=2000):
        yield payment_row(line.holder, line.bank_amount, f"RETURN Y{run.year} H{line.holding_id}")


def payment_row(holder: Holder, amount: Decimal, reference: str) -> list[str]:
    """One payment to `holder`: their payout account's details (blank where unknown)."""
    account = details_of(holder)
    return [
        account.account_name or holder.name,
        account.sort_code_display,
        account.account_number,
        account.iban,
        f"{amount:.2f}",
        reference[:BANK_REFERENCE_LENGTH],
    ]


def payment_file_text(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow(PAYMENT_FILE_FIELDS)
    writer.writerows(rows)
    return out.getvalue()


def hmrc_interest_return_csv(society: Society, tax_year_starting: int) -> str:
    """Everyone paid £15 or more of share interest by `society` in the tax year starting on
    6 April `tax_year_starting`, with their name, address and the total.

    Counts every run marked paid on a day in that tax year, of every class: interest taken as
    shares is interest paid too. Capital repaid is not interest and is left out.
    """
    first, last = tax_year(tax_year_starting)
    totals = (
        DistributionLine.objects.filter(
            run__share_class__society=society,
            run__state=DistributionRun.State.PAID,
            run__paid_on__range=(first, last),
        )
        .values_list("holder__name", "holder__postal_address", "holder_id")
        .annotate(total=Sum("paid"))
        .filter(total__gte=HMRC_REPORTING_THRESHOLD)
        .order_by("holder__name", "holder_id")
    )
    out = io.StringIO()
    writer = spreadsheets.writer(out)
    writer.writerow(HMRC_FIELDS)
    for name, postal_address, _holder_id, total in totals:
        address = ", ".join(part.strip() for part in postal_address.splitlines() if part.strip())
        writer.writerow([name, address, f"{total:.2f}"])
    return out.getvalue()
