"""The only module that talks to Stripe.

Keep calls out of database transactions: a slow or failing network must never hold a lock or
roll back a record of money that did move. Amounts cross here once, as integer minor units.
"""

import datetime
import json
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from djmoney.money import Money

from investors.errors import PaymentError

logger = logging.getLogger(__name__)

MINOR_UNITS = {"GBP": 100, "EUR": 100}
WEBHOOK_TOLERANCE_SECONDS = 300  # Stripe's own default: older deliveries may be replays
# Stripe cancels an uncaptured card authorisation seven days after it was made.
HOLD_LIFETIME = datetime.timedelta(days=7)


class NotConfigured(PaymentError):
    pass


class StripeRefused(PaymentError):
    """Stripe answered, and said no to this card or this request: another try with the same
    card will not help (a decline, a card that is not the investor's, an authorisation that
    lapsed)."""


class CardDeclined(StripeRefused):
    pass


class StripeUnavailable(PaymentError):
    """Stripe could not be reached, was busy, or refused our own keys: nothing about the
    investor's card is known, and a later try may well work."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def browser_sources() -> dict[str, list[str]]:
    """What the card page must let the browser reach (Content-Security-Policy sources): Stripe.js,
    its frames and its API, or the test server standing in for Stripe."""
    origins = {_origin(settings.STRIPE_JS_URL), _origin(settings.STRIPE_API_BASE)} - {""}
    return {
        "script-src": sorted(origins | {"https://js.stripe.com"}),
        "frame-src": sorted(origins | {"https://js.stripe.com", "https://hooks.stripe.com"}),
        "connect-src": sorted(origins | {"https://api.stripe.com"}),
    }


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _client() -> stripe.StripeClient:
    if not is_configured():
        raise NotConfigured("Card payment is not configured on this site; please pay by bank transfer.")
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2)


@contextmanager
def _stripe_call(doing: str):
    """Turn whatever Stripe raises into one of our refusals, with a message for a person.

    A card error or a refused request is about this card (`StripeRefused`); a network failure,
    a rate limit, Stripe's own error or a problem with our keys is not (`StripeUnavailable`).
    Nothing Stripe raises gets past this as a server error.
    """
    try:
        yield
    except stripe.CardError as error:
        raise CardDeclined(error.user_message or "Your card was declined.") from error
    except (stripe.InvalidRequestError, stripe.IdempotencyError) as error:
        raise StripeRefused(
            f"Our card processor refused to {doing}: {error.user_message or _plain(error)}"
        ) from error
    except (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError) as error:
        raise StripeUnavailable(
            f"We could not reach our card processor to {doing}. Nothing has changed; please try "
            "again in a few minutes."
        ) from error
    except stripe.StripeError as error:  # our keys or account: the site's problem, not the card's
        logger.error("Stripe refused our request to %s: %r", doing, error)
        raise StripeUnavailable(
            f"Card payment is not working on this site just now, so we could not {doing}. "
            "Please try again later, or pay by bank transfer."
        ) from error


def _plain(error: stripe.StripeError) -> str:
    """Stripe's message for a refused request, without its request id and HTTP noise."""
    text = getattr(error, "_message", None) or str(error)
    return text.split("\n")[0].strip() or "no reason given"


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
    # What a captured authorisation took (Stripe's `amount_received`), when Stripe says.
    amount_received: Money | None = None


def _intent(obj) -> Intent:
    """Our reading of a PaymentIntent; `ValueError` if it is not shaped like one."""
    if isinstance(obj, stripe.StripeObject):
        obj = obj.to_dict()
    if not isinstance(obj, dict):
        raise ValueError("The payment is not an object.")
    error = obj.get("last_payment_error") or {}
    charge = obj.get("latest_charge")
    currency = obj.get("currency")
    if not isinstance(obj.get("id"), str) or not isinstance(obj.get("status"), str):
        raise ValueError("The payment has no id or status.")
    if not isinstance(currency, str) or not isinstance(error, dict):
        raise ValueError(f"{obj['id']} has no currency.")
    supported = currency.upper() in MINOR_UNITS
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError(f"{obj['id']} has malformed metadata.")

    def money(minor):
        if minor is None or not supported:
            return None
        if not isinstance(minor, int) or isinstance(minor, bool) or minor < 0:
            raise ValueError(f"{obj['id']} has an amount that is not a whole number of minor units.")
        return from_minor_units(minor, currency)

    if not isinstance(obj.get("amount"), int):
        raise ValueError(f"{obj['id']} has an amount that is not a whole number of minor units.")
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=money(obj["amount"]),
        currency=currency,
        client_secret=obj.get("client_secret") or "",
        charge_id=charge_id(charge),
        metadata={str(key): str(value) for key, value in metadata.items()},
        failure_message=str(error.get("message") or ""),
        amount_refunded=money(charge.get("amount_refunded")) if isinstance(charge, dict) else None,
        amount_received=money(obj.get("amount_received")),
    )


def intent_from_event(obj: dict) -> Intent:
    """The PaymentIntent carried inside a webhook event; `ValueError` if it is malformed."""
    return _intent(obj)


def charge_id(latest_charge) -> str | None:
    """Stripe returns `latest_charge` as an id, or as the charge itself when expanded."""
    if latest_charge is None or isinstance(latest_charge, str):
        return latest_charge
    return latest_charge["id"]  # a dict, or a StripeObject


def ensure_customer(*, email: str, name: str, holder_id: int) -> str:
    with _stripe_call("set up your card"):
        customer = _client().v1.customers.create(
            {"email": email, "name": name, "metadata": {"holder_id": str(holder_id)}},
            {"idempotency_key": f"commonshare-holder-{holder_id}-customer"},
        )
    return customer.id


def create_setup_intent(*, customer_id: str, application_id: int, off_session: bool = False) -> str:
    """A SetupIntent for the browser's `confirmCardSetup`; returns its client secret.

    `off_session` when the card will be charged later without the investor present, so that
    the bank authenticates it for that now.
    """
    with _stripe_call("set up your card"):
        setup = _client().v1.setup_intents.create(
            {
                "customer": customer_id,
                "usage": "off_session" if off_session else "on_session",
                "metadata": {"application_id": str(application_id)},
            }
        )
    return setup.client_secret


def confirmed_card(*, setup_intent_id: str, customer_id: str, application_id: int) -> str:
    """The card the investor saved on this application's card page, as Stripe knows it.

    The browser says which SetupIntent it confirmed; Stripe says whether that SetupIntent is
    this application's (its metadata, set here when it was made), for this holder's customer,
    and finished. Anything else, a made-up id above all, is refused before any charge.
    """
    refused = StripeRefused(
        "We could not confirm that card with our card processor. Please enter your card again."
    )
    if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
        raise refused
    try:
        with _stripe_call("check your card"):
            setup = _client().v1.setup_intents.retrieve(setup_intent_id).to_dict()
    except StripeRefused as error:
        raise refused from error
    payment_method = setup.get("payment_method")
    if isinstance(payment_method, dict):
        payment_method = payment_method.get("id")
    if (
        setup.get("status") != "succeeded"
        or setup.get("customer") != customer_id
        or (setup.get("metadata") or {}).get("application_id") != str(application_id)
        or not isinstance(payment_method, str)
    ):
        raise refused
    return payment_method


def charge_card(
    *,
    amount: Money,
    customer_id: str,
    payment_method_id: str,
    metadata: dict,
    idempotency_key: str,
    off_session: bool = False,
    capture: bool = True,
) -> Intent:
    """Charge a saved card now, or with `capture=False` only authorise it (a hold, taken later
    with `capture_intent` or released with `cancel_intent`). A decline raises `CardDeclined`;
    3-D Secure gives `requires_action`."""
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
    if not capture:
        params["capture_method"] = "manual"
    with _stripe_call("charge your card" if capture else "authorise your card"):
        created = _client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key})
    return _intent(created)


def capture_intent(*, intent_id: str, amount: Money, idempotency_key: str) -> Intent:
    """Take `amount` (at most what was authorised) from a held card; Stripe releases the rest."""
    with _stripe_call("take the payment from your card"):
        captured = _client().v1.payment_intents.capture(
            intent_id, {"amount_to_capture": to_minor_units(amount)}, {"idempotency_key": idempotency_key}
        )
    return _intent(captured)


def cancel_intent(*, intent_id: str) -> Intent:
    """Release a hold, or abandon a payment still waiting for authentication."""
    with _stripe_call("release the hold on your card"):
        return _intent(_client().v1.payment_intents.cancel(intent_id))


def retrieve_intent(intent_id: str) -> Intent:
    with _stripe_call("check your payment"):
        return _intent(_client().v1.payment_intents.retrieve(intent_id))


def refund(*, intent_id: str, amount: Money, idempotency_key: str, metadata: dict) -> str:
    """Give back `amount` of a card payment (partially if less than it); returns the refund id."""
    with _stripe_call("send the refund"):
        created = _client().v1.refunds.create(
            {
                "payment_intent": intent_id,
                "amount": to_minor_units(amount),
                "metadata": {key: str(value) for key, value in metadata.items()},
            },
            {"idempotency_key": idempotency_key},
        )
    return created.id


def all_intents():
    """Every PaymentIntent in the Stripe account, newest first (for reconciliation)."""
    with _stripe_call("list the payments"):
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
    # Stripe's check refuses only old signatures; one dated ahead of the tolerance is refused too.
    stamps = [part[2:] for part in (signature or "").split(",") if part.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise ValueError("The signature is dated in the future.")
    try:
        return json.loads(payload)
    except (json.JSONDecodeError, RecursionError) as error:  # RecursionError: nested too deep
        raise ValueError("The payload is not JSON that Stripe would send.") from error
