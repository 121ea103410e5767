"""The application form, its confirmation page, and the investor's withdrawal of an unpaid
application. Thin: the form checks what was typed and calls `apply_for_shares`; the limits shown
are the service's own figures; a withdrawal is `withdraw_application`'s to allow or refuse."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capital.errors import Refusal
from capital.models import Offer
from capital.services import offer_is_accepting
from investors.applications.forms import ApplicationForm
from investors.applications.services import (
    AlreadySent,
    holder_for_applicant,
    own_application,
    room_to_apply,
    society_bank_details,
)
from investors.applications.withdrawal import why_not_withdrawable, withdraw_application
from investors.models import Application
from investors.payments.card_allocation import held_card_of
from investors.payments.services import card_is_held


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def apply(request, offer_id):
    # A draft's terms are not published and may still change: to the public it does not exist.
    offer = get_object_or_404(
        Offer.objects.select_related("share_class__society").exclude(state=Offer.State.DRAFT), pk=offer_id
    )
    if not offer_is_accepting(offer):
        return render(request, "investors/apply/not_open.html", _not_open_context(offer))
    holder = holder_for_applicant(user=request.user)
    form = ApplicationForm(request.POST or None, offer=offer, holder=holder, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            application = form.submit(user=request.user)
        except AlreadySent as repeat:
            return redirect(_done_url(repeat.application) + "?resent=1")
        if application is not None:
            return redirect(_done_url(application))
    context = {
        "offer": offer,
        "society": offer.society,
        "share_class": offer.share_class,
        "form": form,
        "holder": holder,
        "room": room_to_apply(offer=offer, holder=holder),
        "legal_limit": offer.society.money(offer.society.individual_withdrawable_limit),
    }
    return render(request, "investors/apply/form.html", context)


@never_cache
@login_required
@require_GET
def done(request, reference):
    application = _own_application(request, reference)
    offer = application.offer
    context = {
        "application": application,
        "offer": offer,
        "society": offer.society,
        "resent": request.GET.get("resent") == "1",
        "awaiting_payment": application.state == Application.State.AWAITING_PAYMENT,
        "by_card": application.payment_method == Application.PaymentMethod.CARD,
        "card_held": card_is_held(offer, timezone.now()),
        "bank_details": society_bank_details(offer.society),
        "pay_by": application.pay_by,
        "withdrawable": why_not_withdrawable(application) is None,
    }
    return render(request, "investors/apply/done.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request, reference):
    """What withdrawing will do (GET, which changes nothing), and the withdrawal itself (POST)."""
    application = _own_application(request, reference)
    if request.method == "POST":
        try:
            withdraw_application(application=application, by=request.user)
        except Refusal as refused:
            context = {"application": application, "refused": str(refused)}
            return render(request, "investors/apply/withdraw.html", context, status=409)
        messages.success(
            request,
            f"Application {application.payment_reference} is withdrawn: its shares are released and "
            "nothing is owed for it.",
        )
        return redirect("account:dashboard")
    refused = why_not_withdrawable(application)
    card_held = None if refused else held_card_of(application)
    context = {"application": application, "refused": refused, "card_held": card_held}
    return render(request, "investors/apply/withdraw.html", context)


def _own_application(request, reference: str) -> Application:
    """The signed-in investor's application with this reference; anyone else's does not exist."""
    application = own_application(request.user, reference)
    if application is None:
        raise Http404
    return application


def _done_url(application: Application) -> str:
    return reverse("invest:done", kwargs={"reference": application.payment_reference})


def _not_open_context(offer: Offer) -> dict:
    now = timezone.now()
    return {
        "offer": offer,
        "society": offer.society,
        "opens_later": offer.state == Offer.State.OPEN and offer.opens_at > now,
        "closed_on": offer.closes_at if offer.closes_at <= now else None,
    }
