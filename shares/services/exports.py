"""The register of members as the 2014 Act (s.30) asks for it."""

from dataclasses import dataclass

from capital import spreadsheets
from capital.models import Society
from shares.models import Holding, LedgerEntry

REGISTER_FIELDS = [
    "name",
    "postal_address",
    "email",
    "share_class",
    "member",
    "shares_held",
    "amount_paid",
    "currency",
    "date_admitted",
    "date_ceased",
]


@dataclass(frozen=True)
class RegisterLine:
    holding: Holding

    def as_row(self) -> dict[str, str]:
        holding = self.holding
        share_class = holding.share_class
        died_on = holding.holder.died_on
        ceased_on = min(filter(None, (holding.ceased_on, died_on)), default=None)
        return {
            "name": holding.holder.name,
            "postal_address": " ".join(holding.holder.postal_address.split()),
            "email": holding.holder.email,
            "share_class": share_class.name,
            "member": "yes"
            if share_class.confers_membership
            and holding.shares >= share_class.membership_minimum_shares
            and died_on is None
            else "no",
            "shares_held": str(holding.shares),
            "amount_paid": f"{holding.amount_paid.amount:.2f}",
            "currency": str(holding.amount_paid.currency),
            "date_admitted": holding.first_issued_on.isoformat(),
            "date_ceased": ceased_on.isoformat() if ceased_on else "",
        }


def register_lines(society: Society):
    holdings = (
        Holding.objects.filter(share_class__society=society)
        .select_related("holder", "share_class")
        .order_by("holder__name", "holder__pk", "share_class__name")
    )
    for holding in holdings.iterator(chunk_size=2000):
        yield RegisterLine(holding)


def write_register_csv(society: Society, out) -> int:
    writer = spreadsheets.dict_writer(out, REGISTER_FIELDS)
    writer.writeheader()
    count = 0
    for line in register_lines(society):
        writer.writerow(line.as_row())
        count += 1
    return count


LEDGER_FIELDS = [
    "sequence",
    "recorded_at",
    "effective_date",
    "kind",
    "holder",
    "counterparty",
    "share_class",
    "shares",
    "amount",
    "currency",
    "reference",
    "previous_hash",
    "entry_hash",
]


def write_ledger_csv(society: Society, out) -> int:
    """The full ledger with its hashes, so an auditor can recompute the chain outside the platform."""
    writer = spreadsheets.dict_writer(out, LEDGER_FIELDS)
    writer.writeheader()
    entries = (
        LedgerEntry.objects.filter(society=society)
        .select_related("holder", "counterparty", "share_class")
        .order_by("sequence")
    )
    count = 0
    for entry in entries.iterator(chunk_size=2000):
        writer.writerow(
            {
                "sequence": entry.sequence,
                "recorded_at": entry.recorded_at.isoformat(timespec="microseconds"),
                "effective_date": entry.effective_date.isoformat(),
                "kind": entry.kind,
                "holder": entry.holder.name,
                "counterparty": entry.counterparty.name if entry.counterparty else "",
                "share_class": entry.share_class.name,
                "shares": entry.shares,
                "amount": f"{entry.amount.amount:.2f}",
                "currency": str(entry.amount.currency),
                "reference": entry.reference,
                "previous_hash": entry.previous_hash,
                "entry_hash": entry.entry_hash,
            }
        )
        count += 1
    return count
