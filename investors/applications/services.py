"""Applying for shares: every rule about who may apply for how many, in one locked path; the
application form's one-application-per-form rule; and the room an investor has left to apply.

An application sent from the site's form is made once per form, whatever the network or the
investor's double click does. Each form page carries a one-time token, kept on the application
it made (a unique column); the same form sent again finds it there, in the statement that takes
the holder's lock, and is shown the first application instead of making a second. Two copies
arriving at once are serialised by that lock (or, on a first application, by the holder's unique
link to the login). The copy that waited for the lock may not see the first one's application in
that statement (PostgreSQL answers it as the database was when it began), so the unique column
refuses its application, and a limit the first one used up refuses it too; either way the form
then finds the first application and shows it (`ApplicationForm.submit`).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from djmoney.money import Money

from capital.models import AuditEntry, Offer, ShareClass, Society
from capital.money import format_money
from capital.services import offer_is_accepting, record_audit
from investors.errors import PaymentError
from investors.models import Application, Refund
from investors.notify import email_holder
from investors.payments.refunds import return_short_lines
from shares.models import Holder, Holding
from shares.services.holders import holder_for_user

LIVE = Application.LIVE_STATES


def apply_for_shares(
    *,
    offer: Offer,
    holder: Holder,
    payment_method: str,
    shares: int | None = None,
    amount: Money | None = None,
    now: datetime.datetime | None = None,
) -> Application:
    """Apply for shares in an open offer, for `shares` or for `amount` (a whole number of shares).

    In a first-come offer the shares are reserved now by a conditional update that the
    database serialises, so the offer can never be oversold; the reservation lapses after the
    offer's reservation period unless paid. In a scale-back offer nothing is reserved: paid
    applications are scaled back at allocation.
    """
    with transaction.atomic():
        # One investor's applications are serialised, so two at once cannot both pass the limits.
        holder = _lock_holder(holder.pk)
        offer = _with_terms(offer.pk)  # whatever age the caller's copy is
        application, audit = _apply_locked(offer, holder, payment_method, shares, amount, now)
        audit.save(force_insert=True)
    return application


def _with_terms(pk: int) -> Offer:
    return Offer.objects.select_related("share_class__society").get(pk=pk)


def _lock_holder(pk: int, **also) -> Holder:
    return Holder.objects.select_for_update(of=("self",)).select_related("user").get(pk=pk, **also)


def _apply_locked(
    offer, holder, payment_method, shares, amount, now, form_token=""
) -> tuple[Application, AuditEntry]:
    """The application, made under the holder's lock; returns it with its audit entry, unsaved
    (so that the caller may write it with its own in one statement).

    `offer` is read with its class and society; the state and reservations it was read with are
    not relied on: the conditional UPDATE (or the lock of a scale-back offer) checks it is open."""
    now = now or timezone.now()
    if payment_method not in Application.PaymentMethod.values:
        raise PaymentError(f"Unknown payment method {payment_method!r}.")
    accepted = {
        Application.PaymentMethod.BANK_TRANSFER: offer.accepts_bank_transfer,
        Application.PaymentMethod.CARD: offer.accepts_card,
    }
    if not accepted[payment_method]:
        label = Application.PaymentMethod(payment_method).label.lower()
        raise PaymentError(f"“{offer.title}” does not take payment by {label}: choose another way to pay.")
    shares = _requested_shares(offer, shares, amount)
    if not offer_is_accepting(offer, now):
        raise PaymentError(f"The offer “{offer.title}” is not open for applications.")
    check_limits(offer=offer, holder=holder, shares=shares)
    first_come = offer.policy == Offer.Policy.FIRST_COME
    _take_place(offer, shares, first_come, now)
    application = Application.objects.create(
        offer=offer,
        holder=holder,
        shares=shares,
        amount=offer.price_per_share * shares,
        payment_method=payment_method,
        holds_reservation=first_come,
        reserved_until=now + offer.reservation_period if first_come else None,
        form_token=form_token,
    )
    audit = AuditEntry(
        society=offer.society,
        actor=holder.user,
        action="application.made",
        summary=f"{holder} applied for {shares} shares ({application.payment_reference})",
        data={"application": application.pk},
    )
    tell_application_received(application)  # sent once the caller's transaction commits
    return application, audit


# The society's account for transfers, where the society model records one.
BANK_DETAIL_FIELDS = (
    ("Account name", "bank_account_name"),
    ("Sort code", "bank_sort_code"),
    ("Account number", "bank_account_number"),
    ("IBAN", "bank_iban"),
)


def society_bank_details(society: Society) -> list[tuple[str, str]]:
    """The society's account for bank transfers, as (label, value) lines; empty if not on record."""
    return [(label, value) for label, name in BANK_DETAIL_FIELDS if (value := getattr(society, name))]


def tell_application_received(application: Application) -> None:
    """The investor's receipt: reference, amount, how to pay and by when (sent on commit)."""
    offer = application.offer
    email_holder(
        holder=application.holder,
        template="application_received",
        subject=f"Application received: {application.payment_reference} for {offer.title}",
        application=application,
        offer=offer,
        society=offer.society,
        amount=format_money(application.amount),
        by_card=application.payment_method == Application.PaymentMethod.CARD,
        bank_details=society_bank_details(offer.society),
        pay_by=application.pay_by,
        reserved_until=application.reserved_until,
    )


def _take_place(offer: Offer, shares: int, first_come: bool, now) -> None:
    """Lock the offer row as late as possible, re-checking it is still open.

    The lock is held to the end of the transaction, so the offer cannot close or be allocated
    under this application, and is taken last (after the holder), as every service does.
    """
    if not first_come:
        if not Offer.objects.select_for_update().filter(pk=offer.pk, state=Offer.State.OPEN).exists():
            raise PaymentError(f"The offer “{offer.title}” is not open for applications.")
        return
    if _reserve(offer, shares):
        return
    expire_reservations(offer=offer, now=now)
    if _reserve(offer, shares):
        return
    current = Offer.objects.get(pk=offer.pk)
    if current.state != Offer.State.OPEN:
        raise PaymentError(f"The offer “{offer.title}” is not open for applications.")
    left = offer.capacity_shares - current.shares_reserved
    raise PaymentError(
        f"Only {left} shares are left in this offer; you asked for {shares}."
        if left
        else "This offer is fully subscribed: no shares are left."
    )


def _reserve(offer: Offer, shares: int) -> bool:
    """Hold capacity with one conditional UPDATE: it changes a row only if the shares fit."""
    return bool(
        Offer.objects.filter(
            pk=offer.pk,
            state=Offer.State.OPEN,
            shares_reserved__lte=offer.capacity_shares - shares,
        ).update(shares_reserved=F("shares_reserved") + shares)
    )


def _requested_shares(offer: Offer, shares: int | None, amount: Money | None) -> int:
    price = offer.price_per_share
    if (shares is None) == (amount is None):
        raise PaymentError("Ask for a number of shares or an amount, not both.")
    if amount is not None:
        if str(amount.currency) != str(price.currency):
            raise PaymentError(f"Amounts for this offer are in {price.currency}.")
        shares = offer.shares_for(amount)
        if price * shares != amount:
            below, above = price * shares, price * (shares + 1)
            nearest = f"{format_money(below)} or {format_money(above)}" if shares else format_money(above)
            raise PaymentError(
                f"{format_money(amount)} is not a whole number of {format_money(price)} shares: "
                f"try {nearest}."
            )
    if shares <= 0:
        raise PaymentError("Apply for at least one share.")
    return shares


def amount_refusal(*, offer: Offer, holder: Holder | None, amount: Money, count_holdings: bool = True) -> str:
    """What `apply_for_shares` would refuse about this amount, checked now without locks so that
    a form shows it with its other errors in one round; "" if nothing. The locked path checks
    everything again when the application is made. Without `count_holdings` a holder's limits
    (one query) are left to it."""
    try:
        shares = _requested_shares(offer, None, amount)
        if holder is not None:
            if count_holdings:
                check_limits(offer=offer, holder=holder, shares=shares)
        else:
            if offer.price_per_share * shares < offer.minimum_per_investor:
                raise PaymentError(
                    f"The minimum investment in this offer is {format_money(offer.minimum_per_investor)}."
                )
            room = _investor_room(offer, 0)
            if shares > room.shares:
                raise PaymentError(room.refusal(shares))
        left = shares_left(offer)
        if left is not None and shares > left:
            raise PaymentError(
                f"Only {left:,} shares are left in this offer; you asked for {shares:,}."
                if left
                else "This offer is fully subscribed: no shares are left."
            )
    except PaymentError as refusal:
        return str(refusal)
    return ""


def check_limits(*, offer: Offer, holder: Holder, shares: int) -> None:
    """Would `shares` more for `holder` keep within the offer's, the class's and the law's limits?

    Counts the holder's live applications and holdings (one query); the caller holds the
    holder's lock.
    """
    committed = _committed(offer, holder)
    if offer.price_per_share * (committed.in_offer + shares) < offer.minimum_per_investor:
        raise PaymentError(
            f"The minimum investment in this offer is {format_money(offer.minimum_per_investor)}."
        )
    for room in _rooms(offer, holder, committed):
        if shares > room.shares:
            raise PaymentError(room.refusal(shares))


@dataclass(frozen=True)
class Committed:
    """What a holder has already, as the limits count it, read in one query."""

    in_offer: int = 0  # shares applied for in this offer, not lapsed
    class_held: int = 0  # shares of the offer's class on the register
    class_pending: int = 0  # shares of the class applied for, not yet allotted
    withdrawable_held: Decimal = Decimal("0")  # paid-up withdrawable capital in the society
    withdrawable_pending: Decimal = Decimal("0")  # withdrawable shares applied for, unpaid or paid


def _committed(offer: Offer, holder: Holder) -> Committed:
    """Every figure `_rooms` needs, as scalar subqueries of one SELECT (the statutory limit's
    holdings and applications, the class maximum's, and the offer's own).

    Written as SQL: it runs two or three times in every application, and building the same
    five correlated subqueries through the ORM each time cost more than the rest of the
    application together."""
    share_class = offer.share_class
    figures, params = ["in_offer"], []
    sql = [f"(SELECT SUM(a.shares) FROM {_APPLICATIONS} a WHERE a.holder_id = %s AND a.offer_id = %s"]
    sql[0] += f" AND a.state IN {_states(LIVE)})"
    params += [holder.pk, offer.pk, *LIVE]
    if share_class.maximum_holding_shares is not None:
        figures += ["class_held", "class_pending"]
        sql.append(
            f"(SELECT SUM(h.shares) FROM {_HOLDINGS} h WHERE h.holder_id = %s AND h.share_class_id = %s)"
        )
        sql.append(
            f"(SELECT SUM(a.shares) FROM {_APPLICATIONS} a JOIN {_OFFERS} o ON o.id = a.offer_id"
            f" WHERE a.holder_id = %s AND o.share_class_id = %s AND a.state IN {_states(_UNALLOTTED)})"
        )
        params += [holder.pk, share_class.pk, holder.pk, share_class.pk, *_UNALLOTTED]
    if share_class.withdrawable and not holder.is_exempt_from_holding_limit_in(share_class.society):
        figures += ["withdrawable_held", "withdrawable_pending"]
        sql.append(
            f"(SELECT SUM(h.{_AMOUNT_PAID}) FROM {_HOLDINGS} h JOIN {_CLASSES} c ON c.id = h.share_class_id"
            " WHERE h.holder_id = %s AND c.society_id = %s AND c.withdrawable)"
        )
        sql.append(
            f"(SELECT SUM(a.{_AMOUNT}) FROM {_APPLICATIONS} a JOIN {_OFFERS} o ON o.id = a.offer_id"
            f" JOIN {_CLASSES} c ON c.id = o.share_class_id WHERE a.holder_id = %s AND c.society_id = %s"
            f" AND c.withdrawable AND a.state IN {_states(_PENDING)})"
        )
        params += [holder.pk, share_class.society_id, holder.pk, share_class.society_id, *_PENDING]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql), params)
        row = cursor.fetchone()
    return Committed(**{name: _figure(name, value) for name, value in zip(figures, row, strict=True)})


def _figure(name: str, value) -> int | Decimal:
    if name.startswith("withdrawable"):
        # SQLite sums decimals as floats: back to pence, as the ORM's own converter does.
        return Decimal(str(value or 0)).quantize(Decimal("0.01"))
    return int(value or 0)


_APPLICATIONS = Application._meta.db_table
_HOLDINGS = Holding._meta.db_table
_OFFERS = Offer._meta.db_table
_CLASSES = ShareClass._meta.db_table
_AMOUNT = Application._meta.get_field("amount").column
_AMOUNT_PAID = Holding._meta.get_field("amount_paid").column
_UNALLOTTED = [state for state in LIVE if state != Application.State.ALLOCATED]  # class maximum
_PENDING = [Application.State.AWAITING_PAYMENT, Application.State.PAID]  # statutory limit


def _states(states) -> str:
    return "(" + ", ".join(["%s"] * len(states)) + ")"


@dataclass(frozen=True)
class Room:
    """How many more shares one limit allows, and what it says to someone asking for more."""

    shares: int
    refusal: Callable[[int], str]


@dataclass(frozen=True)
class InvestorRoom:
    """What an investor has applied for already in an offer, and how much more they may ask for:
    the tightest of their per-investor, class and legal limits and of what is left of the offer.
    `why_none` says why, when that is nothing."""

    applied_shares: int
    applied_amount: Money
    most_shares: int
    most_amount: Money
    shares_left: int | None  # what is left of a first-come offer; None: a scale-back offer
    why_none: str = ""


def room_to_apply(*, offer: Offer, holder: Holder | None) -> InvestorRoom:
    """The most shares `holder` may still apply for: the same figures `check_limits` refuses by,
    without trying amounts one by one, and no more than is left of the offer. Someone with no
    register record yet has only the offer's limits. The offer's minimum is not counted."""
    applied = 0
    most, why_none = offer.shares_for(offer.maximum_per_investor), ""
    if holder is not None:
        committed = _committed(offer, holder)
        applied = committed.in_offer
        tightest = min(_rooms(offer, holder, committed), key=lambda room: room.shares)
        most, why_none = tightest.shares, "" if tightest.shares else tightest.refusal(1)
    left = shares_left(offer)
    if left is not None and left < most:
        most = left
        why_none = why_none or ("" if left else "This offer is fully subscribed: no shares are left.")
    price = offer.price_per_share
    return InvestorRoom(applied, price * applied, most, price * most, left, why_none)


def shares_left(offer: Offer) -> int | None:
    """Shares not yet taken in a first-come offer; a scale-back offer takes every application."""
    if offer.policy != Offer.Policy.FIRST_COME:
        return None
    return max(0, offer.capacity_shares - offer.shares_reserved)


def _rooms(offer: Offer, holder: Holder, committed: Committed) -> list[Room]:
    rooms = [_investor_room(offer, committed.in_offer)]
    if offer.share_class.maximum_holding_shares is not None:
        rooms.append(_class_room(offer.share_class, committed))
    if offer.share_class.withdrawable and not holder.is_exempt_from_holding_limit_in(
        offer.share_class.society
    ):
        rooms.append(_statutory_room(offer, committed))
    return rooms


def _investor_room(offer: Offer, already: int) -> Room:
    room = offer.maximum_per_investor - offer.price_per_share * already
    return Room(
        max(0, offer.shares_for(offer.maximum_per_investor) - already),
        lambda shares: (
            f"The maximum investment in this offer is {format_money(offer.maximum_per_investor)} "
            f"per investor; you can apply for up to {format_money(room)} more."
        ),
    )


def _class_room(share_class: ShareClass, committed: Committed) -> Room:
    held, pending = committed.class_held, committed.class_pending
    return Room(
        max(0, share_class.maximum_holding_shares - held - pending),
        lambda shares: (
            f"No one may hold more than {share_class.maximum_holding_shares} shares of the class "
            f"“{share_class.name}”; you hold or have applied for {held + pending}."
        ),
    )


def _statutory_room(offer: Offer, committed: Committed) -> Room:
    """The 2014 Act's cap on withdrawable shares held by anyone but another registered society."""
    society = offer.society
    limit = society.money(society.individual_withdrawable_limit)
    committed = society.money(committed.withdrawable_held + committed.withdrawable_pending)
    return Room(
        max(0, offer.shares_for(limit - committed)),
        lambda shares: (
            f"The law limits anyone but a registered society to {format_money(limit)} of "
            f"withdrawable shares in {society}; this would bring you to "
            f"{format_money(committed + offer.price_per_share * shares)}."
        ),
    )


def expire_reservations(*, offer: Offer | None = None, now: datetime.datetime | None = None) -> int:
    """Release the shares held by unpaid first-come applications whose time has run out."""
    now = now or timezone.now()
    offers = Offer.objects.filter(
        applications__state=Application.State.AWAITING_PAYMENT,
        applications__holds_reservation=True,
        applications__reserved_until__lt=now,
    ).distinct()
    if offer is not None:
        offers = offers.filter(pk=offer.pk)
    expired = 0
    for offer_id in offers.values_list("pk", flat=True):
        with transaction.atomic():
            locked = Offer.objects.select_for_update().get(pk=offer_id)
            lapsed = list(
                Application.objects.select_for_update().filter(
                    offer=locked,
                    state=Application.State.AWAITING_PAYMENT,
                    holds_reservation=True,
                    reserved_until__lt=now,
                )
            )
            for application in lapsed:
                application.transition_to(Application.State.EXPIRED)
                application.holds_reservation = False
                application.save(update_fields=["state", "holds_reservation"])
                # Kept past the allocation: nothing can complete it now.
                if locked.state == Offer.State.ALLOCATED:
                    return_short_lines(
                        application=application,
                        why="lapsed unpaid after the allocation",
                        reason=Refund.Reason.NOT_MATCHING,
                    )
                email_holder(
                    holder=application.holder,
                    template="reservation_lapsed",
                    subject=f"Your application {application.payment_reference} has lapsed",
                    application=application,
                    society=application.offer.society,
                )
            released = sum(application.shares for application in lapsed)
            Offer.objects.filter(pk=locked.pk).update(shares_reserved=F("shares_reserved") - released)
            expired += len(lapsed)
    return expired


REMINDER_BEFORE = datetime.timedelta(days=2)
REMINDED = "application.reminded"


def remind_lapsing_reservations(*, now: datetime.datetime | None = None) -> int:
    """Email each investor whose unpaid reservation lapses within two days, once per application
    (the reminder is recorded in the audit trail, so running this again sends nothing new).
    Run it at least daily (`manage.py remind_reservations`)."""
    now = now or timezone.now()
    due = Application.objects.select_related("holder", "offer__share_class__society").filter(
        state=Application.State.AWAITING_PAYMENT,
        holds_reservation=True,
        reserved_until__gte=now,
        reserved_until__lte=now + REMINDER_BEFORE,
    )
    sent = 0
    for application in due:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application.pk)
            if application.state != Application.State.AWAITING_PAYMENT:
                continue
            society = application.offer.society
            if AuditEntry.objects.filter(
                society=society, action=REMINDED, data__application=application.pk
            ).exists():
                continue
            lapses = timezone.localtime(application.reserved_until)
            record_audit(
                society=society,
                actor=None,
                action=REMINDED,
                summary=f"{application.holder} reminded that {application.payment_reference} lapses "
                f"{lapses:%d %B %Y %H:%M}",
                application=application.pk,
            )
            email_holder(
                holder=application.holder,
                template="reservation_reminder",
                subject=f"Reminder: pay for {application.payment_reference} by {lapses:%-d %B}",
                application=application,
                society=society,
                amount=format_money(application.amount),
                by_card=application.payment_method == Application.PaymentMethod.CARD,
                bank_details=society_bank_details(society),
            )
            sent += 1
    return sent


def cancel_application(
    *, application: Application, by=None, reason: str = "", action: str = "application.cancelled"
) -> Application:
    """An unpaid application is withdrawn (by the board, by its investor, or because its card
    could not be charged); its shares are released, and what it was sent short goes on its refund
    list (the investor is emailed it). Releasing a hold on its card is the
    caller's part (`investors.payments.card_allocation.release_held_card`). `action` names the
    audit entry: `application.withdrawn` when its investor withdrew it."""
    with transaction.atomic():
        offer = Offer.objects.select_for_update().get(pk=application.offer_id)
        application = Application.objects.select_for_update().get(pk=application.pk)
        application.transition_to(Application.State.CANCELLED)
        if application.holds_reservation:
            Offer.objects.filter(pk=offer.pk).update(
                shares_reserved=F("shares_reserved") - application.shares
            )
        application.holds_reservation = False
        application.card_still_to_take = False  # shares set aside at allocation are free again
        application.save(update_fields=["state", "holds_reservation", "card_still_to_take"])
        return_short_lines(application=application, why="was cancelled unpaid")
        record_audit(
            society=application.offer.society,
            actor=by,
            action=action,
            summary=f"{application.payment_reference} cancelled before payment"
            + (f": {reason}" if reason else ""),
            application=application.pk,
            reason=reason,
        )
    return application


# --- The application form ----------------------------------------------------------------------


class AlreadySent(Exception):
    """This very form (its one-time token) already made an application."""

    def __init__(self, application: Application):
        super().__init__(application.payment_reference)
        self.application = application


def holder_for_applicant(*, user) -> Holder | None:
    """The register record `user` applies as: the one linked to their login, or else the one the
    board registered by hand with their verified email address, which is linked to the login now
    (once, audited), so that they apply as that record and not as a second holder."""
    return holder_for_user(user) or link_holder_by_email(user=user)


def link_holder_by_email(*, user) -> Holder | None:
    """Give `user` the register record with their verified address, when exactly one record
    has it and has no login. Two records with one address are left for the board to sort out."""
    if not user.email or Holder.objects.filter(user=user).exists():
        return None
    with transaction.atomic():
        candidates = list(
            Holder.objects.select_for_update().filter(email__iexact=user.email, user__isnull=True)[:2]
        )
        if len(candidates) != 1:
            return None
        holder = candidates[0]
        holder.user = user
        holder.save(update_fields=["user"])
        for society in societies_of(holder):
            record_audit(
                society=society,
                actor=user,
                action="holder.account_linked",
                summary=f"{holder} verified {user.email} and can now see their holdings online",
                holder=holder.pk,
            )
    return holder


def societies_of(holder: Holder):
    """Every society whose register or applications name this holder."""
    return Society.objects.filter(
        Q(pk__in=Holding.objects.filter(holder=holder).values("share_class__society"))
        | Q(pk__in=Application.objects.filter(holder=holder).values("offer__share_class__society"))
    )


def own_application(user, reference: str) -> Application | None:
    """`user`'s application with this payment reference (typed in any case); anyone else's is
    None, as one that does not exist."""
    return (
        Application.objects.select_related("holder", "offer__share_class__society")
        .filter(payment_reference=reference.upper(), holder__user=user)
        .first()
    )


def application_sent_with(token: str, user) -> Application | None:
    if not token:
        return None
    return Application.objects.filter(form_token=token, holder__user=user).first()


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
    same first form created the holder at this moment in another request.

    `offer` is the one read for this request (with its class and society): its terms are fixed
    once it opens, and whether it is still open is checked under its lock. `holder` is the one
    read for this request too: its lock is taken here, reading only what may have changed."""
    if not Offer.share_class.is_cached(offer) or not ShareClass.society.is_cached(offer.share_class):
        offer = _with_terms(offer.pk)
    with transaction.atomic():
        if holder is not None:
            earlier = _lock_holder_for_form(holder, user, token)
            if earlier is not None:
                raise AlreadySent(Application.objects.get(pk=earlier))
        else:
            holder = Holder.objects.create(
                user=user, email=user.email, is_registered_society=False, **new_holder_details
            )
        application, made = _apply_locked(offer, holder, payment_method, None, amount, None, form_token=token)
        made.save(force_insert=True)
    return application


def _lock_holder_for_form(holder: Holder, user, token: str) -> int | None:
    """Lock `holder` (which must be `user`'s) and refresh what the limits read of it; returns the
    id of the application this form's token made before this statement began, if any."""
    sent_with_it = Application.objects.filter(holder=OuterRef("pk"), form_token=token).values("pk")[:1]
    kind, earlier = (
        Holder.objects.select_for_update(of=("self",))
        .filter(pk=holder.pk, user=user)
        .annotate(earlier=Subquery(sent_with_it))
        .values_list("kind", "earlier")
        .get()
    )
    holder.kind = kind  # what the statutory limit's exemption turns on
    holder.user = user
    return earlier
