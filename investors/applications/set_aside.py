"""Shares set aside at allocation for an application whose card Stripe could not be reached
for: issued through the register once its card money arrives (the board taking the card again,
or Stripe's webhook for a capture that did go through), in the same way allocation issues them,
and its certificate emailed to the investor as the allocation's were.

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
    """An allocated offer still keeping this application's planned shares for its card."""
    return (
        application.card_still_to_take
        and offer.state == Offer.State.ALLOCATED
        and application.state in (Application.State.AWAITING_PAYMENT, Application.State.PAID)
    )


def issue_set_aside_shares(*, offer: Offer, application: Application) -> LedgerEntry:
    """Issue a paid application's set-aside shares, never beyond the offer's capacity.

    Raises `PaymentError` (nothing written) if the register refuses or the capacity is gone;
    the caller then owes the money back.
    """
    shares = application.shares
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
    released = shares if application.holds_reservation else 0
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
        "of the offer until its card was taken",
        application=application.pk,
        offer=offer.pk,
    )
    certificate_after_late_issue(request.entry.pk)
    return request.entry
