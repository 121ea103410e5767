"""The investor's "How you are paid" page: their payout account and, per interest-paying
class they hold, whether they take interest as money or new shares."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from capital.models import ShareClass
from investors.payouts.accounts import details_of, save_payout_details
from investors.payouts.elections import elect_interest, elections_of, interest_classes_held
from investors.payouts.forms import InterestElectionForm, PayoutAccountForm
from shares.services.holders import holder_for_user


@never_cache
@login_required
@sensitive_post_parameters("sort_code", "account_number", "iban")
def payout(request):
    holder = holder_for_user(request.user)
    if holder is None:
        return render(request, "investors/account/payout.html", {"holder": None})
    details = details_of(holder)
    form = PayoutAccountForm(request.POST or None, details=details)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_payout_details(holder=holder, details=form.details(), by=request.user)
        except Refusal as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Your returns will be paid to {saved.described()}.")
            return redirect("account:dashboard")
    return render(request, "investors/account/payout.html", _context(holder, details, form))


@never_cache
@login_required
@require_POST
def election(request, share_class_id):
    holder = holder_for_user(request.user)
    share_class = get_object_or_404(ShareClass, pk=share_class_id)
    form = InterestElectionForm(request.POST)
    if holder is None or not form.is_valid():
        messages.error(request, "Choose money or new shares.")
        return redirect("account:payout")
    try:
        chosen = elect_interest(
            holder=holder, share_class=share_class, take_as=form.cleaned_data["take_as"], by=request.user
        )
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"Interest on {share_class.name} will be taken as {chosen.get_take_as_display().lower()}.",
        )
    return redirect("account:payout")


def _context(holder, details, form):
    chosen = elections_of(holder)
    classes = [
        (share_class, InterestElectionForm(initial={"take_as": chosen.get(share_class.pk, "cash")}))
        for share_class in interest_classes_held(holder)
    ]
    return {"holder": holder, "details": details, "form": form, "interest_classes": classes}
