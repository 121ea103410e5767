"""Transfers of shares where the class allows them: the holder asks, the receiver accepts
through an emailed link, the board approves (the register's transfer entry moves the shares and
the certificates follow on both sides) or refuses with a reason.

The receiver's limits are checked when they accept and again by the register itself when the
board approves: the class's maximum holding, and the statutory limit on withdrawable shares.
A transfer never gives control: an investor class confers no vote whoever holds it.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.models import ShareClass
from capital.money import format_money, to_pennies
from capital.services import record_audit
from investors.earmarks import earmarks
from investors.errors import TransferError
from investors.models import TransferRequest
from investors.notify import email_address, email_holder
from shares.errors import RegisterError
from shares.models import Holder, Holding
from shares.services.register import transfer_shares, withdrawable_capital_held

State = TransferRequest.State
LINK_SALT = "commonshare.transfers.accept"
LINK_DAYS = 30


# --- Asking -------------------------------------------------------------------------------------------


def request_transfer(
    *,
    holder: Holder,
    share_class: ShareClass,
    shares: int,
    price: Money | Decimal,
    receiver_name: str,
    receiver_email: str,
    by=None,
    now: datetime.datetime | None = None,
) -> TransferRequest:
    """Ask to transfer `shares` to the person named; they are emailed a link to accept."""
    if by is not None and holder.user_id != by.pk:
        raise TransferError("You can only transfer your own shares.")
    if holder.died_on is not None:
        raise TransferError(
            f"{holder} is recorded as having died: their shares pass as their estate is settled."
        )
    if not share_class.transferable:
        raise TransferError(
            f"{share_class.name} are not transferable under {share_class.society}'s rules"
            + (": withdrawable shares are withdrawn instead." if share_class.withdrawable else ".")
        )
    if shares < 1:
        raise TransferError("Transfer at least one share.")
    if not receiver_name.strip() or "@" not in receiver_email:
        raise TransferError("Give the receiver's name and email address: they are sent a link to accept.")
    price = _price(share_class, price)
    with transaction.atomic():
        # The class, then the holding, as withdrawals lock them: one request at a time per holding.
        ShareClass.objects.select_for_update().get(pk=share_class.pk)
        holding = (
            Holding.objects.select_for_update(of=("self",))
            .filter(holder=holder, share_class=share_class)
            .first()
        )
        held = holding.shares if holding else 0
        spoken_for = earmarks(holder, share_class)
        free = held - spoken_for.total
        if shares > free:
            raise TransferError(
                f"You hold {held} {share_class.name}{spoken_for.describe()}; "
                f"you can transfer at most {max(free, 0)}."
            )
        if share_class.confers_membership and 0 < free - shares < share_class.membership_minimum_shares:
            raise TransferError(
                f"Members keep at least {share_class.membership_minimum_shares} {share_class.name}: "
                f"transfer all {free}, or at most {free - share_class.membership_minimum_shares}."
            )
        request = TransferRequest.objects.create(
            holder=holder,
            share_class=share_class,
            shares=shares,
            price=price,
            receiver_name=receiver_name.strip(),
            receiver_email=receiver_email.strip(),
            requested_at=now or timezone.now(),
        )
        record_audit(
            society=share_class.society,
            actor=by,
            action="transfer.requested",
            summary=f"{holder} asked to transfer {shares} {share_class.name} to {request.receiver_name} "
            f"for {format_money(price)}",
            transfer=request.pk,
        )
        email_address(
            to=request.receiver_email,
            name=request.receiver_name,
            template="transfer_offer",
            subject=f"{holder.name} would like to transfer shares in {share_class.society.name} to you",
            request=request,
            society=share_class.society,
            from_name=holder.name,
            price=format_money(price),
            link=acceptance_link(request),
            days=LINK_DAYS,
        )
    return request


# The most the register's money fields hold (14 digits, 2 of them pennies).
LARGEST_PRICE = Decimal("999999999999.99")


def _price(share_class: ShareClass, price) -> Money:
    currency = share_class.society.currency
    if isinstance(price, Money):
        if str(price.currency) != currency:
            raise TransferError(f"Give the price in {currency}.")
        price = price.amount
    try:
        price = Decimal(price)
    except (InvalidOperation, TypeError, ValueError):
        raise TransferError("Give the price as an amount of money, such as 250.00.") from None
    if price.is_finite() and abs(price) > LARGEST_PRICE:
        raise TransferError(f"The price can be at most {format_money(Money(LARGEST_PRICE, currency))}.")
    try:
        to_pennies(price)
    except ValueError:
        raise TransferError(f"Give the price in whole pennies, not {price}.") from None
    if price < 0:
        raise TransferError("The price cannot be less than nothing (give 0 for a gift).")
    return Money(price, currency)


def acceptance_link(request: TransferRequest) -> str:
    token = signing.dumps({"transfer": request.pk, "to": request.receiver_email.lower()}, salt=LINK_SALT)
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{reverse('transfer-accept', args=[token])}"


def request_for_link(token: str) -> TransferRequest:
    """The transfer a receiver's link is for, or why the link no longer works."""
    try:
        claim = signing.loads(token, salt=LINK_SALT, max_age=LINK_DAYS * 86400)
    except signing.BadSignature:
        raise TransferError(
            "This link is not valid any more: ask the holder to send the transfer again."
        ) from None
    request = (
        TransferRequest.objects.select_related("holder", "share_class__society", "receiver")
        .filter(pk=claim["transfer"], receiver_email__iexact=claim["to"])
        .first()
    )
    if request is None:
        raise TransferError("This link is not valid any more: ask the holder to send the transfer again.")
    return request


# --- The receiver's answer ------------------------------------------------------------------------


def receiver_on_register(request: TransferRequest, user=None) -> Holder | None:
    """Who the receiver already is on the register, by the address the link was sent to
    (following the link proves they read that mailbox): the logged-in holder if it is theirs,
    else the one holder with that address. Anyone else gives their details as someone new, so a
    forwarded link never moves shares to whoever happens to open it."""
    address = request.receiver_email
    if user is not None and user.is_authenticated:
        holder = Holder.objects.filter(user=user, email__iexact=address).first()
        if holder is not None:
            return holder
    matches = list(Holder.objects.filter(email__iexact=address)[:2])
    return matches[0] if len(matches) == 1 else None


def accept_transfer(
    *, token: str, user=None, details: dict | None = None, now: datetime.datetime | None = None
) -> TransferRequest:
    """The receiver accepts: as the holder they already are, or as a new holder with `details`
    (name, postal address, date of birth). The receiver's limits are checked now."""
    found = request_for_link(token)
    with transaction.atomic():
        request = _locked(found)
        request.transition_to(State.AWAITING_BOARD)
        receiver = receiver_on_register(request, user)
        if receiver is None:
            if not details:
                raise TransferError("Give your name, postal address and date of birth to accept.")
            receiver = Holder.objects.create(
                name=details["name"].strip(),
                email=request.receiver_email,
                postal_address=details["postal_address"].strip(),
                date_of_birth=details["date_of_birth"],
                user=_own_login(user, request.receiver_email),
            )
        if receiver.pk == request.holder_id:
            raise TransferError("The shares are already yours: a transfer is to someone else.")
        if receiver.died_on is not None:
            raise TransferError("The receiver is recorded as having died; the transfer cannot be accepted.")
        check_receiver_limits(request, receiver)
        request.receiver, request.accepted_at = receiver, now or timezone.now()
        request.save(update_fields=["state", "receiver", "accepted_at"])
        record_audit(
            society=request.share_class.society,
            actor=user if user is not None and user.is_authenticated else None,
            action="transfer.accepted",
            summary=f"{receiver} accepted {request.shares} {request.share_class.name} from {request.holder}",
            transfer=request.pk,
        )
        email_holder(
            holder=request.holder,
            template="transfer_accepted",
            subject=f"Your transfer of shares in {request.share_class.society.name} was accepted",
            request=request,
            society=request.share_class.society,
        )
    return request


def _own_login(user, email: str):
    """The logged-in user, to link the new holder to, if they sign in with the link's address."""
    if user is None or not user.is_authenticated or Holder.objects.filter(user=user).exists():
        return None
    return user if user.email and user.email.lower() == email.lower() else None


def decline_transfer(*, token: str) -> TransferRequest:
    found = request_for_link(token)
    with transaction.atomic():
        request = _locked(found)
        request.transition_to(State.DECLINED)
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "decided_at"])
        record_audit(
            society=request.share_class.society,
            actor=None,
            action="transfer.declined",
            summary=f"{request.receiver_name} declined {request.holder}'s transfer of {request.shares} "
            f"{request.share_class.name}",
            transfer=request.pk,
        )
        email_holder(
            holder=request.holder,
            template="transfer_declined",
            subject=f"Your transfer of shares in {request.share_class.society.name} was declined",
            request=request,
            society=request.share_class.society,
        )
    return request


def cancel_transfer(*, request: TransferRequest, by=None) -> TransferRequest:
    """The holder changes their mind before the board decides."""
    with transaction.atomic():
        request = _locked(request)
        if by is not None and request.holder.user_id != by.pk:
            raise TransferError("You can only cancel your own transfers.")
        request.transition_to(State.CANCELLED)
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["state", "decided_at", "decided_by"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="transfer.cancelled",
            summary=f"{request.holder} cancelled the transfer of {request.shares} {request.share_class.name}",
            transfer=request.pk,
        )
    return request


def check_receiver_limits(request: TransferRequest, receiver: Holder) -> None:
    """The class's maximum holding and the statutory limit on withdrawable shares, for the
    receiver with these shares added (the register checks the same again when it moves them)."""
    share_class = request.share_class
    held = Holding.objects.filter(holder=receiver, share_class=share_class).values_list("shares", flat=True)
    after = (held.first() or 0) + request.shares
    if share_class.maximum_holding_shares is not None and after > share_class.maximum_holding_shares:
        raise TransferError(
            f"{receiver} would hold {after} {share_class.name}; the most one holder may hold is "
            f"{share_class.maximum_holding_shares}."
        )
    if share_class.withdrawable and not receiver.is_exempt_from_holding_limit_in(share_class.society):
        society = share_class.society
        value = share_class.nominal_value.amount * request.shares
        total = withdrawable_capital_held(receiver, society) + value
        if total > society.individual_withdrawable_limit:
            limit = format_money(society.money(society.individual_withdrawable_limit))
            raise TransferError(
                f"{receiver} would hold {format_money(society.money(total))} of withdrawable shares in "
                f"{society}; the law allows {limit}."
            )


# --- The board's decision ---------------------------------------------------------------------------


def approve_transfer(
    *, request: TransferRequest, by, on_date: datetime.date | None = None
) -> TransferRequest:
    """A director approves: the register's transfer entry moves the shares (dated `on_date`,
    today by default), ending the holder's certificates and certifying both sides."""
    permissions.require(by, "decide_transfers", request.share_class.society)
    on_date = on_date or timezone.localdate()
    if on_date > timezone.localdate():
        raise TransferError("Transfers are approved on or before today, not in the future.")
    with transaction.atomic():
        share_class = (
            ShareClass.objects.select_for_update().select_related("society").get(pk=request.share_class_id)
        )
        request = _locked(request)
        receiver = request.receiver  # read afresh with the request
        if receiver is not None and receiver.died_on is not None:
            raise TransferError(
                f"{receiver} is recorded as having died on {receiver.died_on:%-d %B %Y}, after accepting: "
                f"refuse this transfer, and the shares stay with {request.holder}."
            )
        request.transition_to(State.COMPLETED)
        try:
            check_receiver_limits(request, request.receiver)
            request.ledger_entry = transfer_shares(
                society=share_class.society,
                holder=request.holder,
                to=request.receiver,
                share_class=share_class,
                shares=request.shares,
                effective_date=on_date,
                reference=f"Transfer {request.pk} for {format_money(request.price)}",
            )
        except RegisterError as error:
            raise TransferError(f"The register refused the transfer: {error} Nothing changed.") from error
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["state", "ledger_entry", "decided_at", "decided_by"])
        record_audit(
            society=share_class.society,
            actor=by,
            action="transfer.approved",
            summary=f"{request.shares} {share_class.name} from {request.holder} to {request.receiver} "
            f"for {format_money(request.price)} (register entry #{request.ledger_entry.sequence})",
            transfer=request.pk,
        )
        _tell_both(request)
    return request


def refuse_transfer(*, request: TransferRequest, reason: str, by) -> TransferRequest:
    permissions.require(by, "decide_transfers", request.share_class.society)
    if not reason.strip():
        raise TransferError("Say why the transfer is refused; the holder and the receiver are told.")
    with transaction.atomic():
        request = _locked(request)
        request.transition_to(State.REFUSED)
        request.refusal_reason, request.decided_at, request.decided_by = reason.strip(), timezone.now(), by
        request.save(update_fields=["state", "refusal_reason", "decided_at", "decided_by"])
        record_audit(
            society=request.share_class.society,
            actor=by,
            action="transfer.refused",
            summary=f"{request.holder}'s transfer of {request.shares} {request.share_class.name}: {reason}",
            transfer=request.pk,
        )
        _tell_both(request)
    return request


def _tell_both(request: TransferRequest) -> None:
    society = request.share_class.society
    refused = request.state == State.REFUSED
    for holder, giving in ((request.holder, True), (request.receiver, False)):
        if holder is None:
            continue
        email_holder(
            holder=holder,
            template="transfer_refused" if refused else "transfer_approved",
            subject=f"The transfer of shares in {society.name} " + ("was refused" if refused else "is done"),
            request=request,
            society=society,
            giving=giving,
            price=format_money(request.price),
        )


def _locked(request: TransferRequest) -> TransferRequest:
    return (
        TransferRequest.objects.select_for_update(of=("self",))
        .select_related("holder", "receiver", "share_class__society")
        .get(pk=request.pk)
    )
