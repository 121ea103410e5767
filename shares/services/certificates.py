"""Share certificates follow the register: issued with it, ended with it, never renumbered."""

from django.db import transaction
from django.db.models import Max, Q, Sum

from capital.models import Society
from shares.models import Certificate, Holding, LedgerEntry


def certify(entry: LedgerEntry) -> list[Certificate]:
    """The certificates a new register entry calls for, written in its transaction.

    The caller holds the society's register lock, so numbering is gap-free. An issue gets a
    certificate for the shares issued. Anything that takes shares away ends the holder's valid
    certificates in that class and issues one for the balance; a transfer also certifies the
    shares received.
    """
    if entry.kind == LedgerEntry.Kind.ISSUE:
        return [_issue(entry, entry.holder, entry.shares)]
    created = _reissue_balance(entry, entry.holder)
    if entry.kind == LedgerEntry.Kind.TRANSFER:
        created.append(_issue(entry, entry.counterparty, entry.shares))
    return created


def _reissue_balance(entry: LedgerEntry, holder) -> list[Certificate]:
    valid = Certificate.objects.filter(
        holder=holder, share_class=entry.share_class, state=Certificate.State.VALID
    )
    balance = Holding.objects.get(holder=holder, share_class=entry.share_class).shares
    ended = Certificate.State.SUPERSEDED if balance else Certificate.State.CANCELLED
    valid.update(state=ended, ended_by=entry)
    return [_issue(entry, holder, balance)] if balance else []


def _issue(entry: LedgerEntry, holder, shares: int) -> Certificate:
    last = Certificate.objects.filter(society=entry.society).aggregate(last=Max("number"))["last"] or 0
    return Certificate.objects.create(
        society=entry.society,
        number=last + 1,
        holder=holder,
        share_class=entry.share_class,
        shares=shares,
        issued_on=entry.effective_date,
        ledger_entry=entry,
        entry_hash=entry.entry_hash,
    )


def issue_missing_certificates(society: Society) -> int:
    """Make every holding's valid certificates add up to it: for any that do not (a register
    kept before certificates existed), end them and certify the balance, dated and hashed by
    the holding's latest register entry. Idempotent: run it again and nothing changes."""
    count = 0
    with transaction.atomic():
        Society.objects.select_for_update().get(pk=society.pk)
        holdings = Holding.objects.filter(share_class__society=society, shares__gt=0).order_by("pk")
        for holding in holdings.select_related("holder", "share_class"):
            valid = Certificate.objects.filter(
                holder=holding.holder, share_class=holding.share_class, state=Certificate.State.VALID
            )
            if (valid.aggregate(total=Sum("shares"))["total"] or 0) == holding.shares:
                continue
            latest = (
                LedgerEntry.objects.filter(share_class=holding.share_class)
                .filter(Q(holder=holding.holder) | Q(counterparty=holding.holder))
                .order_by("-sequence")
                .first()
            )
            valid.update(state=Certificate.State.SUPERSEDED, ended_by=latest)
            _issue(latest, holding.holder, holding.shares)
            count += 1
    return count
