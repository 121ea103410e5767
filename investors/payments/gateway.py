"""The only module that talks to Stripe.

Keep calls out of database transactions: a slow or failing network must never hold a lock or
roll back a record of money that did move. Amounts cross here once, as integer minor units.
"""

import json
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings
from djmoney.money import Money

from investors.errors import PaymentError

MINOR_UNITS = {"GBP": 100, "EUR": 100}
WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: older deliveries may be replays
WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: older deliveries may be replays


class NotConfigured(PaymentError):
    pass


class CardDeclined(PaymentError):
    pass


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise NotConfigured("Card payment is not configured on this site; please pay by bank transfer.")
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


def to_minor_units(amount: Money) -> int:
    scaled = amount.amount * MINOR_UNITS[str(amount.currency)]
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimal places than {amount.currency} allows.")
    return int(scaled)


def from_minor_units(minor: int, currency: str) -> Money:
    return Money(Decimal(minor) / MINOR_UNITS[currency.upper()], currency.upper())


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: Money | None  # None in a currency the platform does not take
    currency: str
    client_secret: str
    charge_id: str | None
    metadata: dict
    failure_message: str = ""
    amount_refunded: Money | None = None  # known when the charge came expanded


def _intent(obj) -> Intent:
    if isinstance(obj, stripe.StripeObject):
        obj = obj.to_dict()
    error = obj.get("last_payment_error") or {}
    charge = obj.get("latest_charge")
    refunded = charge.get("amount_refunded") if isinstance(charge, dict) else None
    supported = str(obj.get("currency", "")).upper() in MINOR_UNITS
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=from_minor_units(obj["amount"], obj["currency"]) if supported else None,
        currency=obj["currency"],
        client_secret=obj.get("client_secret") or "",
        charge_id=charge_id(obj.get("latest_charge")),
        metadata=dict(obj.get("metadata") or {}),
        failure_message=error.get("message") or "",
        amount_refunded=None
        if refunded is None or not supported
        else from_minor_units(refunded, obj["currency"]),
    )


def intent_from_event(obj: dict) -> Intent:
    """The PaymentIntent carried inside a webhook event."""
    return _intent(obj)


def charge_id(latest_charge) -> str | None:
    """Stripe returns `latest_charge` as an id, or as the charge itself when expanded."""
    if latest_charge is None or isinstance(latest_charge, str):
        return latest_charge
    return latest_charge["id"]  # a dict, or a StripeObject


def ensure_customer(*, email: str, name: str, holder_id: int) -> str:
    customer = _client().v1.customers.create(
        {"email": email, "name": name, "metadata": {"holder_id": str(holder_id)}},
        {"idempotency_key": f"commonshare-holder-{holder_id}-customer"},
    )
    return customer.id


def create_setup_intent(*, customer_id: str, application_id: int, off_session: bool = False) -> str:
    """A SetupIntent for the browser's `confirmCardSetup`; returns its client secret.

    `off_session` when the card will be charged later without the investor present (at
    allocation), so that the bank authenticates it for that now.
    """
    setup = _client().v1.setup_intents.create(
        {
            "customer": customer_id,
            "usage": "off_session" if off_session else "on_session",
            "metadata": {"application_id": str(application_id)},
        }
    )
    return setup.client_secret


def charge_card(
    *,
    amount: Money,
    customer_id: str,
    payment_method_id: str,
    metadata: dict,
    idempotency_key: str,
    off_session: bool = False,
) -> Intent:
    """Charge a saved card now. A decline raises `CardDeclined`; 3-D Secure gives `requires_action`."""
    params = {
        "amount": to_minor_units(amount),
        "currency": str(amount.currency).lower(),
        "customer": customer_id,
        "payment_method": payment_method_id,
        "payment_method_types": ["card"],
        "confirm": True,
        "metadata": {key: str(value) for key, value in metadata.items()},
    }
    if off_session:
        params["off_session"] = True
    try:
        created = _client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    except stripe.CardError as error:
        raise CardDeclined(error.user_message or "Your card was declined.") from error
    return _intent(created)


def retrieve_intent(intent_id: str) -> Intent:
    return _intent(_client().v1.payment_intents.retrieve(intent_id))


def refund(*, intent_id: str, amount: Money, idempotency_key: str, metadata: dict) -> str:
    """Give back `amount` of a card payment (partially if less than it); returns the refund id."""
    try:
        created = _client().v1.refunds.create(
            {
                "payment_intent": intent_id,
                "amount": to_minor_units(amount),
                "metadata": {key: str(value) for key, value in metadata.items()},
            },
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise PaymentError(f"Stripe did not take the refund: {error.user_message or error}") from error
    return created.id


def all_intents():
    """Every PaymentIntent in the Stripe account, newest first (for reconciliation)."""
    listed = _client().v1.payment_intents.list({"limit": 100, "expand": ["data.latest_charge"]})
    for obj in listed.auto_paging_iter():
        yield _intent(obj)


def verify_event(payload: bytes, signature: str | None) -> dict:
    """Check the `Stripe-Signature` header (and its age); returns the event as a dict.

    Raises `ValueError` for anything unsigned, wrongly signed, too old or not JSON.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise NotConfigured("STRIPE_WEBHOOK_SECRET is not set.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error
    try:
        return json.loads(payload)
    except json.JSONDecodeError as error:
        raise ValueError("The payload is not JSON.") from error
