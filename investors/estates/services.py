"""A member's death, step by step, each audited and on the register.

1. The secretary records the death with the evidence seen (`record_death`): membership ceases
   from that day (the voting roll leaves them out), and requests of theirs still waiting are
   cancelled.
2. If a nomination was in force, the nominated property passes to the nominees, up to the
   statutory £5,000 in total (`pass_nominated_property`): shares of a withdrawable class are
   withdrawn and the money owed to the nominee; shares of a transferable class are transferred
   to them. Shares of a class that is neither cannot pass by nomination.
3. Everything else is held until the personal representatives prove their authority
   (`record_representatives`), then passes to them (`pass_to_representatives`): withdrawn,
   transferred to them as the estate's representatives, or (a class neither withdrawable nor
   transferable) redeemed at its paid-up value, the money owed to them.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from capital import permissions
from capital.models import Society
from capital.money import format_money, round_half_up, split_pennies_pro_rata, to_pennies
from capital.services import record_audit
from investors.errors import EstateError
from investors.models import (
    Estate,
    EstateTransmission,
    Nomination,
    Nominee,
    RedemptionRequest,
    TransferRequest,
    WithdrawalRequest,
)
from investors.models.nominations import STATUTORY_NOMINATION_LIMIT
from investors.notify import email_holder
from shares.errors import RegisterError
from shares.models import Holder, Holding, LedgerEntry
from shares.services.register import remove_shares, transfer_shares

State = Estate.State
How = EstateTransmission.How
Step = EstateTransmission.Step


# --- Recording the death ---------------------------------------------------------------------------


def record_death(*, holder: Holder, society: Society, died_on: datetime.date, evidence: str, by) -> Estate:
    permissions.require(by, "record_deaths", society)
    if not evidence.strip():
        raise EstateError(
            "Say what evidence of the death you saw (the death certificate and its entry, say)."
        )
    if died_on > timezone.localdate():
        raise EstateError("The date of death cannot be in the future.")
    with transaction.atomic():
        holder = Holder.objects.select_for_update().get(pk=holder.pk)
        if holder.died_on is not None and holder.died_on != died_on:
            raise EstateError(
                f"{holder} is already recorded as having died on {holder.died_on:%-d %B %Y}; "
                "the date cannot differ."
            )
        if not Holding.objects.filter(holder=holder, share_class__society=society).exists():
            raise EstateError(f"{holder} has never held shares in {society}.")
        if Estate.objects.filter(holder=holder, society=society).exists():
            raise EstateError(f"{holder}'s death is already recorded for {society}.")
        if holder.died_on is None:
            holder.died_on = died_on
            holder.save(update_fields=["died_on"])
        nomination = Nomination.objects.filter(
            holder=holder, society=society, state=Nomination.State.ACTIVE
        ).first()
        estate = Estate.objects.create(
            holder=holder,
            society=society,
            died_on=died_on,
            evidence=evidence.strip(),
            nomination=nomination,
            recorded_by=by,
        )
        cancelled = _cancel_waiting_requests(holder, society, by)
        record_audit(
            society=society,
            actor=by,
            action="estate.death_recorded",
            summary=f"{holder} died on {died_on:%-d %B %Y} ({evidence.strip()}); "
            "membership ceases from that day"
            + (f"; {cancelled} waiting requests cancelled" if cancelled else "")
            + ("; a nomination is in force" if nomination else ""),
            estate=estate.pk,
        )
    return estate


def _cancel_waiting_requests(holder: Holder, society: Society, by) -> int:
    """Withdrawals, transfers and redemptions the member asked for and the board has not decided:
    their property now passes as the estate is settled."""
    now, count = timezone.now(), 0
    for model, states in (
        (WithdrawalRequest, [WithdrawalRequest.State.PENDING]),
        (TransferRequest, list(TransferRequest.OPEN)),
        (RedemptionRequest, [RedemptionRequest.State.PENDING]),
    ):
        for request in model.objects.select_for_update().filter(
            holder=holder, share_class__society=society, state__in=states
        ):
            request.transition_to(model.State.CANCELLED)
            request.decided_at, request.decided_by = now, by
            request.save(update_fields=["state", "decided_at", "decided_by"])
            count += 1
    return count


# --- The nominated property ------------------------------------------------------------------------


@dataclass
class Piece:
    """Shares of one holding passing to one recipient, and the paid-up value they carry."""

    recipient_name: str
    holding: Holding
    shares: int
    how: str
    value: Decimal
    nominee: Nominee | None = None


@dataclass
class EstatePlan:
    estate: Estate
    step: str
    pieces: list[Piece] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def value(self) -> Decimal:
        return sum((piece.value for piece in self.pieces), Decimal("0.00"))

    def sentences(self) -> list[str]:
        money = self.estate.society.money
        if not self.pieces:
            return self.notes or ["Nothing is left to pass."]
        return [
            *(
                f"{piece.recipient_name}: {piece.shares} {piece.holding.share_class.name} "
                f"({format_money(money(piece.value))}), {_how_words(piece.how)}."
                for piece in self.pieces
            ),
            f"In all {format_money(money(self.value))}, dated the day this is confirmed.",
            *self.notes,
        ]


def _how_words(how: str) -> str:
    return {
        How.TRANSFER: "transferred to them on the register",
        How.WITHDRAWAL: "withdrawn, the money owed to them",
        How.REDEMPTION: "redeemed at their paid-up value, the money owed to them",
    }[how]


def plan_nominated_property(estate: Estate) -> EstatePlan:
    """What passes to the nominees: the member's holdings in register order, shares of
    withdrawable or transferable classes only, until the statutory limit is reached, each
    holding's shares split among the nominees by their percentages (whole shares, by the
    largest remainder)."""
    plan = EstatePlan(estate=estate, step=Step.NOMINATION)
    if estate.nomination is None:
        plan.notes.append("No nomination was in force: everything passes to the personal representatives.")
        return plan
    nominees = list(estate.nomination.nominees.order_by("pk"))
    weights = [int(nominee.percent * 100) for nominee in nominees]
    room = to_pennies(STATUTORY_NOMINATION_LIMIT)
    for holding in _holdings(estate):
        share_class = holding.share_class
        how = (
            How.WITHDRAWAL if share_class.withdrawable else How.TRANSFER if share_class.transferable else None
        )
        if how is None:
            plan.notes.append(
                f"{share_class.name} are neither withdrawable nor transferable: they cannot pass by "
                "nomination and go to the personal representatives."
            )
            continue
        paid = to_pennies(holding.amount_paid.amount)
        within = holding.shares if not paid else min(holding.shares, room * holding.shares // paid)
        if within < holding.shares:
            plan.notes.append(
                f"{holding.shares - within} {share_class.name} are past the statutory limit of "
                f"{format_money(estate.society.money(STATUTORY_NOMINATION_LIMIT))} and go to the personal "
                "representatives."
            )
        for nominee, shares in zip(nominees, split_pennies_pro_rata(within, weights), strict=True):
            if not shares:
                continue
            value = round_half_up(holding.amount_paid.amount * shares / holding.shares)
            plan.pieces.append(Piece(nominee.name, holding, shares, how, value, nominee))
        room -= (
            to_pennies(round_half_up(holding.amount_paid.amount * within / holding.shares)) if within else 0
        )
    return plan


def pass_nominated_property(*, estate: Estate, by, on_date: datetime.date | None = None) -> Estate:
    """Carry out the nomination: every piece through the register, in one transaction."""
    permissions.require(by, "record_deaths", estate.society)
    with transaction.atomic():
        estate = _locked(estate)
        if estate.nomination is None:
            raise EstateError("No nomination was in force: pass everything to the personal representatives.")
        estate.transition_to(State.NOMINATED_PASSED)
        plan = plan_nominated_property(estate)
        for piece in plan.pieces:
            recipient = _nominee_holder(piece.nominee) if piece.how == How.TRANSFER else None
            _pass(estate, piece, Step.NOMINATION, recipient, on_date, by)
        nomination = Nomination.objects.select_for_update().get(pk=estate.nomination_id)
        nomination.transition_to(Nomination.State.EXECUTED)
        nomination.ended_at = timezone.now()
        nomination.save(update_fields=["state", "ended_at"])
        estate.nomination = nomination
        estate.save(update_fields=["state"])
        record_audit(
            society=estate.society,
            actor=by,
            action="estate.nominated_passed",
            summary=f"{estate.holder}'s nominated property passed: " + "; ".join(plan.sentences()),
            estate=estate.pk,
        )
    return estate


def _nominee_holder(nominee: Nominee) -> Holder:
    """The nominee on the register: the one holder with their email, or a new holder."""
    if nominee.email:
        matches = list(Holder.objects.filter(email__iexact=nominee.email)[:2])
        if len(matches) == 1:
            return matches[0]
    return Holder.objects.create(
        name=nominee.name,
        email=nominee.email,
        postal_address=nominee.postal_address,
        date_of_birth=nominee.date_of_birth,
    )


# --- The personal representatives ------------------------------------------------------------------


def record_representatives(
    *, estate: Estate, name: str, postal_address: str, email: str = "", authority: str, by
) -> Estate:
    """The personal representatives, once the secretary has seen proof of their authority."""
    permissions.require(by, "record_deaths", estate.society)
    if not name.strip() or not postal_address.strip():
        raise EstateError("Give the personal representatives' name and postal address.")
    if not authority.strip():
        raise EstateError(
            "Say what proof of their authority you saw: the grant of probate or of letters of administration."
        )
    with transaction.atomic():
        estate = _locked(estate)
        if estate.state == State.SETTLED:
            raise EstateError("The estate is settled: nothing more passes.")
        estate.representative_name, estate.representative_address = name.strip(), postal_address.strip()
        estate.representative_email, estate.authority = email.strip(), authority.strip()
        estate.representatives_recorded_at = timezone.now()
        estate.save()
        record_audit(
            society=estate.society,
            actor=by,
            action="estate.representatives_recorded",
            summary=f"Personal representatives of {estate.holder}: {estate.representative_name} "
            f"({estate.authority})",
            estate=estate.pk,
        )
    return estate


def plan_for_representatives(estate: Estate) -> EstatePlan:
    """Everything the member still holds in the society, to the personal representatives."""
    plan = EstatePlan(estate=estate, step=Step.REPRESENTATIVES)
    name = estate.representative_name or "The personal representatives"
    for holding in _holdings(estate):
        share_class = holding.share_class
        how = (
            How.WITHDRAWAL
            if share_class.withdrawable
            else How.TRANSFER
            if share_class.transferable
            else How.REDEMPTION
        )
        plan.pieces.append(Piece(name, holding, holding.shares, how, holding.amount_paid.amount))
    return plan


def pass_to_representatives(*, estate: Estate, by, on_date: datetime.date | None = None) -> Estate:
    permissions.require(by, "record_deaths", estate.society)
    with transaction.atomic():
        estate = _locked(estate)
        if estate.representatives_recorded_at is None:
            raise EstateError("Record the personal representatives and the proof of their authority first.")
        if estate.nomination is not None and estate.state == State.RECORDED:
            raise EstateError("A nomination was in force: pass the nominated property to the nominees first.")
        estate.transition_to(State.SETTLED)
        plan = plan_for_representatives(estate)
        representatives = None
        for piece in plan.pieces:
            if piece.how == How.TRANSFER and representatives is None:
                representatives = Holder.objects.create(
                    kind=Holder.Kind.ORGANISATION,
                    name=f"{estate.representative_name}, personal representatives of {estate.holder.name}"[
                        :200
                    ],
                    email=estate.representative_email,
                    postal_address=estate.representative_address,
                )
            _pass(
                estate,
                piece,
                Step.REPRESENTATIVES,
                representatives if piece.how == How.TRANSFER else None,
                on_date,
                by,
            )
        estate.save(update_fields=["state"])
        record_audit(
            society=estate.society,
            actor=by,
            action="estate.settled",
            summary=f"{estate.holder}'s estate settled: " + "; ".join(plan.sentences()),
            estate=estate.pk,
        )
    return estate


# --- Each piece, through the register --------------------------------------------------------------


def _pass(
    estate: Estate, piece: Piece, step: str, recipient: Holder | None, on_date, by
) -> EstateTransmission:
    society, share_class = estate.society, piece.holding.share_class
    on_date = on_date or timezone.localdate()
    reference = f"Estate of {estate.holder.name} ({estate.pk}): to {piece.recipient_name}"[:200]
    try:
        if piece.how == How.TRANSFER:
            entry = transfer_shares(
                society=society,
                holder=estate.holder,
                to=recipient,
                share_class=share_class,
                shares=piece.shares,
                effective_date=on_date,
                reference=reference,
            )
        else:
            kind = LedgerEntry.Kind.WITHDRAWAL if piece.how == How.WITHDRAWAL else LedgerEntry.Kind.REDEMPTION
            entry = remove_shares(
                society=society,
                kind=kind,
                holder=estate.holder,
                share_class=share_class,
                shares=piece.shares,
                effective_date=on_date,
                reference=reference,
            )
    except RegisterError as error:
        raise EstateError(
            f"The register refused to pass {share_class.name} to {piece.recipient_name}: {error}"
        ) from error
    value = entry.amount
    transmission = EstateTransmission.objects.create(
        estate=estate,
        step=step,
        recipient_name=piece.recipient_name,
        recipient=recipient,
        share_class=share_class,
        shares=piece.shares,
        how=piece.how,
        value=value,
        amount=Money(0, value.currency) if piece.how == How.TRANSFER else value,
        ledger_entry=entry,
    )
    if recipient is not None and recipient.email:
        email_holder(
            holder=recipient,
            template="estate_transfer",
            subject=f"Shares in {society.name} from the estate of {estate.holder.name}",
            transmission=transmission,
            estate=estate,
            society=society,
        )
    return transmission


def mark_transmission_paid(
    *, transmission: EstateTransmission, reference: str, by, paid_on: datetime.date | None = None
) -> EstateTransmission:
    """The treasurer records that the money owed to a nominee or the representatives was paid."""
    permissions.require(by, "pay_withdrawals", transmission.estate.society)
    if not reference.strip():
        raise EstateError("Give the bank payment's reference, so the payment can be traced.")
    with transaction.atomic():
        transmission = (
            EstateTransmission.objects.select_for_update()
            .select_related("estate__society")
            .get(pk=transmission.pk)
        )
        if transmission.how == How.TRANSFER:
            raise EstateError("Transferred shares are not paid for by the society.")
        if transmission.paid_on is not None:
            raise EstateError(f"This was recorded as paid on {transmission.paid_on:%-d %B %Y}.")
        transmission.paid_on, transmission.paid_reference = paid_on or timezone.localdate(), reference.strip()
        transmission.save(update_fields=["paid_on", "paid_reference"])
        record_audit(
            society=transmission.estate.society,
            actor=by,
            action="estate.paid",
            summary=f"{transmission.recipient_name}: {format_money(transmission.amount)} paid "
            f"({transmission.paid_reference})",
            estate=transmission.estate_id,
        )
    return transmission


def _holdings(estate: Estate) -> list[Holding]:
    return list(
        Holding.objects.filter(holder=estate.holder, share_class__society=estate.society, shares__gt=0)
        .select_related("share_class")
        .order_by("pk")
    )


def _locked(estate: Estate) -> Estate:
    return (
        Estate.objects.select_for_update(of=("self",))
        .select_related("holder", "society", "nomination")
        .get(pk=estate.pk)
    )
