"""One way to email a holder: a template, the name cleaned, sent once the transaction commits,
and a mail server that is down never turns a saved decision into an error."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction

from investors.notify import email_holder, name_for_email
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


def test_the_name_a_stranger_typed_cannot_become_a_link_or_a_message():
    assert name_for_email("Ann <b>O'Brien</b> http://evil.example/?x=1") == "Ann bO'Brienb httpevilexamplex"
    assert name_for_email("Zoë  Łukasz-Nowak\n\nClick here") == "Zoë Łukasz-NowakClick here", (
        "a line break cannot start a message of its own"
    )
    assert len(name_for_email("a" * 500)) == 70


def test_a_holder_is_emailed_their_cleaned_name_once_the_transaction_commits(
    db, django_capture_on_commit_callbacks
):
    holder = factories.HolderFactory(name="Ann https://evil.example Other", email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_holder(
            holder=holder,
            template="card_not_charged",
            subject="We could not charge your card (CS-ABCD2345)",
            application=type("A", (), {"offer": type("O", (), {"title": "Solar"}), "payment_reference": "X"}),
            why="Your card was declined.",
        )
        assert mail.outbox == [], "nothing is sent before the commit"
    [message] = mail.outbox
    assert message.to == ["ann@example.org"]
    assert message.body.startswith("Dear Ann httpsevilexample Other,")
    assert "Your card was declined." in message.body


def test_nothing_is_sent_for_a_decision_that_was_rolled_back(db, django_capture_on_commit_callbacks):
    holder = factories.HolderFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        email_holder(holder=holder, template="refund", subject="Your refund", amount="£1.00")
        raise RuntimeError("the decision failed")
    assert mail.outbox == []


def test_a_mail_server_that_is_down_is_logged_and_the_caller_goes_on(
    db, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.failing_email.FailingEmailBackend"
    holder = factories.HolderFactory(email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        email_holder(holder=holder, template="refund", subject="Your refund", amount="£1.00")
    assert "Could not send 'Your refund' to ann@example.org" in caplog.text


def test_no_module_sends_mail_but_through_notify():
    """Every email goes through `shares.notify`; documents only `.send()` the message
    it built (they must count a refusal themselves)."""
    senders = re.compile(r"\bsend_mail\(|\bEmailMessage\(|\bsend_mass_mail\(|\.send_messages\(")
    found = []
    for app in ("capital", "shares", "investors", "cms", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if path == ROOT / "shares" / "notify.py" or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if senders.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
