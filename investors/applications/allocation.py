"""Allocating a closed offer: shares issued through the register, or money owed back."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.bulk import update_rows
from capital.decisions import Kind, announce_decision
from capital.models import Offer
from capital.money import format_money
from capital.services import record_audit
from capital.text import counted
from investors.applications.plan import PAYMENT_ORDER, scale_back_plan
from investors.applications.set_aside import may_still_pay
from investors.documents.services import documents_after_allocation
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, CardPayment, Refund
from investors.notify import email_holder
from investors.payments import gateway
from investors.payments.card_allocation import (
    collect_cards_at_allocation,
    committed_at_allocation,
    tell_card_still_to_take,
)
from investors.payments.refunds import owe_back, return_short_lines
from shares.models import LedgerEntry
from shares.services.register import BulkRegisterError, EntryRequest, record_entries

State = Application.State


@dataclass
class AllocationResult:
    offer: Offer
    failed: bool = False
    applications_allocated: int = 0
    shares_issued: int = 0
    refunds: list[Refund] = field(default_factory=list)
    unpaid_cancelled: int = 0
    cards_still_to_take: list[Application] = field(default_factory=list)
    still_to_pay: list[Application] = field(default_factory=list)

    def summary(self) -> str:
        refunded = sum((refund.amount for refund in self.refunds), Money(0, self.offer.society.currency))
        if self.failed:
            return (
                f"The offer failed: it missed its minimum target of "
                f"{format_money(self.offer.minimum_target)}. {len(self.refunds)} payments "
                f"({format_money(refunded)}) are to be refunded."
            )
        return (
            f"{counted(self.shares_issued, 'share')} issued to "
            f"{counted(self.applications_allocated, 'applicant')}; "
            f"{counted(len(self.refunds), 'refund')} due ({format_money(refunded)}); "
            f"{counted(self.unpaid_cancelled, 'unpaid application')} cancelled."
            + self._still_to_pay()
            + self._still_to_take()
        )

    def _still_to_pay(self) -> str:
        if not self.still_to_pay:
            return ""
        shares = sum(application.shares for application in self.still_to_pay)
        last = max(application.reserved_until for application in self.still_to_pay)
        return (
            f" {counted(len(self.still_to_pay), 'unpaid application')} may still be paid (the last by "
            f"{_when(last)}): {counted(shares, 'share')} set aside, issued as each is paid, or "
            "released as each lapses."
        )

    def _still_to_take(self) -> str:
        if not self.cards_still_to_take:
            return ""
        shares = sum(application.shares for application in self.cards_still_to_take)
        references = ", ".join(application.payment_reference for application in self.cards_still_to_take)
        return (
            f" Stripe could not be reached for {counted(len(self.cards_still_to_take), 'card')} "
            f"({references}): {counted(shares, 'share')} set aside until you take each card again "
            "(“Take the held card again” on the application) or cancel it."
        )


def allocate_offer(*, offer: Offer, by=None, on_date: datetime.date | None = None) -> AllocationResult:
    """Issue shares for every paid application of a closed offer, or fail it.

    If paid applications miss the minimum target the offer fails and every payment is owed
    back. Otherwise a first-come offer issues each paid application in full (capacity was
    reserved when it applied) and a scale-back offer shares the capacity by `scale_back`,
    with the excess owed back. Unpaid applications are cancelled (their investors told), except
    one whose card Stripe could not be reached for at allocation, and one whose investor was
    given until after now to pay (a first-come reservation): their shares are set aside.
    """
    permissions.require(by, "allocate_offers", offer.society)
    on_date = on_date or timezone.localdate()
    if offer.card_charge == Offer.CardCharge.ON_ALLOCATION:
        collect_cards_at_allocation(offer=offer)  # talks to Stripe: before the transaction
    with transaction.atomic():
        offer = Offer.objects.select_for_update().select_related("share_class__society").get(pk=offer.pk)
        if offer.state != Offer.State.CLOSED:
            offer.transition_to(Offer.State.ALLOCATED)  # raises the lifecycle's message
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .filter(offer=offer, state__in=[State.AWAITING_PAYMENT, State.PAID])
            .select_related("holder")
            .order_by(PAYMENT_ORDER, "pk")
        )
        result = AllocationResult(offer=offer)
        now = timezone.now()
        paid, set_aside, still_to_pay, unpaid = [], [], [], []
        for application in applications:
            if application.state == State.PAID:
                paid.append(application)
            elif application.card_still_to_take:
                set_aside.append(application)
            elif may_still_pay(offer, application, now):
                still_to_pay.append(application)
            else:
                unpaid.append(application)

        raised = offer.price_per_share * sum(application.shares for application in paid)
        if raised < offer.minimum_target and set_aside:
            raise PaymentError(
                f"Stripe could not be reached to take the card money for "
                f"{', '.join(a.payment_reference for a in set_aside)}, and without it the offer misses "
                "its minimum target. Nothing is issued yet: allocate again in a few minutes (no card is "
                "charged twice), or cancel those applications."
            )
        promised = offer.price_per_share * sum(application.shares for application in still_to_pay)
        if raised < offer.minimum_target <= raised + promised:
            raise PaymentError(_minimum_waits_for(offer, still_to_pay))
        if raised < offer.minimum_target:
            _fail(offer, paid, result)
            unpaid += still_to_pay  # even paid, they could not bring the offer to its minimum
        else:
            _allocate(offer, paid, result, on_date)
            _set_aside(offer, set_aside, result)
            _keep_for_payment(offer, still_to_pay, result)
            documents_after_allocation(offer)  # certificates emailed once this commits
        for application in unpaid:
            _cancel_unpaid(offer, application, result)
        _return_what_lapsed_ones_were_sent(offer, result)
        record_audit(
            society=offer.society,
            actor=by,
            action="offer.failed" if result.failed else "offer.allocated",
            summary=result.summary(),
            offer=offer.pk,
        )
        announce_decision(
            society=offer.society,
            kind=Kind.OFFER_FAILED if result.failed else Kind.OFFER_ALLOCATED,
            summary=f"The offer “{offer.title}”: {result.summary()}",
            actor=by,
            decided_on=on_date,
            offer=offer.pk,
            shares_issued=result.shares_issued,
            applications_allocated=result.applications_allocated,
        )
    return result


def _when(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%-d %B %Y, %H:%M}"


def _minimum_waits_for(offer: Offer, still_to_pay: list[Application]) -> str:
    last = max(application.reserved_until for application in still_to_pay)
    return (
        f"Paid applications are below the minimum target of {format_money(offer.minimum_target)}, "
        f"and {counted(len(still_to_pay), 'unpaid application')} whose investors may still pay (the "
        f"last by {_when(last)}) could bring the offer to it. Nothing is allocated yet: allocate once "
        "they are paid or have lapsed, or cancel them (each investor is told why)."
    )


def _cancel_unpaid(offer: Offer, application: Application, result: AllocationResult) -> None:
    """An application still unpaid when the offer is allocated (or fails) is cancelled, what it
    was sent short goes on its refund list, and its investor is told."""
    if result.failed:
        why = f"The offer did not reach its minimum target of {format_money(offer.minimum_target)}."
    else:
        why = f"The offer has been allocated, and no payment had arrived by {_when(application.pay_by)}."
    application.transition_to(State.CANCELLED)  # the offer's count of reserved shares is set anew
    application.holds_reservation = False
    application.save(update_fields=["state", "holds_reservation"])
    result.unpaid_cancelled += 1
    _return_short_lines(application, result)
    application.offer = offer
    email_holder(
        holder=application.holder,
        template="application_cancelled",
        subject=f"Your application {application.payment_reference} has been cancelled",
        application=application,
        society=offer.society,
        reason=why,
        refunded=False,
        amount=format_money(application.amount),
    )


def _keep_for_payment(offer: Offer, applications: list[Application], result: AllocationResult) -> None:
    """Unpaid first-come applications whose investors still have time to pay keep their
    reserved shares past the allocation (`set_aside`): issued when paid, released if they lapse
    (`expire_reservations`, which tells the investor)."""
    result.still_to_pay.extend(applications)
    offer.shares_reserved += sum(application.shares for application in applications)
    offer.save(update_fields=["shares_reserved"])


def _fail(offer: Offer, paid: list[Application], result: AllocationResult) -> None:
    result.failed = True
    for application in paid:
        _owe_back(application, application.amount, Refund.Reason.OFFER_FAILED, result)
        application.transition_to(State.REFUND_DUE)
        application.holds_reservation = False
        application.save(update_fields=["state", "holds_reservation"])
    offer.transition_to(Offer.State.FAILED)
    offer.shares_reserved = 0
    offer.save(update_fields=["state", "shares_reserved"])


def _allocate(offer: Offer, paid: list[Application], result: AllocationResult, on_date) -> None:
    """Issue every allocation at once (`record_entries`: the register lock taken once, entries,
    holdings and certificates written in bulk), then move the applications on in bulk."""
    allocations = _allocations(offer, paid)
    now = timezone.now()
    price, currency = offer.price_per_share.amount, offer.price_per_share.currency
    requests = [
        EntryRequest(
            kind=LedgerEntry.Kind.ISSUE,
            holder=application.holder,
            share_class=offer.share_class,
            shares=allocations[application.pk],
            amount=Money(price * allocations[application.pk], currency),
            effective_date=on_date,
            reference=f"Offer “{offer.title}”, application {application.payment_reference}",
            about=application,
        )
        for application in paid
        if allocations[application.pk]
    ]
    try:
        record_entries(society=offer.society, requests=requests)
    except BulkRegisterError as error:
        raise PaymentError(
            f"The register refused application {error.request.about.payment_reference}: {error} "
            "Nothing was allocated; cancel that application (its money is owed back), then allocate again."
        ) from error
    entries = {request.about.pk: request.entry for request in requests}
    for application in paid:
        shares = allocations[application.pk]
        excess = application.shares - shares
        if shares:
            application.ledger_entry = entries[application.pk]
            application.transition_to(State.ALLOCATED)
            application.shares_allocated = shares
            application.allocated_at = now
            result.applications_allocated += 1
            result.shares_issued += shares
        else:
            application.transition_to(State.REFUND_DUE)
        application.card_still_to_take = False  # its card money came in before the allocation
        if excess:
            _owe_back(application, offer.price_per_share * excess, Refund.Reason.SCALED_BACK, result)
        application.holds_reservation = False
    update_rows(
        Application,
        paid,
        [
            "state",
            "shares_allocated",
            "allocated_at",
            "holds_reservation",
            "ledger_entry",
            "card_still_to_take",
        ],
    )
    offer.transition_to(Offer.State.ALLOCATED)
    offer.shares_allocated = result.shares_issued
    offer.shares_reserved = result.shares_issued if offer.policy == Offer.Policy.FIRST_COME else 0
    offer.save(update_fields=["state", "shares_allocated", "shares_reserved"])


def _set_aside(offer: Offer, applications: list[Application], result: AllocationResult) -> None:
    """Keep the planned shares of each application whose card is still to be taken out of
    anyone else's reach (reserved on the offer) until its card is taken or it is cancelled;
    its investor is told once the allocation commits."""
    for application in applications:
        application.holds_reservation = True
        application.reserved_until = None  # never lapses by time: the board takes the card or cancels
        application.offer = offer
        result.cards_still_to_take.append(application)
        tell_card_still_to_take(application)
    update_rows(Application, applications, ["holds_reservation", "reserved_until"])
    offer.shares_reserved += sum(application.shares for application in applications)
    offer.save(update_fields=["shares_reserved"])


def _allocations(offer: Offer, paid: list[Application]) -> dict[int, int]:
    """Shares for each paid application: in full, as planned before cards were charged, or
    scaled back per investor."""
    if offer.policy == Offer.Policy.FIRST_COME:
        return {application.pk: application.shares for application in paid}
    if any(application.shares_planned is not None for application in paid):
        return {
            application.pk: min(application.shares, application.shares_planned or 0) for application in paid
        }
    return scale_back_plan(offer, paid)


def _return_what_lapsed_ones_were_sent(offer: Offer, result: AllocationResult) -> None:
    """An application that lapsed before the allocation, sent short, could have been completed
    until now; nothing can revive it after, so what it was sent goes on its refund list."""
    lapsed = Application.objects.filter(
        offer=offer, state=State.EXPIRED, bank_lines__status=BankStatementLine.Status.SHORT
    ).distinct()
    for application in lapsed.select_related("holder").order_by("pk"):
        application.offer = offer
        result.refunds.extend(
            return_short_lines(
                application=application,
                why="lapsed unpaid before allocation",
                reason=Refund.Reason.NOT_MATCHING,
            )
        )


def _return_short_lines(application: Application, result: AllocationResult) -> None:
    result.refunds.extend(
        return_short_lines(application=application, why="was cancelled unpaid at allocation")
    )


def near_miss_sentences(offer: Offer) -> list[str]:
    """Unpaid applications with a bank line that names them but does not cover them: the
    treasurer may still match the rest, or the line goes back."""
    lines = (
        BankStatementLine.objects.filter(
            application__offer=offer,
            application__state=State.AWAITING_PAYMENT,
            status__in=[BankStatementLine.Status.WRONG_AMOUNT, BankStatementLine.Status.SHORT],
        )
        .select_related("application__holder")
        .order_by("application_id", "date", "pk")
    )
    sentences = []
    for line in lines:
        application = line.application
        kept = " (kept; the rest asked for)" if line.status == BankStatementLine.Status.SHORT else ""
        sentences.append(
            f"{application.payment_reference} ({application.holder}, {format_money(application.amount)}) "
            f"has a bank line of {format_money(line.amount)} on {line.date:%-d %B %Y}{kept} that does not "
            "cover it: match or refund it from the bank lines first, or the application is cancelled "
            "unpaid and what was received goes on its refund list."
        )
    return sentences


def _owe_back(application: Application, amount: Money, reason: str, result: AllocationResult) -> None:
    result.refunds.append(owe_back(application=application, payment=None, amount=amount, reason=reason))


def preview_allocation(offer: Offer) -> list[str]:
    """What allocating `offer` now would do, in sentences for the board's confirmation page.
    Reads only: the same rules as `allocate_offer`, on the applications as they stand."""
    applications = list(
        Application.objects.filter(offer=offer, state__in=[State.AWAITING_PAYMENT, State.PAID])
        .select_related("holder")
        .order_by(PAYMENT_ORDER, "pk")
    )
    # A card to be taken at allocation (a hold) counts as paid: it is taken first, for its share.
    committed = set(
        Application.objects.filter(offer=offer).filter(committed_at_allocation()).values_list("pk", flat=True)
    )
    cards = [a for a in applications if a.state == State.AWAITING_PAYMENT and a.pk in committed]
    paid = [a for a in applications if a.state == State.PAID or a.pk in committed]
    now = timezone.now()
    still_to_pay = [a for a in applications if a.pk not in committed and may_still_pay(offer, a, now)]
    unpaid = len(applications) - len(paid) - len(still_to_pay)
    raised = offer.price_per_share * sum(application.shares for application in paid)
    promised = offer.price_per_share * sum(application.shares for application in still_to_pay)
    cancelled = f"{counted(unpaid, 'unpaid application')} will be cancelled."
    if raised < offer.minimum_target <= raised + promised:
        return [_minimum_waits_for(offer, still_to_pay), *near_miss_sentences(offer)]
    if raised < offer.minimum_target:
        cancelled = f"{counted(unpaid + len(still_to_pay), 'unpaid application')} will be cancelled."
        holds = " Every hold on a card is released; nothing is taken." if cards else ""
        return [
            f"Paid applications total {format_money(raised)}, below the minimum target of "
            f"{format_money(offer.minimum_target)}: the offer fails.{holds}",
            f"Every payment ({counted(len(paid), 'payment')}, {format_money(raised)}) will be owed back "
            "to the investors.",
            cancelled,
            *near_miss_sentences(offer),
        ]
    allocations = _allocations(offer, paid)
    shares = sum(allocations.values())
    scaled = [application for application in paid if allocations[application.pk] < application.shares]
    owed = offer.price_per_share * sum(
        application.shares - allocations[application.pk] for application in paid
    )
    sentences = [
        f"{counted(shares, 'share')} ({format_money(offer.price_per_share * shares)}) will be issued to "
        f"{counted(sum(1 for a in paid if allocations[a.pk]), 'applicant')} through the register, with "
        "a certificate each, emailed once the allocation is saved.",
    ]
    if cards:
        sentences.append(
            f"{counted(len(cards), 'card')} held for this allocation will be charged first, each for exactly "
            "what it is allotted (the rest of each hold is released); an application whose card is "
            "refused is cancelled, its investor told, and its shares stay unissued; one whose card "
            "Stripe cannot be reached for has its shares set aside until its card is taken again."
        )
        lapsing = [a for a in cards if _hold_lapses(a)]
        if lapsing:
            sentences.append(
                f"{counted(len(lapsing), 'card hold')} ({', '.join(a.payment_reference for a in lapsing)}) "
                "may have lapsed at Stripe (holds last seven days): those applications may be cancelled."
            )
    if scaled:
        sentences.append(
            f"{counted(len(scaled), 'application')} scaled back; {format_money(owed)} will be owed back."
        )
    if still_to_pay:
        last = max(application.reserved_until for application in still_to_pay)
        sentences.append(
            f"{counted(len(still_to_pay), 'unpaid application')} may still be paid (the last by "
            f"{_when(last)}, as each investor was told): "
            f"{counted(sum(a.shares for a in still_to_pay), 'share')} stay set aside, issued with a "
            "certificate as each is paid, or released as each lapses."
        )
    sentences.append(cancelled)
    sentences.extend(near_miss_sentences(offer))
    return sentences


def _hold_lapses(application: Application) -> bool:
    """Whether the card hold of an application is about to lapse, or has, at Stripe."""
    hold = application.card_payments.filter(held=True, status=CardPayment.Status.AUTHORISED).first()
    margin = gateway.HOLD_LIFETIME - datetime.timedelta(hours=12)
    return hold is not None and hold.created_at < timezone.now() - margin
