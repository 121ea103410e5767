"""An investor withdraws their own application while it is unpaid: two applications made by
mistake (two tabs), or a change of mind, need not hold an offer's shares for the whole
reservation period.

Only the holder's own login may withdraw, only while the application awaits payment (and is
not one whose card is still to be taken for shares set aside at allocation), and only while
the offer is running. The application is cancelled as a director's cancellation is
(`cancel_application`: its shares go back to the offer, audited, here as
`application.withdrawn` by the investor); any hold on its card is released after the commit
(`release_held_card`: if Stripe cannot be reached the hold lapses by itself and `reconcile`
lists it). The row is locked and the rules checked again inside the lock, so a payment
recorded at the same moment either wins (and the withdrawal is refused) or finds the
application cancelled and owes the money back (`confirm_payment`: reason *cancelled*).
"""

from django.db import transaction
from django.utils import timezone

from capital.models import Offer
from capital.money import format_money
from investors.applications.services import cancel_application
from investors.errors import PaymentError
from investors.models import Application
from investors.notify import email_holder
from investors.payments.card_allocation import release_held_card

State = Application.State
WITHDRAWN = "withdrawn by its investor"
ENDED = {State.REFUND_DUE: "being refunded", State.REFUNDED: "refunded"}  # how each reads after "is"


def why_not_withdrawable(application: Application, at=None) -> str | None:
    """Why its investor can no longer withdraw `application`, in words for them; None if they can."""
    offer = application.offer
    about = application.about()
    if application.state == State.PAID:
        return (
            f"{about} has been paid, so it can no longer be withdrawn. If you need your money back, "
            f"write to {offer.society.name} quoting {application.payment_reference}."
        )
    if application.state == State.EXPIRED:
        return (
            f"The reservation for {about} has lapsed: its shares are already released and nothing is "
            "owed for it."
        )
    if application.state != State.AWAITING_PAYMENT:
        state = ENDED.get(application.state, application.get_state_display().lower())
        return f"{about} is {state}: only an unpaid application can be withdrawn."
    if application.card_still_to_take:
        return (
            f"Shares are set aside for {about} until its card is taken, so it can no longer be withdrawn "
            f"here. Write to {offer.society.name} quoting {application.payment_reference}."
        )
    if not offer.is_running(at or timezone.now()):
        return (
            f"{offer.title} has closed, so {about} can no longer be withdrawn. Write to "
            f"{offer.society.name} quoting {application.payment_reference} if you need to."
        )
    return None


def may_be_withdrawn(application: Application, at=None) -> bool:
    return why_not_withdrawable(application, at) is None


def withdraw_application(*, application: Application, by) -> Application:
    """Withdraw `application` as its investor (`by`, the holder's login): cancelled, its shares
    released, any card hold released, the investor emailed that nothing is owed."""
    with transaction.atomic():
        # Lock order, as in every service: (holder,) offer, application.
        Offer.objects.select_for_update().get(pk=application.offer_id)
        locked = (
            Application.objects.select_for_update(of=("self",))
            .select_related("holder", "offer__share_class__society")
            .get(pk=application.pk)
        )
        if by is None or locked.holder.user_id != by.pk:
            raise PaymentError("Only the investor who made an application can withdraw it.")
        refused = why_not_withdrawable(locked)
        if refused:
            raise PaymentError(refused)
        application = cancel_application(
            application=locked, by=by, reason=WITHDRAWN, action="application.withdrawn"
        )
        email_holder(
            holder=locked.holder,
            template="application_withdrawn",
            subject=f"Your application {locked.payment_reference} is withdrawn",
            application=locked,
            society=locked.offer.society,
            amount=format_money(locked.amount),
            by_card=locked.payment_method == Application.PaymentMethod.CARD,
        )
    release_held_card(application=application)  # talks to Stripe: after the commit, outside any lock
    application.refresh_from_db()
    return application
