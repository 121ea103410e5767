class PaymentError(Exception):
    """An application or payment was refused; the message tells the person what to do."""


class DocumentError(Exception):
    """A batch of documents was refused; the message tells the person what to do."""


class AccountError(Exception):
    """An account action was refused; the message tells the person what to do."""
