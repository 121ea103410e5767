"""Bank statement import: exact matches recorded, the rest listed, the same file twice is harmless."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
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
from tests.builders import board_seat, unpaid_application

Status = BankStatementLine.Status


@pytest.fixture
def statement(open_offer):
    big = unpaid_application(offer=open_offer, shares=1250)
    small = unpaid_application(offer=open_offer, shares=100)
    partial = unpaid_application(offer=open_offer, shares=500)
    ref = big.payment_reference
    text = (
        "Reference,Date,Amount,Counterparty\n"
        f'{ref.lower().replace("-", " ")} SHARES,22/11/2026,"1,250.00",A MOSS\n'
        f"Payment {small.payment_reference},2026-11-21,100,B HUSSAIN\n"
        f"{partial.payment_reference},2026-11-21,250.00,C EVANS\n"
        "RENT NOVEMBER,2026-11-20,600.00,LANDLORD\n"
        "DIRECT DEBIT,2026-11-20,-45.10,ENERGY CO\n"
    )
    return open_offer, (big, small, partial), text


def test_exact_matches_are_recorded_and_the_rest_listed(statement):
    offer, (big, small, partial), text = statement
    result = import_bank_statement(society=offer.society, text=text, source_name="nov.csv")

    assert [line.status for line in result.new_lines] == [
        Status.MATCHED,
        Status.MATCHED,
        Status.WRONG_AMOUNT,
        Status.UNKNOWN,
        Status.NOT_RECEIPT,
    ]
    for application in (big, small):
        application.refresh_from_db()
        assert application.state == Application.State.PAID
    partial.refresh_from_db()
    assert partial.state == Application.State.AWAITING_PAYMENT
    line = BankStatementLine.objects.get(status=Status.WRONG_AMOUNT)
    assert line.application == partial and "is for £500.00" in line.note
    assert BankStatementLine.objects.get(status=Status.UNKNOWN).other_columns == {"counterparty": "LANDLORD"}
    assert Payment.objects.get(application=big).received_on.isoformat() == "2026-11-22"


def test_importing_the_same_file_twice_is_refused_and_changes_nothing(statement):
    offer, _, text = statement
    import_bank_statement(society=offer.society, text=text)
    audit = AuditEntry.objects.count()
    with pytest.raises(PaymentError, match="already imported"):
        import_bank_statement(society=offer.society, text=text)
    assert BankStatementLine.objects.count() == 5 and Payment.objects.count() == 2
    assert AuditEntry.objects.count() == audit


def test_the_same_lines_in_another_file_are_already_imported(statement):
    offer, _, text = statement
    import_bank_statement(society=offer.society, text=text)
    again = import_bank_statement(society=offer.society, text=text + "\n")
    assert again.new_lines == [] and again.already_imported == 5
    assert BankStatementLine.objects.count() == 5 and Payment.objects.count() == 2


def test_two_identical_lines_in_one_file_are_both_kept(open_offer):
    text = "date,amount,reference\n2026-11-20,10.00,CASH\n2026-11-20,10.00,CASH\n"
    result = import_bank_statement(society=open_offer.society, text=text)
    assert len(result.new_lines) == 2
    assert import_bank_statement(society=open_offer.society, text=text + "\n").already_imported == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("date,amount\n2026-11-20,10\n", "no reference column"),
        ("date,amount,reference\n20th Nov,10,X\n", "Line 2: '20th Nov' is not a date"),
        ("date,amount,reference\n2026-11-20,ten,X\n", "Line 2: 'ten' is not an amount"),
        ("date,amount,reference\n2026-11-20,10,X\n2026-11-21,1.234,Y\n", "Line 3: '1.234' has more than two"),
        ("", "The file is empty"),
    ],
)
def test_an_unreadable_file_changes_nothing_and_says_which_line(open_offer, text, message):
    with pytest.raises(PaymentError, match=message):
        import_bank_statement(society=open_offer.society, text=text)
    assert not BankStatementLine.objects.exists()


def test_a_reference_from_another_society_is_not_matched(open_offer):
    other_offer = factories.OpenOfferFactory()
    application = unpaid_application(offer=other_offer, shares=100)
    text = f"date,amount,reference\n2026-11-20,100.00,{application.payment_reference}\n"
    line = import_bank_statement(society=open_offer.society, text=text).new_lines[0]
    assert line.status == Status.UNKNOWN


def test_import_command(statement, tmp_path):
    offer, _, text = statement
    path = tmp_path / "statement.csv"
    path.write_text(text)
    out = io.StringIO()
    call_command("import_bank_statement", offer.society.slug, str(path), stdout=out)
    assert "5 new lines (0 already imported): 2 matched, 1 with the wrong amount, 1 unknown" in out.getvalue()
    assert "RENT NOVEMBER" in out.getvalue()
    with pytest.raises(CommandError, match="No society"):
        call_command("import_bank_statement", "nowhere", str(path))


def upload(client, society, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    statement = SimpleUploadedFile("statement.csv", text.encode(), content_type="text/csv")
    return client.post("/admin/bank-statements/import/", {"society": society.pk, "statement": statement})


def test_the_treasurer_uploads_a_statement_in_the_admin(client, statement):

    offer, (big, _, _), text = statement
    treasurer = board_seat(society=offer.society, role="treasurer")
    client.force_login(treasurer)
    assert client.get("/admin/bank-statements/import/").status_code == 200
    response = upload(client, offer.society, text)
    assert response.status_code == 302 and response["Location"] == "/admin/bankstatementline/"
    big.refresh_from_db()
    assert big.state == Application.State.PAID
    listing = client.get("/admin/bankstatementline/").content.decode()
    assert "RENT NOVEMBER" in listing


def test_the_admin_upload_refuses_other_societies_and_other_roles(client, statement):

    offer, _, text = statement
    other_treasurer = board_seat(society=factories.SocietyFactory(), role="treasurer")
    client.force_login(other_treasurer)
    assert upload(client, offer.society, text).status_code == 200  # the form refuses the choice
    secretary = board_seat(society=offer.society, role="secretary")
    client.force_login(secretary)
    refused = upload(client, offer.society, text)  # Wagtail turns PermissionDenied into a redirect
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert not BankStatementLine.objects.exists()


def test_a_bad_statement_uploaded_in_the_admin_is_explained(client, statement):

    offer, _, _ = statement
    treasurer = board_seat(society=offer.society, role="treasurer")
    client.force_login(treasurer)
    response = upload(client, offer.society, "when,how much\n1,2\n")
    assert "no date, amount, reference column" in response.content.decode()


def test_the_same_line_from_another_export_of_the_account_is_imported_once(open_offer):
    application = unpaid_application(offer=open_offer, shares=1250)
    ref = application.payment_reference
    first = f"date,amount,reference\n2026-11-22,1250,{ref}\n"
    other_export = f'Date,Reference,Amount,Balance\n22/11/2026,{ref},"1,250.00",9999.00\n'
    import_bank_statement(society=open_offer.society, text=first)
    again = import_bank_statement(society=open_offer.society, text=other_export)
    assert again.already_imported == 1 and again.new_lines == []
    assert Payment.objects.count() == 1


def test_a_second_receipt_for_a_paid_application_waits_for_the_treasurer(open_offer):
    from investors.models import Refund

    application = unpaid_application(offer=open_offer, shares=100)
    ref = application.payment_reference
    import_bank_statement(society=open_offer.society, text=f"date,amount,reference\n2026-11-20,100,{ref}\n")
    later = import_bank_statement(
        society=open_offer.society, text=f"date,amount,reference\n2026-11-21,100,{ref}\n"
    )
    line = later.new_lines[0]
    assert line.status == Status.SECOND_RECEIPT and "already paid" in line.note
    assert Payment.objects.count() == 1 and not Refund.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1.250,00", "is not an amount"), ("Infinity", "is not an amount"), ("1" * 16, "is not an amount")],
)
def test_amounts_in_other_notations_are_refused(open_offer, amount, message):
    with pytest.raises(PaymentError, match=message):
        import_bank_statement(
            society=open_offer.society, text=f'date,amount,reference\n2026-11-20,"{amount}",X\n'
        )
    assert not BankStatementLine.objects.exists()


def test_the_reference_is_found_at_a_word_boundary_among_other_text(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    text = f"date,amount,reference\n2026-11-20,100.00,TOPICS GRANTHAM {application.payment_reference}\n"
    assert import_bank_statement(society=open_offer.society, text=text).new_lines[0].status == Status.MATCHED


def test_an_import_writes_its_audit_entry_and_keeps_the_file_record(statement):
    offer, _, text = statement
    import_bank_statement(society=offer.society, text=text, source_name="nov.csv")
    entry = AuditEntry.objects.get(action="bank.imported")
    assert entry.summary.startswith("nov.csv: 5 new lines (0 already imported): 2 matched")
    statement_import = BankStatementImport.objects.get()
    assert statement_import.state == BankStatementImport.State.DONE and statement_import.lines_total == 5
    assert entry.data == {"statement": statement_import.pk}
    assert set(BankStatementLine.objects.values_list("statement", flat=True)) == {statement_import.pk}
    # each payment recorded in bulk has the audit entry one at a time would have written
    assert AuditEntry.objects.filter(action="payment.recorded", summary__endswith=": paid").count() == 2


def test_a_nul_byte_is_refused_with_its_line_and_nothing_is_stored(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    lines = [f"2026-11-2{n},10.00,LINE {n}" for n in range(4)]
    text = (
        "date,amount,reference\n"
        f"2026-11-20,100.00,{application.payment_reference}\n"
        + "\n".join(lines)
        + "\n2026-11-20,10\x00,BAD\n"
    )
    with pytest.raises(PaymentError, match="Line 7 contains a NUL byte"):
        import_bank_statement(society=open_offer.society, text=text)
    assert not BankStatementLine.objects.exists() and not Payment.objects.exists()
    assert not BankStatementImport.objects.exists()


def test_an_import_that_fails_part_way_leaves_nothing_and_may_be_tried_again(open_offer, monkeypatch):
    application = unpaid_application(offer=open_offer, shares=100)
    text = f"date,amount,reference\n2026-11-20,100.00,{application.payment_reference}\n2026-11-20,5.00,CASH\n"

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(BankStatementLine.objects, "bulk_create", crash)
        with pytest.raises(RuntimeError):
            import_bank_statement(society=open_offer.society, text=text)
    # the payment recorded before the crash went with it
    assert not Payment.objects.exists() and not BankStatementImport.objects.exists()
    application.refresh_from_db()
    assert application.state == Application.State.AWAITING_PAYMENT
    assert not AuditEntry.objects.filter(action__in=["payment.recorded", "bank.imported"]).exists()
    result = import_bank_statement(society=open_offer.society, text=text)
    assert result.count(Status.MATCHED) == 1 and Payment.objects.count() == 1


def test_two_lines_paying_one_application_in_one_file(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    ref = application.payment_reference
    text = f"date,amount,reference\n2026-11-20,100,{ref}\n2026-11-21,100,{ref} AGAIN\n"
    first, second = import_bank_statement(society=open_offer.society, text=text).new_lines
    assert first.status == Status.MATCHED and first.note == "Paid"
    assert second.status == Status.SECOND_RECEIPT and "earlier line of this statement" in second.note
    assert Payment.objects.count() == 1


def test_a_lapsed_reservation_paid_from_the_statement_takes_the_one_by_one_path(open_offer):
    application = unpaid_application(offer=open_offer, shares=100)
    Application.objects.filter(pk=application.pk).update(state=Application.State.CANCELLED)
    text = f"date,amount,reference\n2026-11-20,100,{application.payment_reference}\n"
    line = import_bank_statement(society=open_offer.society, text=text).new_lines[0]
    application.refresh_from_db()
    assert line.status == Status.MATCHED and application.state == Application.State.REFUND_DUE
    assert line.note == "Refund due"


def big_statement(open_offer, lines=30):
    application = unpaid_application(offer=open_offer, shares=100)
    rows = [f"2026-11-20,100.00,{application.payment_reference}"]
    rows += [f"2026-11-{1 + n % 28:02d},{n + 1}.00,TILL {n}" for n in range(lines - 1)]
    return application, "date,amount,reference\n" + "\n".join(rows) + "\n"


def test_a_large_statement_is_imported_by_a_background_job(open_offer, django_capture_on_commit_callbacks):
    application, text = big_statement(open_offer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = queue_bank_statement(society=open_offer.society, text=text, source_name="year.csv")
    assert queued.state == BankStatementImport.State.QUEUED and queued.progress == "0 of 30 lines read"
    assert not BankStatementLine.objects.exists()  # nothing happens inside the request
    with pytest.raises(PaymentError, match="already imported"):  # nor can it be queued twice
        queue_bank_statement(society=open_offer.society, text=text)
    for callback in callbacks:
        callback()  # the worker runs the job
    queued.refresh_from_db()
    assert queued.state == BankStatementImport.State.DONE and queued.content == ""
    assert queued.progress.startswith("30 new lines (0 already imported): 1 matched")
    assert BankStatementLine.objects.filter(statement=queued).count() == 30
    application.refresh_from_db()
    assert application.state == Application.State.PAID
    assert AuditEntry.objects.filter(action="bank.imported", data__statement=queued.pk).exists()


def test_a_background_import_with_a_bad_line_fails_whole_and_may_be_uploaded_again(open_offer):
    application, text = big_statement(open_offer)
    broken = text + "2026-11-40,1.00,NOT A DAY\n"
    queued = queue_bank_statement(society=open_offer.society, text=broken, source_name="year.csv")
    run_statement_import(queued.pk)
    queued.refresh_from_db()
    assert queued.state == BankStatementImport.State.FAILED
    assert queued.progress == "Line 32: '2026-11-40' is not a date (use 2026-11-22 or 22/11/2026)."
    assert not BankStatementLine.objects.exists() and not Payment.objects.exists()
    assert AuditEntry.objects.filter(action="bank.import_failed", summary__contains="Line 32").exists()
    again = queue_bank_statement(society=open_offer.society, text=broken)  # a failed file may come again
    assert again.state == BankStatementImport.State.QUEUED


def test_a_large_upload_in_the_admin_is_queued_and_its_progress_listed(client, open_offer, monkeypatch):
    monkeypatch.setattr("investors.payments.admin.IN_REQUEST_LINES", 10)
    application, text = big_statement(open_offer)
    client.force_login(board_seat(society=open_offer.society, role="treasurer"))
    response = upload(client, open_offer.society, text)
    assert (response.status_code, response["Location"]) == (302, "/admin/bankstatementimport/")
    statement_import = BankStatementImport.objects.get()
    listing = client.get("/admin/bankstatementimport/").content.decode()
    assert "being imported in the background" in listing
    assert statement_import.get_state_display() in listing and "0 of 30 lines read" in listing
    run_statement_import(statement_import.pk)
    listing = client.get("/admin/bankstatementimport/").content.decode()
    assert "30 new lines (0 already imported): 1 matched" in listing
    refused = upload(client, open_offer.society, text)
    assert "already imported" in refused.content.decode()


def stop_worker_while(statement_import, state, *, minutes_ago):
    """What a worker killed part-way leaves behind: the state it had reached, and no sign of
    life since."""
    BankStatementImport.objects.filter(pk=statement_import.pk).update(
        state=state, lines_read=10, heartbeat_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )


@pytest.mark.parametrize("state", ["queued", "reading", "recording"])
def test_a_statement_whose_worker_stopped_is_imported_again_from_its_first_line(
    open_offer, state, django_capture_on_commit_callbacks
):
    application, text = big_statement(open_offer)
    queued = queue_bank_statement(society=open_offer.society, text=text, source_name="year.csv")
    stop_worker_while(queued, state, minutes_ago=6)

    with django_capture_on_commit_callbacks(execute=True):
        assert resume_stalled_imports() == 1

    queued.refresh_from_db()
    assert queued.state == BankStatementImport.State.DONE
    assert BankStatementLine.objects.filter(statement=queued).count() == 30
    assert Payment.objects.filter(application=application).count() == 1
    resumed = AuditEntry.objects.get(action="bank.import_resumed", data__statement=queued.pk)
    assert "starts again from the first line" in resumed.summary
    assert resume_stalled_imports() == 0  # finished: nothing left to resume


def test_an_import_still_showing_signs_of_life_is_left_to_its_worker(open_offer):
    _, text = big_statement(open_offer)
    queued = queue_bank_statement(society=open_offer.society, text=text)
    stop_worker_while(queued, "reading", minutes_ago=4)

    assert resume_stalled_imports() == 0
    queued.refresh_from_db()
    assert (queued.state, queued.lines_read) == (BankStatementImport.State.READING, 10)
    assert not AuditEntry.objects.filter(action="bank.import_resumed").exists()


def test_uploading_a_stalled_file_again_restarts_its_import_and_says_so(
    open_offer, django_capture_on_commit_callbacks
):
    _, text = big_statement(open_offer)
    queued = queue_bank_statement(society=open_offer.society, text=text)
    stop_worker_while(queued, "reading", minutes_ago=30)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(PaymentError, match="had stopped before it finished.*started again"),
    ):
        queue_bank_statement(society=open_offer.society, text=text)

    queued.refresh_from_db()
    assert queued.state == BankStatementImport.State.DONE
    assert BankStatementImport.objects.count() == 1
    assert BankStatementLine.objects.count() == 30
