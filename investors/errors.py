class PaymentError(Exception):
    """An application or payment was refused; the message tells the person what to do."""
