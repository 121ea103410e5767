"""A holder asks to transfer shares or cancels; the receiver accepts or declines through the
emailed link. Thin: one service each."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from capital.errors import Refusal
from investors.models import TransferRequest
from investors.transfers.forms import ReceiverDetailsForm, TransferForm
from investors.transfers.services import (
    accept_transfer,
    cancel_transfer,
    decline_transfer,
    receiver_on_register,
    request_for_link,
    request_transfer,
)
from shares.models import Holding


@never_cache
@login_required
def transfer(request, share_class_id):
    holding = (
        Holding.objects.select_related("share_class__society", "holder")
        .filter(holder__user=request.user, share_class_id=share_class_id, share_class__transferable=True)
        .first()
    )
    if holding is None:
        raise Http404
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = request_transfer(
                holder=holding.holder,
                share_class=holding.share_class,
                shares=data["shares"],
                price=data["price"],
                receiver_name=data["receiver_name"],
                receiver_email=data["receiver_email"],
                by=request.user,
            )
        except Refusal as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{made.receiver_name} has been sent a link to accept {made.shares} shares; the board "
                "then approves the transfer.",
            )
            return redirect("account:dashboard")
    return render(request, "investors/transfer.html", {"holding": holding, "form": form})


@login_required
@require_POST
def cancel(request, pk):
    found = TransferRequest.objects.filter(pk=pk, holder__user=request.user).first()
    if found is None:
        raise Http404
    try:
        cancel_transfer(request=found, by=request.user)
    except Refusal as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "The transfer is cancelled; your shares stay as they are.")
    return redirect("account:dashboard")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def accept(request, token):
    """The page the receiver's link opens. Opening it changes nothing; the answer is a POST."""
    try:
        offer = request_for_link(token)
    except Refusal as error:
        return render(request, "investors/transfer_link_refused.html", {"message": str(error)}, status=404)
    if offer.state != TransferRequest.State.AWAITING_RECEIVER:
        return render(request, "investors/transfer_accept.html", {"offer": offer, "answered": True})
    known = receiver_on_register(offer, request.user)
    form = None if known else ReceiverDetailsForm(request.POST or None, initial={"name": offer.receiver_name})
    if request.method == "POST":
        try:
            if request.POST.get("answer") == "decline":
                decline_transfer(token=token)
                messages.success(request, "You declined the transfer; the holder has been told.")
                return redirect("transfer-accept", token=token)
            if form is None or form.is_valid():
                accept_transfer(token=token, user=request.user, details=form.cleaned_data if form else None)
                messages.success(request, "You accepted. The society's board now approves the transfer.")
                return redirect("transfer-accept", token=token)
        except Refusal as error:
            if form is None:
                messages.error(request, str(error))
            else:
                form.add_error(None, str(error))
    return render(request, "investors/transfer_accept.html", {"offer": offer, "form": form, "known": known})
