"""An investor asks to be redeemed, or cancels a request still waiting. Thin: one service each."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from investors.models import RedemptionFund, RedemptionRequest
from investors.redemptions.services import (
    cancel_redemption,
    redeemable_now,
    redemption_price,
    request_redemption,
)
from shares.models import Holding


class RedemptionForm(forms.Form):
    shares = forms.IntegerField(min_value=1, label="Shares to redeem")


@never_cache
@login_required
def redeem(request, share_class_id):
    holding = (
        Holding.objects.select_related("share_class__society", "holder")
        .filter(
            holder__user=request.user,
            share_class_id=share_class_id,
            share_class__kind="investor",
            share_class__redemption_minimum_holding_years__isnull=False,
        )
        .first()
    )
    if holding is None:
        raise Http404
    share_class = holding.share_class
    form = RedemptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = request_redemption(
                holder=holding.holder,
                share_class=share_class,
                shares=form.cleaned_data["shares"],
                by=request.user,
            )
        except Refusal as error:
            form.add_error("shares", str(error))
        else:
            messages.success(
                request,
                f"Your request to redeem {made.shares} shares ({made.amount}) is in the queue; it is paid "
                "when the board approves it, from the society's redemption fund.",
            )
            return redirect("account:dashboard")
    return render(
        request,
        "investors/redeem.html",
        {
            "holding": holding,
            "share_class": share_class,
            "form": form,
            "price": redemption_price(share_class),
            "redeemable": redeemable_now(holding.holder, share_class),
            "fund": RedemptionFund.objects.filter(share_class=share_class).first(),
            "waiting": RedemptionRequest.objects.filter(
                holder=holding.holder, share_class=share_class, state=RedemptionRequest.State.PENDING
            ),
        },
    )


@login_required
@require_POST
def cancel(request, pk):
    found = RedemptionRequest.objects.filter(pk=pk, holder__user=request.user).first()
    if found is None:
        raise Http404
    try:
        cancel_redemption(request=found, by=request.user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your redemption request is cancelled; your shares stay as they are.")
    return redirect("account:dashboard")
