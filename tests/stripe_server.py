"""A real (fake) Stripe for the tests: localstripe on a free loopback port, and what the
browser's Stripe.js and Stripe's webhook sender would do, spoken over plain HTTP."""

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

WEBHOOK_SECRET = "whsec_commonshare_tests"
CARDS = {
    "ok": "4242424242424242",
    "declined": "4000000000000341",
    "needs_authentication": "4000002500003155",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStripe:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(self.port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/js.stripe.com/v3/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("localstripe did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def request(self, method: str, path: str, data: dict | None = None) -> dict:
        body = urllib.parse.urlencode(_flatten(data or {})).encode() if data is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=body,
            method=method,
            headers={"Authorization": "Bearer sk_test_commonshare"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}

    def reset(self):
        self.request("DELETE", "/_config/data")

    # What Stripe.js does in the browser.
    def card(self, kind: str = "ok") -> str:
        card = {"number": CARDS[kind], "exp_month": "12", "exp_year": "2034", "cvc": "123"}
        return self.request("POST", "/v1/payment_methods", {"type": "card", "card": card})["id"]

    def confirm_card_setup(self, client_secret: str, kind: str = "ok") -> str:
        """Save a card of `kind` through the SetupIntent, passing the bank's authentication when
        it asks (as the cardholder does in Stripe.js's modal); returns the payment method id."""
        setup_id = client_secret.split("_secret_")[0]
        confirmed = self.request(
            "POST",
            f"/v1/setup_intents/{setup_id}/confirm",
            {"payment_method": self.card(kind), "client_secret": client_secret},
        )
        if confirmed["status"] == "requires_action":
            self.request("POST", f"/v1/setup_intents/{setup_id}/confirm", {"client_secret": client_secret})
        return confirmed["payment_method"]

    def authenticate(self, client_secret: str, success: bool = True) -> dict:
        intent_id = client_secret.split("_secret_")[0]
        return self.request(
            "POST",
            f"/v1/payment_intents/{intent_id}/_authenticate?success={'true' if success else 'false'}",
            {"client_secret": client_secret},
        )

    def intent(self, intent_id: str) -> dict:
        return self.request("GET", f"/v1/payment_intents/{intent_id}")

    def charge_outside(self, amount_minor: int, application_id: str = "") -> dict:
        """A PaymentIntent made in Stripe directly (not by the platform)."""
        metadata = {"application_id": application_id} if application_id else {}
        return self.request(
            "POST",
            "/v1/payment_intents",
            {
                "amount": amount_minor,
                "currency": "gbp",
                "payment_method": self.card(),
                "confirm": "true",
                "metadata": metadata,
            },
        )

    def refund_outside(self, intent_id: str, amount_minor: int) -> dict:
        return self.request("POST", "/v1/refunds", {"payment_intent": intent_id, "amount": amount_minor})


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    pairs = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            pairs.extend(_flatten(value, name))
        else:
            pairs.append((name, str(value)))
    return pairs


def signed_event(
    event_type: str,
    obj: dict,
    *,
    event_id: str | None = None,
    age_seconds: int = 0,
    secret: str = WEBHOOK_SECRET,
    data=None,
) -> tuple[bytes, str]:
    """A webhook delivery as Stripe signs it: (payload, Stripe-Signature header). `data`
    replaces the event's `{"object": obj}`; a negative `age_seconds` dates it in the future."""
    event = {
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()) - age_seconds,
        "data": {"object": obj} if data is None else data,
    }
    payload = json.dumps(event).encode()
    timestamp = int(time.time()) - age_seconds
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return payload, f"t={timestamp},v1={signature}"
