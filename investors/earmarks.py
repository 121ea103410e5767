"""Shares already spoken for: asked to be withdrawn, transferred or redeemed, and not yet
decided. A holder can ask to move only the shares they hold less these, whichever feature they
ask through; each request counts them while it holds the lock on the holder's holding."""

from dataclasses import dataclass

from django.db.models import Sum

from investors.models import RedemptionRequest, TransferRequest, WithdrawalRequest
from shares.models import Holder


@dataclass(frozen=True)
class Earmarks:
    withdrawing: int = 0
    transferring: int = 0
    redeeming: int = 0

    @property
    def total(self) -> int:
        return self.withdrawing + self.transferring + self.redeeming

    def describe(self) -> str:
        """ ", 40 of them already in the withdrawal queue" — what the refusal says they are for."""
        if not self.total:
            return ""
        if self.total == self.withdrawing:
            return f", {self.withdrawing} of them already in the withdrawal queue"
        parts = [
            f"{count} asked to be {what}"
            for count, what in (
                (self.withdrawing, "withdrawn"),
                (self.transferring, "transferred"),
                (self.redeeming, "redeemed"),
            )
            if count
        ]
        return f", {self.total} of them already spoken for ({', '.join(parts)})"


def earmarks(holder: Holder, share_class) -> Earmarks:
    """The holder's shares of `share_class` in requests still waiting for a decision."""

    def waiting(requests) -> int:
        return requests.aggregate(total=Sum("shares"))["total"] or 0

    return Earmarks(
        withdrawing=waiting(
            WithdrawalRequest.objects.filter(
                holder=holder, share_class=share_class, state=WithdrawalRequest.State.PENDING
            )
        ),
        transferring=waiting(
            TransferRequest.objects.filter(
                holder=holder, share_class=share_class, state__in=TransferRequest.OPEN
            )
        ),
        redeeming=waiting(
            RedemptionRequest.objects.filter(
                holder=holder, share_class=share_class, state=RedemptionRequest.State.PENDING
            )
        ),
    )
