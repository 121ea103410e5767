"""Rate limits, with a clear message: login per account and per client address, sign-up,
password reset, "send the link again", and the public simulator API per client. They are counted
in the cache, so on Redis every process counts together."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.redis_db import REDIS_URL

User = get_user_model()
PASSWORD = "a long walk by the canal"
TOO_MANY = "Too many wrong passwords"

pytestmark = pytest.mark.django_db


@pytest.fixture
def emails_sent(django_capture_on_commit_callbacks):
    def post(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post


def log_in(client, login, password=PASSWORD):
    return client.post(reverse("account:login"), {"login": login, "password": password})


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(client):
    User.objects.create_user("ann@example.org", "ann@example.org", PASSWORD)
    for attempt in range(50):
        log_in(client, "ann@example.org", password=f"guess {attempt}")
    response = log_in(client, "ann@example.org")
    assert response.status_code == 429 and "Please wait a moment" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address the account is still held for its five minutes: it is per account too.
    elsewhere = Client(REMOTE_ADDR="192.0.2.77")
    held = log_in(elsewhere, "ann@example.org")
    assert held.status_code == 200 and TOO_MANY in held.content.decode()
    assert "_auth_user_id" not in elsewhere.session


def test_the_sixth_wrong_password_for_an_account_is_refused_with_a_message(client):
    User.objects.create_user("ann@example.org", "ann@example.org", PASSWORD)
    for attempt in range(5):
        assert TOO_MANY not in log_in(client, "ann@example.org", f"guess {attempt}").content.decode()
    response = log_in(client, "ann@example.org")
    assert TOO_MANY in response.content.decode() and "_auth_user_id" not in client.session


def test_one_client_address_trying_many_accounts_is_stopped(client):
    for number in range(12):
        User.objects.create_user(f"u{number}@example.org", f"u{number}@example.org", PASSWORD)
    answers = [log_in(client, f"u{number}@example.org", "wrong").content.decode() for number in range(12)]
    assert TOO_MANY not in answers[0] and TOO_MANY in answers[-1]
    other_client = Client(REMOTE_ADDR="192.0.2.78")
    assert log_in(other_client, "u11@example.org").status_code == 302  # that account is not locked


def test_sign_up_from_one_address_is_limited_with_a_clear_page(client, emails_sent):
    answers = [
        emails_sent(client, reverse("account:signup"), {"name": "Ann", "email": f"a{n}@example.org"})
        for n in range(12)
    ]
    assert [answer.status_code for answer in answers[:10]] == [302] * 10
    assert answers[-1].status_code == 429 and "Please wait a moment" in answers[-1].content.decode()
    assert len(mail.outbox) == 10


@pytest.mark.parametrize("has_account", [False, True], ids=["new-address", "address-with-an-account"])
def test_signing_one_address_up_again_and_again_sends_it_a_few_emails_at_most(emails_sent, has_account):
    """From many clients (each its own address, so the per-client limit never bites)."""
    if has_account:
        User.objects.create_user("victim@example.net", "victim@example.net", PASSWORD)
    for n in range(12):
        client = Client(REMOTE_ADDR=f"10.0.0.{n + 1}")
        answer = emails_sent(client, reverse("account:signup"), {"name": "V", "email": "victim@example.net"})
        assert answer.status_code == 302, "every one is answered the same"
    assert 1 <= len(mail.outbox) <= (3 if has_account else 5)


def test_send_the_link_again_sends_three_emails_an_hour_at_most(client, emails_sent):
    emails_sent(client, reverse("account:signup"), {"name": "Ann", "email": "ann@example.org"})
    mail.outbox.clear()
    answers = [
        emails_sent(client, reverse("account:resend-verification"), {"email": "ann@example.org"})
        for _ in range(6)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429, 429]
    assert len(mail.outbox) == 3


def test_password_reset_sends_three_emails_an_hour_at_most(client, emails_sent):
    User.objects.create_user("ann@example.org", "ann@example.org", PASSWORD)
    answers = [
        emails_sent(client, reverse("account:password-reset"), {"email": "ann@example.org"}) for _ in range(6)
    ]
    assert len(mail.outbox) == 3
    assert [answer.status_code for answer in answers] == [302, 302, 302, 429, 429, 429]
    assert "Please wait a moment" in answers[-1].content.decode()


def test_the_simulator_api_is_throttled_per_client(settings):
    body = {
        "kind": "profit_share",
    }
    first, second = Client(REMOTE_ADDR="192.0.2.10"), Client(REMOTE_ADDR="192.0.2.11")
    answers = [
        first.post("/api/v1/returns/simulate", body, content_type="application/json").status_code
        for _ in range(61)
    ]
    assert 429 not in answers[:60] and answers[60] == 429
    refused = first.post("/api/v1/returns/simulate", body, content_type="application/json")
    assert "Too many requests" in refused.json()["detail"]
    assert second.post("/api/v1/returns/simulate", body, content_type="application/json").status_code != 429


def test_a_client_cannot_escape_the_throttle_by_inventing_forwarded_addresses():
    body = {"kind": "profit_share"}
    client = Client(REMOTE_ADDR="192.0.2.12")
    answers = [
        client.post(
            "/api/v1/returns/simulate",
            body,
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        ).status_code
        for n in range(61)
    ]
    assert answers[-1] == 429


def test_limits_are_shared_by_every_process_through_redis(settings, client):
    """Two cache clients (as two server processes would have) count the same failures."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "commonshare-test-security",
        }
    }
    caches["default"].clear()
    User.objects.create_user("ann@example.org", "ann@example.org", PASSWORD)
    for attempt in range(5):
        log_in(client, "ann@example.org", password=f"guess {attempt}")

    answers, this_process = {}, caches["default"]

    def other_process():  # a new thread opens its own cache client and connection
        answers["same cache client"] = caches["default"] is this_process
        answers["other"] = log_in(Client(REMOTE_ADDR="192.0.2.99"), "ann@example.org").content.decode()

    thread = threading.Thread(target=other_process)
    thread.start()
    thread.join()
    assert answers["same cache client"] is False
    assert TOO_MANY in answers["other"]
    caches["default"].clear()
