"""Card payment pages and Stripe's webhook. Thin: each calls one service."""

import json
import logging
from functools import wraps

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from capital.errors import Refusal
from investors.applications.services import own_application
from investors.models import Application
from investors.payments import gateway
from investors.payments.cards import check_card_payment, pay_by_card, start_card_payment
from investors.payments.webhooks import receive_stripe_event

logger = logging.getLogger(__name__)


def _own_application(request, reference) -> Application:
    application = own_application(request.user, reference)
    if application is None:
        raise Http404
    return application


def allows_stripe(view):
    """The page loads Stripe.js: its script, frames and API join the page's Content-Security-Policy."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return csp_update(gateway.browser_sources())(view)(request, *args, **kwargs)

    return wrapped


@login_required
@allows_stripe
def card_payment(request, reference):
    application = _own_application(request, reference)
    awaiting = application.state == Application.State.AWAITING_PAYMENT
    context = {"application": application, "setup": None, "error": "", "awaiting_payment": awaiting}
    if application.state in (Application.State.PAID, Application.State.ALLOCATED):
        return render(request, "investors/card_payment.html", {**context, "paid": True})
    try:
        context["setup"] = start_card_payment(application=application)
    except Refusal as error:
        context["error"] = str(error)
    return render(request, "investors/card_payment.html", context)


@login_required
@require_POST
def card_charge(request, reference):
    application = _own_application(request, reference)
    try:
        sent = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        sent = None
    sent = sent if isinstance(sent, dict) else {}
    payment_method_id, setup_intent_id = sent.get("payment_method"), sent.get("setup_intent")
    if (
        not isinstance(payment_method_id, str)
        or not isinstance(setup_intent_id, str)
        or not payment_method_id
    ):
        return JsonResponse({"status": "error", "message": "No card was given."}, status=400)
    try:
        outcome = pay_by_card(
            application=application, payment_method_id=payment_method_id, setup_intent_id=setup_intent_id
        )
    except Refusal as error:
        return JsonResponse({"status": "error", "message": str(error)}, status=409)
    return JsonResponse(outcome.__dict__)


@login_required
@require_POST
def card_check(request, reference):
    application = _own_application(request, reference)
    try:
        outcome = check_card_payment(application=application)
    except Refusal as error:
        return JsonResponse({"status": "error", "message": str(error)}, status=409)
    return JsonResponse(outcome.__dict__)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe retries anything but a 2xx, so only failures a retry can cure get a 5xx."""
    try:
        event = receive_stripe_event(request.body, request.headers.get("Stripe-Signature"))
    except gateway.NotConfigured:
        return HttpResponse("Webhooks are not configured.", status=503)
    except ValueError as error:
        return HttpResponse(f"Refused: {error}", status=400)
    except DatabaseError:
        logger.exception("Stripe event could not be stored or processed; Stripe will retry.")
        return HttpResponse("Try again later.", status=500)
    return JsonResponse({"event": event.event_id, "outcome": event.outcome})
