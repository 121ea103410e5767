"""The board cancels an application, saying why: a director's decision, audited and emailed.

An unpaid application is cancelled and its shares released (a hold on its card is released
first); a paid one is cancelled with its money owed back (a card refund goes back through
Stripe by itself). This is how a board clears an application that stands in the way of an
allocation, whatever its investor does, and how it ends the set-aside of one whose card Stripe
could not be reached for at allocation (the hold is released, the shares set aside are freed).
"""

from django.db import transaction
from django.db.models import F

from capital import permissions
from capital.models import Offer
from capital.money import format_money
from capital.services import record_audit
from investors.applications.services import cancel_application
from investors.applications.set_aside import is_set_aside
from investors.errors import PaymentError
from investors.models import Application, Refund
from investors.notify import email_holder
from investors.payments.card_allocation import release_held_card
from investors.payments.refunds import owe_back

State = Application.State
CANCELLABLE = (State.AWAITING_PAYMENT, State.EXPIRED, State.PAID)
REASON_MAX_LENGTH = 500


def may_be_cancelled(application: Application) -> bool:
    """Before allocation; or after it, one still unpaid whose shares were set aside (its card
    still to be taken, or its investor's time to pay still running)."""
    if application.state == State.AWAITING_PAYMENT and (
        application.card_still_to_take or is_set_aside(application.offer, application)
    ):
        return True
    return application.state in CANCELLABLE and application.offer.state in (
        Offer.State.OPEN,
        Offer.State.CLOSED,
    )


def cancel_application_for_reason(*, application: Application, by, reason: str) -> Application:
    """Cancel `application` for `reason` (shown to its investor), as a director."""
    permissions.require(by, "cancel_applications", application.offer.society)
    reason = " ".join(reason.split())
    if not reason:
        raise PaymentError("Say why the application is cancelled: the investor is told.")
    if len(reason) > REASON_MAX_LENGTH:
        raise PaymentError(f"Keep the reason to {REASON_MAX_LENGTH} characters.")
    release_held_card(application=application)  # talks to Stripe: before any lock
    application = Application.objects.select_related("offer__share_class__society", "holder").get(
        pk=application.pk
    )
    if not may_be_cancelled(application):
        raise PaymentError(
            f"{application.about()} is {application.get_state_display().lower()} in an offer that is "
            f"{application.offer.get_state_display().lower()}: it can no longer be cancelled."
        )
    if application.state == State.PAID:
        application = _cancel_paid(application, by, reason)
    else:
        application = cancel_application(application=application, by=by, reason=reason)
    email_holder(
        holder=application.holder,
        template="application_cancelled",
        subject=f"Your application {application.payment_reference} has been cancelled",
        application=application,
        society=application.offer.society,
        reason=reason,
        refunded=application.state == State.REFUND_DUE,
        amount=format_money(application.amount),
    )
    return application


def _cancel_paid(application: Application, by, reason: str) -> Application:
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=application.offer_id)
        application = Application.objects.select_for_update().select_related("holder").get(pk=application.pk)
        if application.state != State.PAID:
            raise PaymentError(f"{application.about()} changed meanwhile; look at it again.")
        application.transition_to(State.REFUND_DUE)
        if application.holds_reservation:
            Offer.objects.filter(pk=offer.pk).update(
                shares_reserved=F("shares_reserved") - application.shares
            )
        application.holds_reservation = False
        application.save(update_fields=["state", "holds_reservation"])
        owe_back(
            application=application, payment=None, amount=application.amount, reason=Refund.Reason.CANCELLED
        )
        record_audit(
            society=offer.society,
            actor=by,
            action="application.cancelled",
            summary=f"{application.payment_reference} cancelled after payment, "
            f"{format_money(application.amount)} owed back: {reason}",
            application=application.pk,
            reason=reason,
        )
    return application
