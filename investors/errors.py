"""What investors' services refuse. Each is a `Refusal`: its message tells the person what to do."""

from capital.errors import Refusal


class PaymentError(Refusal):
    """An application, a payment or a refund was refused."""


class RunError(Refusal):
    """A distribution run (its preview, approval or payment) was refused."""


class WithdrawalError(Refusal):
    """A withdrawal request, or the board's decision on the queue, was refused."""


class DocumentError(Refusal):
    """A document or a batch of documents was refused."""


class AccountError(Refusal):
    """An account action was refused."""


class SurplusRunError(Refusal):
    """A surplus run (its preview, approval or payment), or the year's contributions, was refused."""


class TransferError(Refusal):
    """A transfer of shares (its request, acceptance or the board's decision) was refused."""


class RedemptionError(Refusal):
    """A redemption request, the redemption fund, or the board's decision on the queue was refused."""


class NominationError(Refusal):
    """A nomination (s.37) was refused."""


class EstateError(Refusal):
    """A step in settling a member's estate after their death was refused."""
