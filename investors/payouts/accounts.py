"""Where a holder's returns are paid: the one place that reads and writes a payout account's
bank details.

Everything else (the dashboard, the payment files, the admin's lists) asks this module for a
`PayoutDetails`, never for the model's fields, so that how the details are stored (in plain
columns today, encrypted at rest later) changes here alone.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from capital.models import Society
from capital.services import record_audit
from investors.models import PayoutAccount
from shares.models import Holder


@dataclass(frozen=True)
class PayoutDetails:
    """A holder's bank details as plain values; empty strings where not given."""

    account_name: str = ""
    sort_code: str = ""
    account_number: str = ""
    iban: str = ""

    @property
    def complete(self) -> bool:
        """Enough for the bank to pay: a UK sort code and account number, or an IBAN."""
        return bool((self.sort_code and self.account_number) or self.iban)

    @property
    def sort_code_display(self) -> str:
        code = self.sort_code
        return f"{code[:2]}-{code[2:4]}-{code[4:]}" if code else ""

    def described(self) -> str:
        """The account without its full number: for pages, audit entries and emails."""
        if self.sort_code and self.account_number:
            return f"the account ending {self.account_number[-4:]} (sort code {self.sort_code_display})"
        if self.iban:
            return f"the IBAN ending {self.iban[-4:]}"
        return "no account"

    def described_for_audit(self) -> str:
        """The account as the audit trail keeps it: the last four digits only, no sort code
        (bank details are encrypted at rest, and an audit entry is not)."""
        if self.sort_code and self.account_number:
            return f"the account ending {self.account_number[-4:]}"
        if self.iban:
            return f"the IBAN ending {self.iban[-4:]}"
        return "no account"


NO_DETAILS = PayoutDetails()


def details_of(holder: Holder) -> PayoutDetails:
    """The holder's payout details (empty when none were given). Reads the related row if the
    caller loaded it with `select_related("payout_account")`, else one query."""
    try:
        account = holder.payout_account
    except PayoutAccount.DoesNotExist:
        return NO_DETAILS
    return _details(account)


def details_from(account: PayoutAccount | None) -> PayoutDetails:
    """The details of an account row already in hand (None: no account)."""
    return NO_DETAILS if account is None else _details(account)


def holders_without_details(holder_ids: Iterable[int]) -> set[int]:
    """Which of `holder_ids` have no complete payout account (one query)."""
    holder_ids = set(holder_ids)
    complete = PayoutAccount.objects.filter(holder_id__in=holder_ids).filter(
        (~Q(sort_code="") & ~Q(account_number="")) | ~Q(iban="")
    )
    return holder_ids - set(complete.values_list("holder_id", flat=True))


def save_payout_details(*, holder: Holder, details: PayoutDetails, by) -> PayoutDetails:
    """Give or change where `holder` is paid, with an audit entry in each society they invest in
    (naming the account only by its last four digits). Validated by the model's own rules."""
    with transaction.atomic():
        Holder.objects.select_for_update().filter(pk=holder.pk).first()
        account = PayoutAccount.objects.filter(holder=holder).first() or PayoutAccount(holder=holder)
        before = _details(account) if account.pk else NO_DETAILS
        account.account_name = details.account_name
        account.sort_code = details.sort_code
        account.account_number = details.account_number
        account.iban = details.iban
        account.full_clean()
        account.save()
        after = _details(account)
        if after != before:
            for society in societies_of(holder):
                record_audit(
                    society=society,
                    actor=by,
                    action="payout_account.changed",
                    summary=f"{holder.name}'s returns are now paid to {after.described_for_audit()} "
                    f"(before: {before.described_for_audit()})",
                    holder=holder.pk,
                )
    return after


def societies_of(holder: Holder) -> list[Society]:
    """Every society the holder has applied to or holds shares in."""
    return list(
        Society.objects.filter(
            Q(share_classes__holdings__holder=holder) | Q(share_classes__offers__applications__holder=holder)
        )
        .distinct()
        .order_by("pk")
    )


def _details(account: PayoutAccount) -> PayoutDetails:
    return PayoutDetails(
        account_name=account.account_name,
        sort_code=account.sort_code,
        account_number=account.account_number,
        iban=account.iban,
    )
