"""An application sent from the site's form: one application per form, whatever the network
or the investor's double click does.

Each form page carries a one-time token. The transaction that makes the application records the
token in the audit trail; the same form sent again finds it there and is shown the first
application instead of making a second. Two copies arriving at once are serialised by the
holder's lock (or, on a first application, by the holder's unique link to the login).
"""

from django.db import transaction

from capital.models import AuditEntry, Offer
from capital.services import record_audit
from investors.models import Application
from investors.services.applications import apply_for_shares
from shares.models import Holder

FORM_SENT = "application.form_sent"


class AlreadySent(Exception):
    """This very form (its one-time token) already made an application."""

    def __init__(self, application: Application):
        super().__init__(application.payment_reference)
        self.application = application


def application_sent_with(token: str, user) -> Application | None:
    entry = AuditEntry.objects.filter(action=FORM_SENT, actor=user, data__form_token=token).first()
    if entry is None:
        return None
    return Application.objects.filter(pk=entry.data.get("application"), holder__user=user).first()


def apply_with_form(
    *,
    offer: Offer,
    user,
    token: str,
    payment_method: str,
    amount,
    holder: Holder | None,
    new_holder_details: dict | None = None,
) -> Application:
    """Apply as `user`'s holder, or as a new holder made from `new_holder_details` in the same
    transaction (with the verified login email, and never exempt from the legal limit: only a
    society's board can say a holder is a registered society). Raises `AlreadySent` for a
    form already sent, and whatever `apply_for_shares` refuses; an IntegrityError means the
    same first form created the holder at this moment in another request."""
    with transaction.atomic():
        if holder is not None:
            holder = Holder.objects.select_for_update().get(pk=holder.pk, user=user)
        else:
            holder = Holder.objects.create(
                user=user, email=user.email, is_registered_society=False, **new_holder_details
            )
        earlier = application_sent_with(token, user)
        if earlier is not None:
            raise AlreadySent(earlier)
        application = apply_for_shares(
            offer=offer, holder=holder, payment_method=payment_method, amount=amount
        )
        record_audit(
            society=offer.society,
            actor=user,
            action=FORM_SENT,
            summary=f"Application form sent for {application.payment_reference}",
            form_token=token,
            application=application.pk,
        )
    return application
