"""A society's board records (or ends) a registered society's exemption from its holding limit."""

from django.db import IntegrityError, transaction

from capital import permissions
from capital.models import Society
from capital.services import record_audit
from shares.errors import RegisterError
from shares.models import Holder, HoldingLimitExemption


def record_limit_exemption(
    *, society: Society, registration_number: str, evidence: str, by=None
) -> HoldingLimitExemption:
    """Exempt the organisation registered as `registration_number` from `society`'s limit on
    withdrawable shares, on the `evidence` the board checked. Directors only; audited."""
    permissions.require(by, "grant_limit_exemptions", society)
    number = registration_number.strip()
    evidence = evidence.strip()
    if not evidence:
        raise RegisterError("Say what the board checked (the Mutuals Public Register entry, say).")
    holders = list(Holder.objects.filter(kind=Holder.Kind.ORGANISATION, organisation_number__iexact=number))
    if not holders:
        raise RegisterError(
            f"No organisation investing has the registration number {number!r}: check it against "
            "the organisation's application."
        )
    if len(holders) > 1:
        raise RegisterError(f"Several organisations give the number {number!r}; ask the platform's staff.")
    holder = holders[0]
    with transaction.atomic():
        try:
            with transaction.atomic():
                exemption = HoldingLimitExemption.objects.create(
                    society=society, holder=holder, evidence=evidence, granted_by=by
                )
        except IntegrityError:
            raise RegisterError(f"{holder} is already exempt from {society}'s holding limit.") from None
        record_audit(
            society=society,
            actor=by,
            action="limit_exemption.recorded",
            summary=f"{holder} ({number}) has no limit on withdrawable shares: {evidence}",
            holder=holder.pk,
        )
    return exemption


def end_limit_exemption(*, exemption: HoldingLimitExemption, by=None, reason: str = "") -> None:
    """End an exemption: the holder's next application or issue counts against the limit again."""
    permissions.require(by, "grant_limit_exemptions", exemption.society)
    with transaction.atomic():
        deleted, _ = HoldingLimitExemption.objects.filter(pk=exemption.pk).delete()
        if deleted:
            record_audit(
                society=exemption.society,
                actor=by,
                action="limit_exemption.ended",
                summary=f"{exemption.holder} is held to the limit on withdrawable shares again"
                + (f": {reason.strip()}" if reason.strip() else ""),
                holder=exemption.holder_id,
            )
