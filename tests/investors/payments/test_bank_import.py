"""Bank statement import: exact matches recorded, the rest listed, the same file twice is harmless."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, Payment
from investors.payments.bank_import import import_bank_statement
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


def test_importing_the_same_file_twice_changes_nothing(statement):
    offer, _, text = statement
    import_bank_statement(society=offer.society, text=text)
    again = import_bank_statement(society=offer.society, text=text)
    assert again.new_lines == [] and again.already_imported == 5
    assert BankStatementLine.objects.count() == 5 and Payment.objects.count() == 2


def test_two_identical_lines_in_one_file_are_both_kept(open_offer):
    text = "date,amount,reference\n2026-11-20,10.00,CASH\n2026-11-20,10.00,CASH\n"
    result = import_bank_statement(society=open_offer.society, text=text)
    assert len(result.new_lines) == 2
    assert import_bank_statement(society=open_offer.society, text=text).already_imported == 2


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
