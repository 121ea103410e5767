"""How investors' features email a holder: `shares.notify` (the one mechanism: a template, the
name cleaned, sent after commit, a mail server that is down logged), with investors' templates
under `templates/investors/email/`. Pass the template's name alone ("refund")."""

from shares import notify
from shares.notify import MAIL_FAILURES, name_for_email, send_now

TEMPLATES = "investors/email"

__all__ = ["MAIL_FAILURES", "email_address", "email_holder", "holder_message", "name_for_email", "send_now"]


def holder_message(*, holder, template: str, subject: str, **context):
    """The message, built but not sent (documents attach their PDF and send it themselves)."""
    return notify.holder_message(
        holder=holder, template=f"{TEMPLATES}/{template}", subject=subject, **context
    )


def email_holder(*, holder, template: str, subject: str, **context) -> None:
    """Email `holder` once the current transaction commits."""
    notify.email_holder(holder=holder, template=f"{TEMPLATES}/{template}", subject=subject, **context)


def email_address(*, to: str, name: str, template: str, subject: str, **context) -> None:
    """Email an address that belongs to no holder yet (an account being made or moved)."""
    notify.email_address(to=to, name=name, template=f"{TEMPLATES}/{template}", subject=subject, **context)
