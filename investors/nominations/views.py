"""A member makes, changes or revokes their nomination (s.37) from their dashboard."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from capital.models import Society
from capital.money import format_money
from investors.models import Nomination
from investors.models.nominations import STATUTORY_NOMINATION_LIMIT
from investors.nominations.forms import NomineeFormSet
from investors.nominations.services import (
    NomineeDetails,
    make_nomination,
    nomination_in_force,
    revoke_nomination,
)
from shares.models import Holder


@never_cache
@login_required
def nominate(request, society_id):
    holder = Holder.objects.filter(user=request.user).first()
    society = Society.objects.filter(
        pk=society_id, share_classes__holdings__holder=holder, share_classes__holdings__shares__gt=0
    ).first()
    if holder is None or society is None:
        raise Http404
    formset = NomineeFormSet(request.POST or None)
    refusal = ""
    if request.method == "POST" and formset.is_valid():
        nominees = [NomineeDetails(**form.cleaned_data) for form in formset if form.has_changed()]
        try:
            make_nomination(holder=holder, society=society, nominees=nominees, by=request.user)
        except Refusal as error:
            refusal = str(error)
        else:
            messages.success(request, f"Your nomination is recorded in {society.name}'s nominations book.")
            return redirect("account:dashboard")
    return render(
        request,
        "investors/nominate.html",
        {
            "society": society,
            "formset": formset,
            "refusal": refusal,
            "current": nomination_in_force(holder, society),
            "limit": format_money(society.money(STATUTORY_NOMINATION_LIMIT)),
        },
    )


@login_required
@require_POST
def revoke(request, pk):
    nomination = Nomination.objects.filter(pk=pk, holder__user=request.user).first()
    if nomination is None:
        raise Http404
    try:
        revoke_nomination(nomination=nomination, by=request.user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your nomination is revoked.")
    return redirect("account:dashboard")
