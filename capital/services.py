"""Use cases for societies, share classes and offers. Each runs in one transaction."""

from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from capital import permissions
from capital.decisions import Kind, announce_decision
from capital.errors import CapitalError
from capital.models import AuditEntry, Offer, ShareClass, Society, SocietyRole, SurplusRules
from capital.money import format_money

BOARD_GROUP = "Society boards"

# What other apps need of an offer, without capital naming them: the site registers a check that
# an offer has its published page and offer document before it opens (a message when it has not,
# "" when it has), and makes a draft page for each new offer.
OPENING_CHECKS: list[Callable[[Offer], str]] = []
OFFER_CREATED: list[Callable[[Offer], None]] = []


def register_opening_check(check: Callable[[Offer], str]) -> None:
    if check not in OPENING_CHECKS:
        OPENING_CHECKS.append(check)


def register_offer_created(receiver: Callable[[Offer], None]) -> None:
    if receiver not in OFFER_CREATED:
        OFFER_CREATED.append(receiver)


# What a board member may reach in the admin; each view is further limited to their societies.
BOARD_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("capital", "view_society"),
    ("capital", "change_society"),
    ("capital", "add_shareclass"),
    ("capital", "change_shareclass"),
    ("capital", "view_shareclass"),
    ("capital", "add_returnschedule"),
    ("capital", "change_returnschedule"),
    ("capital", "view_returnschedule"),
    ("capital", "add_offer"),
    ("capital", "change_offer"),
    ("capital", "view_offer"),
    ("capital", "view_auditentry"),
    ("shares", "view_ledgerentry"),
    ("shares", "view_holding"),
    ("shares", "view_holder"),
    ("shares", "view_certificate"),
    ("shares", "view_holdinglimitexemption"),
    ("shares", "add_holdinglimitexemption"),
    ("investors", "view_application"),
    ("investors", "view_payment"),
    ("investors", "view_refund"),
    ("investors", "view_cardpayment"),
    ("investors", "view_bankstatementline"),
    ("investors", "view_bankstatementimport"),
    ("investors", "view_distributionrun"),
    ("investors", "view_distributionline"),
    ("investors", "view_withdrawalrequest"),
    ("investors", "view_surplusrun"),
    ("investors", "view_surplusline"),
    ("investors", "view_contributionimport"),
    ("investors", "view_transferrequest"),
    ("investors", "view_redemptionrequest"),
    ("investors", "view_redemptionfundmovement"),
    ("investors", "view_nomination"),
    ("investors", "view_estate"),
    ("investors", "view_estatetransmission"),
    ("governance", "add_governancerules"),
    ("governance", "change_governancerules"),
    ("governance", "view_governancerules"),
    ("governance", "add_meeting"),
    ("governance", "change_meeting"),
    ("governance", "view_meeting"),
    ("governance", "add_question"),
    ("governance", "view_question"),
    ("governance", "view_rollentry"),
    ("governance", "view_decisionentry"),
    ("governance", "add_meetingpaper"),
    ("governance", "view_meetingpaper"),
    ("governance", "view_proposal"),
    ("capital", "view_societyrole"),
    ("capital", "view_surplusrules"),
    ("capital", "add_surplusrules"),
    ("capital", "change_surplusrules"),
]


def sync_board_group(*, create: bool = True) -> Group | None:
    """The board group with exactly BOARD_PERMISSIONS. Run after every migrate (without
    creating it: the first appointment does), so a new admin page is visible to existing boards
    at once; None while some permission is not created yet (each app's come after its migrations)."""
    if not create and not Group.objects.filter(name=BOARD_GROUP).exists():
        return None
    wanted = {(app_label, codename) for app_label, codename in BOARD_PERMISSIONS}
    found = [
        permission
        for permission in Permission.objects.filter(
            codename__in=[codename for _, codename in wanted]
        ).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    if len(found) != len(wanted):
        return None
    group, _ = Group.objects.get_or_create(name=BOARD_GROUP)
    group.permissions.set(found)
    return group


def record_audit(*, society: Society, actor, action: str, summary: str, **data) -> AuditEntry:
    return AuditEntry.objects.create(society=society, actor=actor, action=action, summary=summary, data=data)


def validation_message(error: ValidationError) -> str:
    return " ".join(error.messages)


def appoint_board_member(*, society: Society, user, role: str, by=None, named: str = "") -> SocietyRole:
    """Give `user` a seat on the board, and the admin access that a seat needs. `named` is how
    the public record names them (a member elected: their name on the register)."""
    permissions.require(by, "manage_board", society)
    with transaction.atomic():
        seat, created = SocietyRole.objects.get_or_create(society=society, user=user, role=role)
        role_name = seat.get_role_display().lower()
        user.groups.add(sync_board_group())
        if created:
            record_audit(
                society=society,
                actor=by,
                action="board.appointed",
                summary=f"{user.get_username()} appointed {role_name}",
            )
            announce_decision(
                society=society,
                kind=Kind.BOARD_APPOINTED,
                summary=f"{named or _board_name(user)} appointed {role_name} of {society}.",
                actor=by,
                role=seat.role,
                user=user.pk,
            )
    return seat


def remove_board_member(*, seat: SocietyRole, by=None) -> None:
    """Take a seat off the board. A society always keeps at least one director, and a user
    left with no seat anywhere loses the admin access that seats give."""
    permissions.require(by, "manage_board", seat.society)
    with transaction.atomic():
        society = Society.objects.select_for_update().get(pk=seat.society_id)
        seat = SocietyRole.objects.select_related("user").filter(pk=seat.pk).first()
        if seat is None:
            return
        directors = SocietyRole.objects.filter(society=society, role=SocietyRole.Role.DIRECTOR)
        if seat.role == SocietyRole.Role.DIRECTOR and directors.count() == 1:
            raise CapitalError(
                f"{seat.user.get_username()} is the last director of {society}: appoint another "
                "director before removing them."
            )
        seat.delete()
        if not SocietyRole.objects.filter(user=seat.user).exists():
            seat.user.groups.remove(*Group.objects.filter(name=BOARD_GROUP))
        record_audit(
            society=society,
            actor=by,
            action="board.removed",
            summary=f"{seat.user.get_username()} is no longer {seat.get_role_display().lower()}",
        )
        announce_decision(
            society=society,
            kind=Kind.BOARD_REMOVED,
            summary=f"{_board_name(seat.user)} is no longer {seat.get_role_display().lower()} of {society}.",
            actor=by,
            role=seat.role,
            user=seat.user_id,
        )


def _board_name(user) -> str:
    """How a board member is named in the public record: their full name, else their login
    (never an investor's login, which is their email address)."""
    name = user.get_full_name() or user.get_username()
    return "A board member with no name on record" if "@" in name else name


def save_society(*, society: Society, by=None) -> Society:
    """Change a society's details. Its currency is fixed once it has share classes."""
    if society.pk is None:
        if by is not None and not by.is_superuser:
            raise CapitalError("Only the platform's staff may add a society.")
    else:
        permissions.require(by, "manage_society", society)
    _full_clean(society)
    with transaction.atomic():
        creating = society.pk is None
        if not creating:
            current = Society.objects.select_for_update().get(pk=society.pk)
            if current.currency != society.currency and current.share_classes.exists():
                raise CapitalError("The society has share classes; its currency can no longer change.")
        society.save()
        record_audit(
            society=society,
            actor=by,
            action="society.created" if creating else "society.changed",
            summary=society.name,
            withdrawable_limit=str(society.individual_withdrawable_limit),
        )
    return society


# What shares of a class mean, and so who is a member: fixed once the class has been offered.
FIXED_ONCE_OFFERED = (
    "society_id",
    "kind",
    "nominal_value",
    "withdrawable",
    "confers_membership",
    "membership_minimum_shares",
)


def save_share_class(*, share_class: ShareClass, by=None) -> ShareClass:
    """Create or change a share class, refusing anything that gives an investor class control."""
    _full_clean(share_class)
    with transaction.atomic():
        creating = share_class.pk is None
        if creating:
            permissions.require(by, "manage_share_classes", share_class.society)
        else:
            current = ShareClass.objects.select_for_update().select_related("society").get(pk=share_class.pk)
            permissions.require(by, "manage_share_classes", current.society)
            if current.society_id != share_class.society_id:
                raise CapitalError("A share class cannot move to another society.")
            offered = (
                current.offers.exclude(state=Offer.State.DRAFT).exists() or current.ledger_entries.exists()
            )
            changed = [
                name for name in FIXED_ONCE_OFFERED if getattr(current, name) != getattr(share_class, name)
            ]
            # Suspending is its own decision (investors.withdrawals.services), never undone by an edit.
            share_class.withdrawals_suspended = current.withdrawals_suspended
            share_class.withdrawals_suspended_reason = current.withdrawals_suspended_reason
            if offered and changed:
                fields = ", ".join(
                    ShareClass._meta.get_field(name.removesuffix("_id")).verbose_name for name in changed
                )
                raise CapitalError(
                    f"Shares of this class have been offered; its {fields} can no longer change."
                )
        try:
            share_class.save()
        except IntegrityError as error:
            raise CapitalError(f"The share class could not be saved: {error}") from error
        record_audit(
            society=share_class.society,
            actor=by,
            action="share_class.created" if creating else "share_class.changed",
            summary=f"{share_class.name}: {', '.join(share_class.control_rights()) or 'no control rights'}",
            share_class=share_class.pk,
        )
    return share_class


OFFER_TERMS = [
    "share_class",
    "title",
    "opens_at",
    "closes_at",
    "price_per_share",
    "price_per_share_currency",
    "minimum_target",
    "minimum_target_currency",
    "maximum_target",
    "maximum_target_currency",
    "minimum_per_investor",
    "minimum_per_investor_currency",
    "maximum_per_investor",
    "maximum_per_investor_currency",
    "policy",
    "card_charge",
    "reservation_period",
    "accepts_bank_transfer",
    "accepts_card",
    "risk_warning",
]


def save_offer(*, offer: Offer, by=None) -> Offer:
    """Create or change an offer while it is a draft; its terms are fixed once it opens.

    Only the terms are written, so a concurrent opening or application is never overwritten.
    """
    _full_clean(offer)
    with transaction.atomic():
        creating = offer.pk is None
        if creating:
            permissions.require(by, "manage_offers", offer.share_class.society)
            offer.save()
            for receiver in OFFER_CREATED:
                receiver(offer)
        else:
            current = (
                Offer.objects.select_for_update().select_related("share_class__society").get(pk=offer.pk)
            )
            permissions.require(by, "manage_offers", current.society)
            if current.state != Offer.State.DRAFT:
                raise CapitalError("An offer's terms cannot change once it has opened.")
            if current.share_class.society_id != offer.share_class.society_id:
                raise CapitalError("An offer cannot move to another society.")
            offer.save(update_fields=OFFER_TERMS)
        record_audit(
            society=offer.society,
            actor=by,
            action="offer.created" if creating else "offer.changed",
            summary=offer.title,
            offer=offer.pk,
        )
    return offer


def _full_clean(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise CapitalError(validation_message(error)) from error


def _move_offer(*, offer: Offer, to: Offer.State, by, action: str, summary: str) -> Offer:
    with transaction.atomic():
        locked = Offer.objects.select_for_update().select_related("share_class__society").get(pk=offer.pk)
        locked.transition_to(to)
        changed, extra = ["state"], {}
        now = timezone.now()
        if to == Offer.State.CLOSED and locked.opens_at < now < locked.closes_at:
            # Closed early: it closed now, and every page says so (the planned date stays in the audit).
            extra = {"planned_close": locked.closes_at.isoformat()}
            summary = (
                f"{summary} (closed early; it was to close {timezone.localtime(locked.closes_at):%-d %B %Y})"
            )
            locked.closes_at = now
            changed.append("closes_at")
        locked.save(update_fields=changed)
        record_audit(
            society=locked.society, actor=by, action=action, summary=summary, offer=locked.pk, **extra
        )
        if to == Offer.State.OPEN:
            announce_decision(
                society=locked.society,
                kind=Kind.OFFER_OPENED,
                summary=(
                    f"The offer “{locked.title}” opened: {locked.share_class.name} at "
                    f"{format_money(locked.price_per_share)} a share, raising "
                    f"{format_money(locked.minimum_target)} to {format_money(locked.maximum_target)}, "
                    f"until {timezone.localtime(locked.closes_at):%-d %B %Y}."
                ),
                actor=by,
                offer=locked.pk,
            )
    return locked


def open_offer(*, offer: Offer, by=None, now=None) -> Offer:
    permissions.require(by, "manage_offers", offer.society)
    if (now or timezone.now()) >= offer.closes_at:
        raise CapitalError("The offer's closing time has passed; move it later before opening.")
    missing = [message for message in (check(offer) for check in OPENING_CHECKS) if message]
    if missing:
        raise CapitalError(" ".join(missing))
    return _move_offer(offer=offer, to=Offer.State.OPEN, by=by, action="offer.opened", summary=offer.title)


def close_offer(*, offer: Offer, by=None) -> Offer:
    """Stop taking applications. Allocation (or failure) follows as a separate, director's step."""
    permissions.require(by, "manage_offers", offer.society)
    return _move_offer(offer=offer, to=Offer.State.CLOSED, by=by, action="offer.closed", summary=offer.title)


def offer_is_accepting(offer: Offer, at=None) -> bool:
    return offer.is_accepting(at or timezone.now())


def save_surplus_rules(*, rules: SurplusRules, by=None, confirm_below_guidance: bool = False) -> SurplusRules:
    """Set a society's surplus rules: the directors' decision, announced for the public record.

    Rules that give Labour and User together less than FairShares' guidance (60%) are saved only
    when the board confirms it has considered that (`confirm_below_guidance`).
    """
    permissions.require(by, "manage_surplus_rules", rules.society)
    try:
        rules.full_clean(validate_unique=False)  # one set per society: refused below, in words
    except ValidationError as error:
        raise CapitalError(validation_message(error)) from error
    if rules.below_guidance and not confirm_below_guidance:
        raise CapitalError(
            f"These rules give Labour and User together {rules.labour_and_user_percent.normalize():f}% of "
            "the surplus; FairShares guidance is at least 60%. Confirm that the board has considered this "
            "to save them."
        )
    with transaction.atomic():
        society = Society.objects.select_for_update().get(pk=rules.society_id)
        current = SurplusRules.objects.filter(society=society).first()
        if current is not None and current.pk != rules.pk:
            raise CapitalError(f"{society} already has surplus rules: change those instead.")
        creating = current is None
        if rules.below_guidance:
            rules.below_guidance_confirmed_by, rules.below_guidance_confirmed_at = by, timezone.now()
        else:
            rules.below_guidance_confirmed_by = rules.below_guidance_confirmed_at = None
        rules.changed_by = by
        try:
            rules.save()
        except IntegrityError as error:
            raise CapitalError(f"The surplus rules could not be saved: {error}") from error
        words = " ".join(rules.in_words())
        record_audit(
            society=society,
            actor=by,
            action="surplus_rules.set" if creating else "surplus_rules.changed",
            summary=words,
            rules=rules.as_record(),
            below_guidance_confirmed=rules.below_guidance,
        )
        announce_decision(
            society=society,
            kind=Kind.SURPLUS_RULES_SET,
            summary=f"The directors set {society}'s surplus rules. {words}",
            actor=by,
            rules=rules.as_record(),
        )
    return rules
