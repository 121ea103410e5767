"""Nominations (s.37): a member nominates one or more people to receive their property in the
society on their death, up to the statutory £5,000 in total; they can change or revoke it; the
society keeps the nominations book."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from capital.models import Society
from capital.money import format_money
from capital.services import record_audit
from investors.errors import NominationError
from investors.models import Nomination, Nominee
from investors.models.nominations import STATUTORY_NOMINATION_LIMIT
from investors.notify import email_holder
from shares.models import Holder, Holding

State = Nomination.State
MAX_NOMINEES = 5


@dataclass(frozen=True)
class NomineeDetails:
    name: str
    postal_address: str
    relationship: str
    percent: Decimal
    email: str = ""
    date_of_birth: datetime.date | None = None
    is_officer_or_employee: bool = False


def make_nomination(
    *, holder: Holder, society: Society, nominees: list[NomineeDetails], by=None, now=None
) -> Nomination:
    """Nominate `nominees` (their shares of the property adding up to 100%); any nomination in
    force before is superseded, and kept in the book."""
    if by is not None and holder.user_id != by.pk:
        raise NominationError("You can only make your own nomination.")
    _check(holder, society, nominees)
    now = now or timezone.now()
    with transaction.atomic():
        Holder.objects.select_for_update().get(pk=holder.pk)
        for current in Nomination.objects.select_for_update().filter(
            holder=holder, society=society, state=State.ACTIVE
        ):
            current.transition_to(State.SUPERSEDED)
            current.ended_at = now
            current.save(update_fields=["state", "ended_at"])
        nomination = Nomination.objects.create(holder=holder, society=society, made_at=now, recorded_by=by)
        Nominee.objects.bulk_create(
            Nominee(
                nomination=nomination,
                name=nominee.name.strip(),
                postal_address=nominee.postal_address.strip(),
                email=nominee.email.strip(),
                date_of_birth=nominee.date_of_birth,
                relationship=nominee.relationship,
                is_officer_or_employee=nominee.is_officer_or_employee,
                percent=nominee.percent,
            )
            for nominee in nominees
        )
        record_audit(
            society=society,
            actor=by,
            action="nomination.made",
            summary=f"{holder} nominated "
            + ", ".join(f"{each.name.strip()} ({each.percent.normalize():f}%)" for each in nominees),
            nomination=nomination.pk,
        )
        email_holder(
            holder=holder,
            template="nomination_made",
            subject=f"Your nomination with {society.name} is recorded",
            nomination=nomination,
            nominees=nominees,
            society=society,
            limit=format_money(society.money(STATUTORY_NOMINATION_LIMIT)),
        )
    return nomination


def _check(holder: Holder, society: Society, nominees: list[NomineeDetails]) -> None:
    if holder.kind != Holder.Kind.PERSON:
        raise NominationError("Only a member who is a person can make a nomination.")
    if holder.died_on is not None:
        raise NominationError(f"{holder} is recorded as having died; a nomination can no longer be made.")
    if not Holding.objects.filter(holder=holder, share_class__society=society, shares__gt=0).exists():
        raise NominationError(f"You hold no shares in {society}: there is nothing to nominate.")
    if not 1 <= len(nominees) <= MAX_NOMINEES:
        raise NominationError(f"Nominate from one to {MAX_NOMINEES} people.")
    for number, nominee in enumerate(nominees, start=1):
        if not nominee.name.strip() or not nominee.postal_address.strip():
            raise NominationError(f"Nominee {number}: give their name and postal address.")
        if nominee.relationship not in Nominee.Relationship.values:
            raise NominationError(f"Nominee {number}: say how they are related to you.")
        if nominee.percent <= 0 or nominee.percent != nominee.percent.quantize(Decimal("0.01")):
            raise NominationError(f"Nominee {number}: give their share as a percentage, such as 50 or 33.33.")
        if nominee.is_officer_or_employee and nominee.relationship not in Nominee.MAY_BE_OFFICER:
            raise NominationError(
                f"Nominee {number}: the law does not allow a nomination of one of the society's officers "
                "or employees unless they are your husband, wife, civil partner, parent, child, brother, "
                "sister, nephew or niece."
            )
    total = sum((nominee.percent for nominee in nominees), Decimal("0"))
    if total != 100:
        raise NominationError(f"The nominees' shares add up to {total.normalize():f}%; they must make 100%.")


def revoke_nomination(*, nomination: Nomination, by=None) -> Nomination:
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update().select_related("holder", "society").get(pk=nomination.pk)
        )
        if by is not None and nomination.holder.user_id != by.pk:
            raise NominationError("You can only revoke your own nomination.")
        nomination.transition_to(State.REVOKED)
        nomination.ended_at = timezone.now()
        nomination.save(update_fields=["state", "ended_at"])
        record_audit(
            society=nomination.society,
            actor=by,
            action="nomination.revoked",
            summary=f"{nomination.holder} revoked their nomination",
            nomination=nomination.pk,
        )
    return nomination


def nomination_in_force(holder: Holder, society: Society) -> Nomination | None:
    return (
        Nomination.objects.filter(holder=holder, society=society, state=State.ACTIVE)
        .prefetch_related("nominees")
        .first()
    )


def nominations_book(society: Society):
    """Every nomination the society has recorded, in force first, with its nominees."""
    return (
        Nomination.objects.filter(society=society)
        .select_related("holder")
        .prefetch_related("nominees")
        .order_by("state", "holder__name", "holder_id", "-made_at", "-pk")
    )
