"""An investor asks to withdraw shares, or cancels a request still waiting. Thin: one service each."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from investors.models import WithdrawalRequest
from investors.withdrawals.forms import WithdrawalForm
from investors.withdrawals.services import cancel_withdrawal, request_withdrawal
from shares.models import Holding


def _own_holding(request, share_class_id) -> Holding:
    holding = (
        Holding.objects.select_related("share_class__society", "holder")
        .filter(holder__user=request.user, share_class_id=share_class_id, share_class__withdrawable=True)
        .first()
    )
    if holding is None:
        raise Http404
    return holding


@login_required
def withdraw(request, share_class_id):
    holding = _own_holding(request, share_class_id)
    form = WithdrawalForm(request.POST or None, initial={"shares": holding.shares})
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal = request_withdrawal(
                holder=holding.holder,
                share_class=holding.share_class,
                shares=form.cleaned_data["shares"],
                by=request.user,
            )
        except Refusal as error:
            form.add_error("shares", str(error))
        else:
            messages.success(
                request,
                f"Your request to withdraw {withdrawal.shares} shares is in the queue; it can be paid "
                f"from {withdrawal.due_on:%-d %B %Y}, when the board approves it.",
            )
            return redirect("account:dashboard")
    waiting = WithdrawalRequest.objects.filter(
        holder=holding.holder, share_class=holding.share_class, state=WithdrawalRequest.State.PENDING
    )
    return render(
        request,
        "investors/withdraw.html",
        {"holding": holding, "share_class": holding.share_class, "form": form, "waiting": waiting},
    )


@login_required
@require_POST
def cancel(request, pk):
    withdrawal = WithdrawalRequest.objects.filter(pk=pk, holder__user=request.user).first()
    if withdrawal is None:
        raise Http404
    try:
        cancel_withdrawal(request=withdrawal, by=request.user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your withdrawal request is cancelled; your shares stay as they are.")
    return redirect("account:dashboard")
