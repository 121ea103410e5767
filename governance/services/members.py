"""What members start themselves: proposals with seconders, and requisitions of a meeting."""

from django.db import transaction
from django.utils import timezone

from capital import permissions
from governance.errors import GovernanceError, NotOnRoll
from governance.models import GovernanceRules, Proposal, Requisition, Seconder, Signature
from governance.services.record import decided_by_name, record
from shares.models import Holder
from shares.services.membership import voting_roll


def require_member(society, holder: Holder | None, *, what: str) -> None:
    """Only a member today (one member, one vote) proposes, seconds or signs."""
    members = {voter.holder.pk for voter in voting_roll(society, timezone.localdate())}
    if holder is None or holder.pk not in members:
        raise NotOnRoll(f"Only members of {society} may {what}. Investor shares never carry a vote.")


def _members_words(value: str, what: str, *, longest: int | None = None) -> str:
    """A member's own words for the record: something written, no NUL, not too long to keep."""
    value = (value or "").strip()
    if not value or "\x00" in value:
        raise GovernanceError(f"Write the {what}.")
    if longest is not None and len(value) > longest:
        raise GovernanceError(f"Keep the {what} to {longest} characters (it has {len(value)}).")
    return value


def propose(*, society, holder: Holder, title: str, text: str, kind="ordinary") -> Proposal:
    require_member(society, holder, what="propose a resolution")
    title = _members_words(title, "proposal's title", longest=Proposal._meta.get_field("title").max_length)
    text = _members_words(text, "resolution in full")
    with transaction.atomic():
        return Proposal.objects.create(society=society, proposer=holder, title=title, text=text, kind=kind)


def second(*, proposal: Proposal, holder: Holder) -> Proposal:
    require_member(proposal.society, holder, what="second a proposal")
    if holder.pk == proposal.proposer_id:
        raise GovernanceError("A proposer cannot second their own proposal.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state not in (Proposal.State.SECONDING, Proposal.State.SECONDED):
            raise GovernanceError(
                f"“{proposal.title}” is {proposal.get_state_display().lower()}: it can no longer be seconded."
            )
        Seconder.objects.get_or_create(proposal=proposal, member=holder)
        needed = GovernanceRules.of(proposal.society).seconders_needed
        if proposal.state == Proposal.State.SECONDING and proposal.seconders.count() >= needed:
            proposal.transition_to(Proposal.State.SECONDED)
            proposal.save(update_fields=["state"])
    return proposal


def decline_proposal(*, proposal: Proposal, reasons: str, by=None) -> Proposal:
    """The board does not put a seconded proposal on the agenda, and publishes why."""
    permissions.require(by, "propose_resolutions", proposal.society)
    if not reasons.strip():
        raise GovernanceError("Give the board's reasons: they are published.")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        proposal.transition_to(Proposal.State.DECLINED)
        proposal.board_reasons = reasons
        proposal.save(update_fields=["state", "board_reasons"])
        record(
            society=proposal.society,
            kind="proposal.declined",
            summary=f"The board did not put the members' proposal {proposal.title!r} to a meeting: {reasons}",
            decided_on=timezone.localdate(),
            decided_by=decided_by_name(by),
            data={"proposal": proposal.pk, "seconders": proposal.seconders.count()},
        )
    return proposal


def start_requisition(*, society, holder: Holder, purpose: str) -> Requisition:
    require_member(society, holder, what="requisition a general meeting")
    purpose = _members_words(purpose, "purpose of the meeting")
    with transaction.atomic():
        requisition = Requisition.objects.create(society=society, purpose=purpose)
    return sign_requisition(requisition=requisition, holder=holder)


def sign_requisition(*, requisition: Requisition, holder: Holder) -> Requisition:
    require_member(requisition.society, holder, what="sign a requisition")
    with transaction.atomic():
        requisition = Requisition.objects.select_for_update().get(pk=requisition.pk)
        if requisition.state != Requisition.State.SIGNING:
            return requisition
        Signature.objects.get_or_create(requisition=requisition, member=holder)
        needed = GovernanceRules.of(requisition.society).requisition_signatures
        signed = requisition.signatures.count()
        if signed >= needed:
            requisition.transition_to(Requisition.State.MET)
            requisition.save(update_fields=["state"])
            record(
                society=requisition.society,
                kind="meeting.requisitioned",
                summary=f"{signed} members requisitioned a special general meeting: {requisition.purpose}",
                decided_on=timezone.localdate(),
                decided_by="the members",
                data={"requisition": requisition.pk, "signatures": signed, "needed": needed},
            )
    return requisition
