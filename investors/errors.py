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
