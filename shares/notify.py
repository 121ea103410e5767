"""The one way to email a holder (or someone signing up): a template, a cleaned name, sent once
the transaction commits.

It lives in `shares`, beside the holders it writes to, so that every app above can reach it:
investors through `investors.notify` (its templates under `templates/investors/email/`),
governance with its own templates. Every message is a plain-text template, rendered with the
recipient's name cleaned by `name_for_email`: anyone can type anything as a name, and what they
typed goes to someone else's mailbox, so it must never become a link or a message of its own.
The mail is queued after the transaction that decided it commits (at once outside one), so no
email describes something that was rolled back, and sent by a worker from the `mail` queue of its
own, so a slow mail server holds up neither a request nor the documents queue; a mail server that
is down is logged and never turns a decision already saved into an error page.

Every message also carries an HTML part: the template's own `.html` when there is one,
otherwise the plain text set in the society's letterhead (its name and logo, from
`templates/shares/email/letter.html`), so an investor always sees who is writing.

Documents build their message here too (`holder_message`) and attach the PDF, but send it
themselves: they must know when the server refuses, to give the send claim back and count it.
"""

import logging
import smtplib
import unicodedata

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django_tasks import task

logger = logging.getLogger(__name__)

NAME_IN_EMAIL_LENGTH = 70
# What a mail server that is down or refuses raises.
MAIL_FAILURES = (OSError, smtplib.SMTPException, ValueError)  # ValueError: an address it cannot parse


def name_for_email(name: str) -> str:
    """A name as our plain-text emails may show it: letters, spaces, hyphens and apostrophes
    only, and not too long."""
    kept = "".join(
        character
        for character in name
        if character.isalpha() or unicodedata.category(character).startswith("M") or character in " -'’"
    )
    return " ".join(kept.split())[:NAME_IN_EMAIL_LENGTH].strip()


LETTER = "shares/email/letter.html"


def message(*, to: str, name: str, template: str, subject: str, **context) -> EmailMultiAlternatives:
    """The email `template` (a template name without `.txt`, e.g. "investors/email/refund") for
    one recipient: the plain text, and an HTML part in the society's letterhead."""
    context = {**context, "name": name_for_email(name), "site_url": site_url()}
    body = render_to_string(f"{template}.txt", context)
    email = EmailMultiAlternatives(subject=subject, body=body, to=[to])
    email.attach_alternative(_html(template, body, context), "text/html")
    return email


def site_url() -> str:
    """The site's address, for the links in an email (`{{ site_url }}{% url … %}`)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def _html(template: str, body: str, context: dict) -> str:
    society = society_of(context)
    letter = {**context, "body": body, "subject_society": society, "logo_url": _logo_url(society)}
    try:
        return render_to_string(f"{template}.html", letter)
    except TemplateDoesNotExist:
        return render_to_string(LETTER, letter)


def society_of(context: dict):
    """The society an email speaks for: given, or the one of the application or offer it is about."""
    if context.get("society") is not None:
        return context["society"]
    application = context.get("application")
    offer = context.get("offer") or getattr(application, "offer", None)
    return getattr(offer, "society", None)


def _logo_url(society) -> str:
    """The logo's address as a mail reader fetches it (absolute), or "" without one."""
    logo = getattr(society, "logo", None)
    if logo is None:
        return ""
    try:
        url = logo.file.url  # the original: the letter's style keeps it small
    except Exception:  # storage that cannot say where the file is: the name alone heads the letter
        logger.warning("Could not find the email logo of %s", society)
        return ""
    return url if "://" in url else site_url() + url


def holder_message(*, holder, template: str, subject: str, **context) -> EmailMultiAlternatives:
    return message(
        to=holder.email, name=holder.name, template=template, subject=subject, holder=holder, **context
    )


def email_holder(*, holder, template: str, subject: str, **context) -> None:
    """Email `holder` once the current transaction commits."""
    _on_commit(lambda: holder_message(holder=holder, template=template, subject=subject, **context))


def email_address(*, to: str, name: str, template: str, subject: str, **context) -> None:
    """Email an address that belongs to no holder yet (an account being made or moved)."""
    _on_commit(lambda: message(to=to, name=name, template=template, subject=subject, **context))


def _on_commit(build) -> None:
    """Build and send the message after the commit, never inside the deciding transaction: a
    template or address that cannot be used is then logged and leaves the decision, and the
    other after-commit work (the next card refund, a document job), as they were."""

    def build_and_queue():
        try:
            email = build()
        except Exception:
            logger.exception("Could not build an email after a commit; it was not sent")
            return
        queue_email(email)

    transaction.on_commit(build_and_queue, robust=True)


def queue_email(email: EmailMultiAlternatives) -> None:
    """Hand the built message to the `mail` queue; if even that fails, send it here and now."""
    try:
        send_queued_email.enqueue(
            subject=email.subject,
            body=email.body,
            from_email=email.from_email,
            to=list(email.to),
            alternatives=[[content, mimetype] for content, mimetype in email.alternatives],
        )
    except Exception:
        logger.exception("Could not queue %r; sending it at once", email.subject)
        send_now(email)


@task(queue_name="mail")
def send_queued_email(*, subject: str, body: str, from_email: str, to: list, alternatives: list) -> bool:
    """Send one holder email from the `mail` queue (True if the mail server took it)."""
    email = EmailMultiAlternatives(subject=subject, body=body, from_email=from_email, to=to)
    for content, mimetype in alternatives:
        email.attach_alternative(content, mimetype)
    return send_now(email)


def send_now(email: EmailMultiAlternatives) -> bool:
    """Send, logging (not raising) a failure; True if the mail server took it. Whatever goes
    wrong (a server that is down or refuses, an address it cannot parse), a decision already
    saved is never turned into an error."""
    try:
        email.send()
    except Exception as error:
        # The subject says which email it was; the log names no one's address.
        logger.warning("Could not send %r: %s: %s", email.subject, type(error).__name__, error)
        return False
    return True
