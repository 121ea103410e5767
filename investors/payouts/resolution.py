"""Payments owed to holders who gave no payout account, for every bank payment file: a
distribution run's lines, a surplus run's dividends and the investor runs it approved, and a
class's approved redemptions.

Each of those rows carries `payout` and `payout_note` (`investors.models.payouts`). The file
and "record paid" refuse while any row meant for the file has a holder with no complete payout
account; the treasurer resolves each one: the holder gives an account (on their dashboard), it
is paid another way (a cheque, say), or it is held until they give one. Held and otherwise-paid
rows stay out of the payment file. The feature's own service locks the row, checks its state
and writes the audit entry; the rule itself lives here, once.
"""

from django.db.models import Model, QuerySet

from capital.errors import Refusal
from investors.models.payouts import Payout
from investors.payouts.accounts import holders_without_details

NAMED = 10  # holders named in a refusal; the rest are counted


def unresolved(*owed: QuerySet) -> list[Model]:
    """The rows of each of `owed` (rows that send money to a bank account) still meant for the
    payment file whose holder has no complete payout account, in each queryset's order."""
    rows: list[Model] = []
    for queryset in owed:
        waiting = queryset.filter(payout=Payout.BANK_FILE)
        missing = holders_without_details(waiting.values_list("holder_id", flat=True))
        if missing:
            rows.extend(waiting.filter(holder_id__in=missing).select_related("holder"))
    return rows


def missing_accounts_sentence(rows: list[Model]) -> str:
    """ "2 holders owed money have no payout account: A, B." Each holder named once."""
    names = list({row.holder_id: row.holder.name for row in rows}.values())
    named = ", ".join(names[:NAMED])
    more = f" and {len(names) - NAMED} more" if len(names) > NAMED else ""
    if len(names) == 1:
        return f"1 holder owed money has no payout account: {named}."
    return f"{len(names)} holders owed money have no payout account: {named}{more}."


def refuse_while_unresolved(*owed: QuerySet, doing: str, where: str, error: type[Refusal]) -> None:
    """Refuse `doing` ("making the payment file") while any of `owed` is unresolved, naming the
    holders and saying where (`where`: "from the run's lines") to resolve them."""
    rows = unresolved(*owed)
    if rows:
        raise error(
            f"{missing_accounts_sentence(rows)} Before {doing}, resolve each {where}: ask them to give "
            "an account on their dashboard, record it paid another way, or hold it."
        )


def set_resolution(row: Model, *, payout: str, note: str, error: type[Refusal]) -> None:
    """Take a locked row's payment out of the file: paid another way, or held, with a note."""
    if payout not in (Payout.PAID_OTHER_WAY, Payout.HELD):
        raise error("Choose paid another way, or held.")
    note = note.strip()
    if not note:
        raise error("Say how the holder was paid, or why the payment is held.")
    row.payout, row.payout_note = payout, note
    row.save(update_fields=["payout", "payout_note"])


def put_back_in_file(row: Model, *, error: type[Refusal]) -> None:
    """Put a locked row's held payment back in the payment file (the holder gave an account)."""
    if row.payout != Payout.HELD:
        raise error("Only a held payment goes back in the payment file.")
    row.payout, row.payout_note = Payout.BANK_FILE, ""
    row.save(update_fields=["payout", "payout_note"])
