"""One way to email a holder: a template, the name cleaned, sent once the transaction commits,
and a mail server that is down never turns a saved decision into an error."""

import re
from pathlib import Path

import pytest
from django.core import mail
from django.db import transaction
from django_tasks import default_task_backend

from investors.models import Refund
from investors.notify import email_holder, name_for_email
from investors.payments.refunds import owe_back
from tests import factories
from tests.builders import unpaid_application
from tests.shares.test_certificate_pdf import stored_logo

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
    assert "Could not send 'Your refund'" in caplog.text
    assert "ann@example.org" not in caplog.text, "the log names no one's address"


def test_an_email_that_fails_any_way_leaves_the_other_after_commit_work_to_run(
    open_offer, settings, django_capture_on_commit_callbacks
):
    """An address the mail backend cannot parse, or a template that cannot be rendered, after an
    allocation: the refunds stay owed, and the work queued behind the emails still runs."""
    settings.EMAIL_BACKEND = "tests.failing_email.UnparseableAddressBackend"
    first, second = (unpaid_application(offer=open_offer, shares=10) for _ in range(2))
    after = []
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        owe_back(application=first, payment=None, amount=first.amount, reason=Refund.Reason.CANCELLED)
        email_holder(holder=second.holder, template="no_such_template", subject="Broken")
        owe_back(application=second, payment=None, amount=second.amount, reason=Refund.Reason.CANCELLED)
        transaction.on_commit(lambda: after.append("the next card refund"))
    assert after == ["the next card refund"]
    assert Refund.objects.filter(state=Refund.State.DUE).count() == 2


def test_no_module_sends_mail_but_through_notify():
    """Every email goes through `shares.notify`; documents only `.send()` the message
    it built (they must count a refusal themselves). allauth's adapter's own `self.send_mail`
    is ours (investors/accounts/adapter.py) and sends through notify."""
    senders = re.compile(
        r"(?<!def )(?<!self\.)\bsend_mail\(|\bEmailMessage\(|\bEmailMultiAlternatives\(|\bsend_mass_mail\("
        r"|\bmail_admins\(|\bmail_managers\(|\.send_messages\("
    )
    found = []
    for app in ("capital", "shares", "investors", "cms", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if path == ROOT / "shares" / "notify.py" or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if senders.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_every_email_has_an_html_part_headed_by_the_societys_name_and_logo(
    open_offer, settings, django_capture_on_commit_callbacks
):
    settings.WAGTAILADMIN_BASE_URL = "https://shares.example.coop"
    society = open_offer.society
    society.logo = stored_logo()
    society.save()
    application = unpaid_application(offer=open_offer, shares=10)
    with django_capture_on_commit_callbacks(execute=True):
        email_holder(
            holder=application.holder,
            template="refund",
            subject="Your refund",
            application=application,
            amount="£10.00",
            refund=type("R", (), {"get_reason_display": "Cancelled"}),
        )
    [message] = mail.outbox
    [(html, kind)] = message.alternatives
    assert kind == "text/html"
    assert f'<p style="margin:0;font-size:20px;font-weight:bold;color:#2f6b4f;">{society.name}</p>' in html
    assert re.search(
        r'<img src="https://shares\.example\.coop/[^"]+\.png" alt="' + re.escape(society.name), html
    )
    assert "We are refunding £10.00" in html and "We are refunding £10.00" in message.body


def test_a_holder_email_waits_in_the_mail_queue_until_a_worker_sends_it(
    db, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": settings.TASK_QUEUES}
    }
    holder = factories.HolderFactory(name="Ann Other", email="ann@example.org")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        email_holder(
            holder=holder,
            template="card_not_charged",
            subject="We could not charge your card (CS-ABCD2345)",
            application=type("A", (), {"offer": type("O", (), {"title": "Solar"}), "payment_reference": "X"}),
            why="Your card was declined.",
        )
    assert mail.outbox == [], "nothing is sent from the request"
    (queued,) = default_task_backend.results
    assert (queued.task.queue_name, queued.task.name) == ("mail", "send_queued_email")

    assert queued.task.call(*queued.args, **queued.kwargs) is True  # what the mail worker runs
    (sent,) = mail.outbox
    assert sent.to == ["ann@example.org"] and "Ann Other" in sent.body
    assert sent.alternatives[0].mimetype == "text/html" and "Solar" in sent.alternatives[0].content
