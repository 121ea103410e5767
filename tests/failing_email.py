import smtplib

from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


class RefusingBackend(locmem.EmailBackend):
    """A mail server that refuses any address with "refused" in it, and takes the rest."""

    def send_messages(self, email_messages):
        if any("refused" in address for message in email_messages for address in message.to):
            raise smtplib.SMTPRecipientsRefused({"refused@example.org": (550, b"No such user")})
        return super().send_messages(email_messages)


class UnparseableAddressBackend(BaseEmailBackend):
    """What Django raises for an address it cannot parse."""

    def send_messages(self, email_messages):
        raise ValueError("Invalid address")
