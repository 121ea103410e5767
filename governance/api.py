"""Governance's part of the public JSON API: a society's decision record, and voting."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from capital.errors import Refusal
from governance import reads
from governance.models import Proposal, Question, Requisition
from governance.services.members import propose, second, sign_requisition, start_requisition
from governance.services.voting import vote
from shares.models import Holder

router = Router(tags=["decisions"])


class DecisionOut(Schema):
    sequence: int
    kind: str
    summary: str
    decided_on: datetime.date
    decided_by: str
    data: dict
    previous_hash: str
    entry_hash: str
    recorded_at: datetime.datetime


class DecisionsOut(Schema):
    society: str
    head: str
    count: int
    decisions: list[DecisionOut]


@router.get(
    "/societies/{slug}/decisions/",
    response=DecisionsOut,
    summary="A society's decision record",
    description=(
        "Every decision of the society's members (resolutions and elections, with every counted ballot by "
        "the SHA-256 of its receipt, or names for a recorded vote) and of its board, newest first, with "
        "each entry's hash and the previous entry's. An entry's hash is the SHA-256 of the sorted-key, "
        "compact JSON of society id, sequence, kind, summary, decided_on, decided_by, question id, data, "
        "recorded_at and previous_hash. Filter by `kind` (a kind or its family, e.g. `resolution`) and "
        "`year`; page with `limit` and `offset`."
    ),
)
def list_decisions(
    request, slug: str, kind: str = "", year: int | None = None, limit: int = 100, offset: int = 0
):
    society = reads.society_or_404(slug)
    entries = reads.decisions(society, kind=kind, year=year)
    limit = max(1, min(limit, 500))
    offset = max(0, min(offset, 2**31))  # past the end is an empty page, never a database error
    return {
        "society": society.slug,
        "head": str(reads.head(society)),
        "count": entries.count(),
        "decisions": list(entries[offset : offset + limit]),
    }


class VoteIn(Schema):
    choice: str | None = None
    candidates: list[int] | None = None


class VoteOut(Schema):
    question: int
    choice: str
    candidates: list[int]
    receipt_code: str
    receipt_hash: str


@router.post(
    "/questions/{question_id}/vote",
    response=VoteOut,
    auth=django_auth,
    tags=["voting"],
    summary="Cast or change your vote",
    description=(
        "A logged-in member's vote on an open question: `choice` is for, against or abstain; for an "
        "election, `candidates` lists up to the seats' number of candidate ids. Only members on the roll "
        "at the record date vote (investor shares never carry a vote): anyone else gets 403."
    ),
)
def cast_vote(request, question_id: int, payload: VoteIn):
    question = get_object_or_404(Question, pk=question_id)
    holder = Holder.objects.filter(user=request.user).first()
    try:
        ballot = vote(
            question=question,
            holder=holder,
            choice=payload.choice,
            candidates=payload.candidates,
            user=request.user,
        )
    except Refusal as error:
        raise HttpError(403, str(error)) from None
    return {
        "question": question.pk,
        "choice": ballot.choice,
        "candidates": ballot.candidates,
        "receipt_code": ballot.receipt_code,
        "receipt_hash": ballot.receipt_hash,
    }


class ProposalIn(Schema):
    kind: str = "ordinary"
    title: str
    text: str


class ProposalOut(Schema):
    id: int
    title: str
    state: str
    seconders: int


class RequisitionIn(Schema):
    purpose: str


class RequisitionOut(Schema):
    id: int
    state: str
    signatures: int


MEMBERS_ONLY = (
    "Only members of the society may do this (investor shares never carry a vote): anyone else gets 403."
)


def _member(request) -> Holder | None:
    return Holder.objects.filter(user=request.user).first()


def _refused(action, **kwargs):
    try:
        return action(**kwargs)
    except Refusal as error:
        raise HttpError(403, str(error)) from None


def _proposal_out(proposal: Proposal) -> dict:
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "state": proposal.state,
        "seconders": proposal.seconders.count(),
    }


def _requisition_out(requisition: Requisition) -> dict:
    return {"id": requisition.pk, "state": requisition.state, "signatures": requisition.signatures.count()}


@router.post(
    "/societies/{slug}/proposals",
    response=ProposalOut,
    auth=django_auth,
    tags=["members"],
    summary="Propose a resolution",
    description=f"A logged-in member proposes an ordinary or special resolution to second. {MEMBERS_ONLY}",
)
def create_proposal(request, slug: str, payload: ProposalIn):
    society = reads.society_or_404(slug)
    if payload.kind not in dict(Proposal._meta.get_field("kind").choices):
        raise HttpError(422, "A member's proposal is an ordinary or a special resolution.")
    proposal = _refused(
        propose,
        society=society,
        holder=_member(request),
        title=payload.title,
        text=payload.text,
        kind=payload.kind,
    )
    return _proposal_out(proposal)


@router.post(
    "/proposals/{proposal_id}/second",
    response=ProposalOut,
    auth=django_auth,
    tags=["members"],
    summary="Second a member's proposal",
    description=f"Once the rules' number of members have seconded it, the board decides. {MEMBERS_ONLY}",
)
def second_proposal(request, proposal_id: int):
    proposal = get_object_or_404(Proposal, pk=proposal_id)
    return _proposal_out(_refused(second, proposal=proposal, holder=_member(request)))


@router.post(
    "/societies/{slug}/requisitions",
    response=RequisitionOut,
    auth=django_auth,
    tags=["members"],
    summary="Start a requisition of a special general meeting",
    description=f"The member starting it signs it first. {MEMBERS_ONLY}",
)
def create_requisition(request, slug: str, payload: RequisitionIn):
    society = reads.society_or_404(slug)
    requisition = _refused(
        start_requisition, society=society, holder=_member(request), purpose=payload.purpose
    )
    return _requisition_out(requisition)


@router.post(
    "/requisitions/{requisition_id}/sign",
    response=RequisitionOut,
    auth=django_auth,
    tags=["members"],
    summary="Sign a requisition",
    description=f"Once enough members have signed, the board must call the meeting. {MEMBERS_ONLY}",
)
def sign(request, requisition_id: int):
    requisition = get_object_or_404(Requisition, pk=requisition_id)
    return _requisition_out(_refused(sign_requisition, requisition=requisition, holder=_member(request)))
