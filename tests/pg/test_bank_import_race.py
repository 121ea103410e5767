"""The same bank statement uploaded twice at the same moment (two treasurers, a double click
reaching two web processes): real threads, real PostgreSQL, imported exactly once."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from capital.models import AuditEntry
from investors.errors import PaymentError
from investors.models import Application, BankStatementImport, BankStatementLine, Payment
from investors.payments.bank_import import (
    import_bank_statement,
    queue_bank_statement,
    resume_stalled_imports,
    run_statement_import,
)
from tests import factories
from tests.builders import unpaid_application
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
COPIES = 4


def a_statement(offer, tills=200):
    applications = [unpaid_application(offer=offer, shares=100) for _ in range(3)]
    rows = [f"2026-11-20,100.00,{application.payment_reference}" for application in applications]
    rows += [f"2026-11-{1 + n % 28:02d},{n + 1}.00,TILL {n}" for n in range(tills)]
    return applications, "date,amount,reference\n" + "\n".join(rows) + "\n"


def test_one_file_uploaded_many_times_at_once_is_imported_once():
    offer = factories.OpenOfferFactory()
    applications, text = a_statement(offer)

    outcomes = run_concurrently(
        lambda _: import_bank_statement(society=offer.society, text=text, source_name="nov.csv"),
        range(COPIES),
    )

    imported = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(imported) == 1 and len(imported[0].new_lines) == 203
    assert len(refused) == COPIES - 1
    assert all(isinstance(error, PaymentError) and "already imported" in str(error) for error in refused), (
        refused
    )
    assert BankStatementLine.objects.count() == 203 and Payment.objects.count() == 3
    assert BankStatementImport.objects.get().state == BankStatementImport.State.DONE
    assert AuditEntry.objects.filter(action="bank.imported").count() == 1
    assert Application.objects.filter(state=Application.State.PAID).count() == 3


def test_an_upload_racing_a_queued_import_of_the_same_file_is_told_it_is_imported():
    offer = factories.OpenOfferFactory()
    applications, text = a_statement(offer)

    def upload(kind):
        if kind == "queue":
            return queue_bank_statement(society=offer.society, text=text)
        return import_bank_statement(society=offer.society, text=text)

    outcomes = run_concurrently(upload, ["queue", "now", "queue", "now"])

    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 1, outcomes
    assert all("already imported" in str(o) for o in outcomes if isinstance(o, Exception)), outcomes
    statement = BankStatementImport.objects.get()
    if statement.state == BankStatementImport.State.QUEUED:
        run_statement_import(statement.pk)
    assert BankStatementLine.objects.count() == 203 and Payment.objects.count() == 3


def test_statement_payments_recorded_in_bulk_race_a_card_payment_for_the_same_application():
    """The bulk path locks holder, offer, application like `confirm_payment`: a card payment
    for one of the statement's applications at the same moment leaves exactly one paid, the other
    money owed back, never two paid or a deadlock."""
    from investors.payments.services import confirm_payment

    offer = factories.OpenOfferFactory()
    applications, text = a_statement(offer)
    target = applications[1]

    def work(kind):
        if kind == "statement":
            return import_bank_statement(society=offer.society, text=text)
        return confirm_payment(
            application=target,
            amount=target.amount,
            method=Application.PaymentMethod.CARD,
            provider_reference="pi_race",
        )

    outcomes = run_concurrently(work, ["statement", "card"])
    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    target.refresh_from_db()
    assert target.state == Application.State.PAID
    line = BankStatementLine.objects.get(application=target)
    # Which thread records first is the race's to decide; each order has one right outcome.
    if line.status == BankStatementLine.Status.MATCHED:
        assert target.payments.count() == 2
        assert target.refunds.count() == 1  # the card's money, second in, is owed back
    else:
        # The card was recorded first: the statement's line waits for the treasurer to decide.
        assert line.status == BankStatementLine.Status.SECOND_RECEIPT
        assert target.payments.count() == 1
        assert target.refunds.count() == 0


def test_a_statement_being_recorded_is_left_alone_until_its_worker_dies_then_imported_once():
    offer = factories.OpenOfferFactory()
    applications, text = a_statement(offer)
    with transaction.atomic():  # a worker took it (the job queued at commit finds it taken)
        queued = queue_bank_statement(society=offer.society, text=text, source_name="year.csv")
        BankStatementImport.objects.filter(pk=queued.pk).update(
            state=BankStatementImport.State.RECORDING,
            heartbeat_at=timezone.now() - datetime.timedelta(hours=1),  # recording gives no sign of life
        )
    recording, die = threading.Event(), threading.Event()

    def worker_recording_then_killed():
        try:
            with transaction.atomic():
                BankStatementImport.objects.select_for_update().get(pk=queued.pk)
                recording.set()
                die.wait(timeout=30)
                raise KeyboardInterrupt  # the process killed: its transaction never commits
        except KeyboardInterrupt:
            pass
        finally:
            connection.close()

    worker = threading.Thread(target=worker_recording_then_killed)
    worker.start()
    assert recording.wait(timeout=30)

    assert resume_stalled_imports() == 0  # locked: its worker is still recording
    die.set()
    worker.join(timeout=30)
    assert resume_stalled_imports() == 1

    queued.refresh_from_db()
    assert (queued.state, queued.error) == (BankStatementImport.State.DONE, "")
    assert BankStatementLine.objects.count() == 203 and Payment.objects.count() == 3
    assert Application.objects.filter(state=Application.State.PAID).count() == 3
    assert resume_stalled_imports() == 0
