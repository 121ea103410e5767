"""The public decision record, and a member's meetings and ballots."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from governance import reads
from governance.forms import ProposalForm, RequisitionForm, VoteForm
from governance.models import DecisionEntry, Meeting, Proposal, Question, Requisition, RollEntry, receipt_hash
from governance.services.meetings import stand, why_no_one_can_stand
from governance.services.members import propose, second, sign_requisition, start_requisition
from governance.services.voting import appoint_proxy, vote, vote_as_proxy
from shares.models import Holder


def decision_list(request, slug):
    society = reads.society_or_404(slug)
    kind = request.GET.get("kind", "")
    year = request.GET.get("year", "")
    entries = reads.decisions(
        society, kind=kind, year=int(year) if year.isascii() and year.isdigit() else None
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/decisions.html",
        {
            "society": society,
            "page_obj": page,
            "kinds": reads.kinds(society),
            "years": reads.years(society),
            "kind": kind,
            "year": year,
            "head": reads.head(society),
        },
    )


def decision_detail(request, slug, number):
    society = reads.society_or_404(slug)
    entry = get_object_or_404(
        DecisionEntry.objects.select_related("question__meeting"), society=society, sequence=number
    )
    code = request.GET.get("receipt", "").strip().upper()
    found = None
    if code and entry.question_id:
        mine = receipt_hash(entry.question_id, code)
        found = next((choice for hashed, choice in entry.data.get("ballots", []) if hashed == mine), False)
    return render(
        request,
        "governance/decision.html",
        {"society": society, "entry": entry, "head": reads.head(society), "receipt": code, "found": found},
    )


def _holder(user) -> Holder | None:
    return Holder.objects.filter(user=user).first()


@never_cache
@login_required
def ballots(request):
    view = reads.member_view(_holder(request.user))
    forms = [
        (question, ballot, VoteForm(question=question, auto_id=f"q{question.pk}_%s"))
        for question, ballot in view.get("ballots_to_cast", [])
    ]
    standing = {
        question.pk
        for question, _ in view.get("ballots_to_cast", [])
        for candidate in question.candidates.all()
        if candidate.member.holder_id == getattr(view["holder"], "pk", None)
    }
    may_stand = {
        question.pk
        for question, _ in view.get("ballots_to_cast", [])
        if question.is_election and not why_no_one_can_stand(question)
    }
    proxy_forms = [
        (entry, question, ballot, VoteForm(question=question, auto_id=f"p{entry.pk}_q{question.pk}_%s"))
        for entry, question, ballot in view.get("proxy_for", [])
    ]
    member_of = reads.member_societies(view["holder"])
    return render(
        request,
        "governance/member.html",
        {
            **view,
            "forms": forms,
            "standing": standing,
            "may_stand": may_stand,
            "proxy_forms": proxy_forms,
            "proposal_form": ProposalForm(societies=member_of, auto_id="proposal_%s"),
            "requisition_form": RequisitionForm(societies=member_of, auto_id="requisition_%s"),
        },
    )


@never_cache
@login_required
@require_POST
def cast(request, question_id):
    question = get_object_or_404(Question.objects.select_related("meeting__society"), pk=question_id)
    form = VoteForm(request.POST, question=question)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("governance:ballots")
    try:
        ballot = vote(
            question=question,
            holder=_holder(request.user),
            choice=form.cleaned_data.get("choice"),
            candidates=form.cleaned_data.get("candidates"),
            user=request.user,
        )
    except Refusal as error:
        messages.error(request, str(error))
        return redirect("governance:ballots")
    messages.success(
        request,
        f"Your vote on {question.title!r} is recorded. Your receipt code is {ballot.receipt_code}: "
        "keep it to find your vote in the published result.",
    )
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def second_proposal(request, proposal_id):
    proposal = get_object_or_404(Proposal, pk=proposal_id)
    try:
        second(proposal=proposal, holder=_holder(request.user))
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You seconded {proposal.title!r}.")
    return redirect("governance:ballots")


def _members_form(request, form_class):
    """The form bound to the request, its society limited to the member's own: an investor-only
    holder has none to choose, so the form refuses them."""
    return form_class(request.POST, societies=reads.member_societies(_holder(request.user)))


def _form_errors(form) -> str:
    return " ".join(e for errors in form.errors.values() for e in errors)


@never_cache
@login_required
@require_POST
def new_proposal(request):
    form = _members_form(request, ProposalForm)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("governance:ballots")
    data = form.cleaned_data
    try:
        proposal = propose(
            society=data["society"],
            holder=_holder(request.user),
            title=data["title"],
            text=data["text"],
            kind=data["kind"],
        )
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Your proposal {proposal.title!r} now waits for other members to second it."
        )
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def new_requisition(request):
    form = _members_form(request, RequisitionForm)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("governance:ballots")
    try:
        start_requisition(
            society=form.cleaned_data["society"],
            holder=_holder(request.user),
            purpose=form.cleaned_data["purpose"],
        )
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your requisition is signed; other members can now sign it too.")
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def sign(request, requisition_id):
    requisition = get_object_or_404(Requisition, pk=requisition_id)
    try:
        sign_requisition(requisition=requisition, holder=_holder(request.user))
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "You signed the requisition.")
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def stand_for(request, question_id):
    """A member on the roll stands in an election, with a few words about themselves."""
    question = get_object_or_404(Question.objects.select_related("meeting__society"), pk=question_id)
    statement = request.POST.get("statement", "").strip()[:2000]
    try:
        stand(question=question, holder=_holder(request.user), statement=statement)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You stand in {question.title!r}: members can now vote for you.")
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def appoint(request, meeting_id):
    """A member appoints another member on the meeting's roll, named by email address, as proxy."""
    meeting = get_object_or_404(Meeting, pk=meeting_id)
    holder = _holder(request.user)
    if holder is None or not RollEntry.objects.filter(meeting=meeting, holder=holder).exists():
        raise Http404  # the roll of a meeting is its members' to look up, nobody else's
    email = request.POST.get("email", "").strip()
    proxy = RollEntry.objects.filter(meeting=meeting, holder__email__iexact=email).select_related("holder")
    proxy = proxy.first() if email else None
    if proxy is None:
        messages.error(
            request, "No member on this meeting's roll has that email address: check it with them."
        )
        return redirect("governance:ballots")
    try:
        appoint_proxy(meeting=meeting, member=holder, proxy=proxy.holder)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{proxy.holder.name} is your proxy for {meeting.title}.")
    return redirect("governance:ballots")


@never_cache
@login_required
@require_POST
def cast_as_proxy(request, question_id, entry_id):
    """A proxy votes for a member who appointed them."""
    question = get_object_or_404(Question.objects.select_related("meeting__society"), pk=question_id)
    entry = get_object_or_404(
        RollEntry.objects.select_related("holder"), pk=entry_id, meeting=question.meeting
    )
    form = VoteForm(request.POST, question=question)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("governance:ballots")
    try:
        vote_as_proxy(
            question=question,
            proxy=_holder(request.user),
            member=entry.holder,
            choice=form.cleaned_data.get("choice"),
            candidates=form.cleaned_data.get("candidates"),
            user=request.user,
        )
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Your vote for {entry.holder.name} on {question.title!r} is recorded.")
    return redirect("governance:ballots")
