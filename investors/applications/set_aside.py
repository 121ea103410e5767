"""Shares set aside at allocation, for an application whose card Stripe could not be reached
for, or whose investor still had time to pay (a first-come reservation running past the
allocation: the pay-by date they were given holds). They are issued through the register once
the money arrives (the board taking the card again, Stripe's webhook for a capture that did go
through, the bank transfer matched), in the same way allocation issues them, and the certificate
emailed to the investor as the allocation's were. A reservation that runs out lapses as before.

The caller has locked the holder, the offer and the application, and recorded the payment.
"""

from django.db.models import F
from django.utils import timezone
from djmoney.money import Money

from capital.models import Offer
from capital.services import record_audit
from investors.documents.services import certificate_after_late_issue
from investors.errors import PaymentError
from investors.models import Application
from shares.models import LedgerEntry
from shares.services.register import BulkRegisterError, EntryRequest, record_entries


def is_set_aside(offer: Offer, application: Application) -> bool:
    """An allocated offer still keeping this application's shares for its money."""
    return (
        (application.card_still_to_take or application.holds_reservation)
        and offer.state == Offer.State.ALLOCATED
        and application.state in (Application.State.AWAITING_PAYMENT, Application.State.PAID)
    )


def may_still_pay(offer: Offer, application: Application, now) -> bool:
    """An unpaid first-come application whose investor was given until after `now` to pay."""
    return (
        offer.policy == Offer.Policy.FIRST_COME
        and application.state == Application.State.AWAITING_PAYMENT
        and application.holds_reservation
        and application.reserved_until is not None
        and application.reserved_until > now
    )


def issue_set_aside_shares(*, offer: Offer, application: Application) -> LedgerEntry:
    """Issue a paid application's set-aside shares, never beyond the offer's capacity.

    Raises `PaymentError` (nothing written) if the register refuses or the capacity is gone;
    the caller then owes the money back.
    """
    shares = application.shares
    waited_for = "its card was taken" if application.card_still_to_take else "it was paid"
    if offer.shares_allocated + shares > offer.capacity_shares:
        raise PaymentError(f"The offer has no room left for the {shares} shares of {application.about()}.")
    request = EntryRequest(
        kind=LedgerEntry.Kind.ISSUE,
        holder=application.holder,
        share_class=offer.share_class,
        shares=shares,
        amount=Money(offer.price_per_share.amount * shares, offer.price_per_share.currency),
        effective_date=timezone.localdate(),
        reference=f"Offer “{offer.title}”, application {application.payment_reference}",
        about=application,
    )
    try:
        record_entries(society=offer.society, requests=[request])
    except BulkRegisterError as error:
        raise PaymentError(f"The register refused {application.about()}: {error}") from error
    application.transition_to(Application.State.ALLOCATED)
    application.ledger_entry = request.entry
    application.shares_allocated = shares
    application.allocated_at = timezone.now()
    application.card_still_to_take = False
    # A first-come offer's reserved count goes on counting shares once allocated; a scale-back
    # offer's counts only those set aside.
    first_come = offer.policy == Offer.Policy.FIRST_COME
    released = shares if application.holds_reservation and not first_come else 0
    application.holds_reservation = False
    application.save(
        update_fields=[
            "state",
            "ledger_entry",
            "shares_allocated",
            "allocated_at",
            "card_still_to_take",
            "holds_reservation",
        ]
    )
    Offer.objects.filter(pk=offer.pk).update(
        shares_allocated=F("shares_allocated") + shares, shares_reserved=F("shares_reserved") - released
    )
    offer.refresh_from_db(fields=["shares_allocated", "shares_reserved"])
    record_audit(
        society=offer.society,
        actor=None,
        action="application.allocated",
        summary=f"{shares} shares issued to {application.payment_reference}, set aside at the allocation "
        f"of the offer until {waited_for}",
        application=application.pk,
        offer=offer.pk,
    )
    certificate_after_late_issue(request.entry.pk)
    return request.entry
