"""The treasurer's decisions on bank lines that did not match by themselves: matched (a short
line kept and the rest asked for, or refunded), sent back, or dismissed with a reason; audited,
from the admin; the allocation preview names applications with a near-miss line."""

from decimal import Decimal as D

import pytest
from django.core import mail
from django.utils import timezone

from capital.models import AuditEntry, SocietyRole
from capital.services import close_offer
from investors.applications.allocation import allocate_offer, preview_allocation
from investors.errors import PaymentError
from investors.models import Application, BankStatementLine, Refund
from investors.payments.bank_import import import_bank_statement
from investors.payments.bank_lines import dismiss_bank_line, match_bank_line, refund_bank_line
from investors.payments.reconciliation import reconcile
from tests import factories
from tests.admin_pages import action_url
from tests.builders import board_seat, unpaid_application

Status = BankStatementLine.Status
Role = SocietyRole.Role


@pytest.fixture
def lines(open_offer):
    """A £1,000 application paid £900 under its reference, and a £150 gift with no reference."""
    application = unpaid_application(offer=open_offer, shares=1000)
    assert application.amount.amount == D("1000.00")
    text = (
        "Date,Amount,Reference\n"
        f"2026-11-20,900.00,{application.payment_reference}\n"
        "2026-11-21,150.00,BIRTHDAY GIFT\n"
        "2026-11-22,100.00,M MOSS REST\n"
    )
    result = import_bank_statement(society=open_offer.society, text=text)
    short, gift, rest = result.new_lines
    assert (short.status, gift.status, rest.status) == (Status.WRONG_AMOUNT, Status.UNKNOWN, Status.UNKNOWN)
    treasurer = board_seat(society=open_offer.society, role=Role.TREASURER)
    return open_offer, application, short, gift, rest, treasurer


def test_a_short_line_is_kept_the_rest_asked_for_and_the_rest_completes_the_payment(
    lines, django_capture_on_commit_callbacks
):
    offer, application, short, gift, rest, treasurer = lines
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = match_bank_line(line=short, application=application, by=treasurer)
    short.refresh_from_db()
    assert outcome.outcome == "short" and outcome.rest.amount == D("100.00")
    assert short.status == Status.SHORT and short.decided_by == treasurer
    application.refresh_from_db()
    assert application.state == Application.State.AWAITING_PAYMENT and not application.payments.exists()
    assert len(mail.outbox) == 1 and "£100.00 is still to come" in mail.outbox[0].body
    assert application.payment_reference in mail.outbox[0].body
    assert any("near" in s or "does not cover it" in s for s in preview_allocation(offer))

    done = match_bank_line(line=rest, application=application, by=treasurer)
    assert done.outcome == "paid"
    application.refresh_from_db()
    assert application.state == Application.State.PAID
    assert application.payments.get().amount.amount == D("1000.00")
    assert set(
        BankStatementLine.objects.filter(application=application).values_list("status", flat=True)
    ) == {Status.MATCHED}
    assert AuditEntry.objects.filter(action="bank_line.matched").count() == 2


def test_a_short_line_can_go_on_the_refund_list_instead(lines):
    _, application, short, _, _, treasurer = lines
    match_bank_line(line=short, application=application, by=treasurer, short="refund")
    refund = Refund.objects.get(application=application)
    assert refund.amount.amount == D("900.00") and refund.state == Refund.State.DUE
    short.refresh_from_db()
    assert short.status == Status.TO_REFUND


def test_more_than_the_application_is_refused(lines):
    _, application, short, gift, _, treasurer = lines
    match_bank_line(line=short, application=application, by=treasurer)
    with pytest.raises(PaymentError, match="more than"):
        match_bank_line(line=gift, application=application, by=treasurer)
    gift.refresh_from_db()
    assert gift.status == Status.UNKNOWN


def test_unexplained_money_is_sent_back_or_dismissed_only_with_a_reason(lines):
    _, _, _, gift, rest, treasurer = lines
    with pytest.raises(PaymentError, match="Say why"):
        dismiss_bank_line(line=gift, reason=" ", by=treasurer)
    dismiss_bank_line(line=gift, reason="A gift the society keeps", by=treasurer)
    refund_bank_line(line=rest, reason="No application has this reference", by=treasurer)
    gift.refresh_from_db()
    rest.refresh_from_db()
    assert (gift.status, gift.note) == (Status.DISMISSED, "A gift the society keeps")
    assert rest.status == Status.TO_REFUND
    assert AuditEntry.objects.filter(action="bank_line.dismissed", summary__contains="gift").exists()
    with pytest.raises(PaymentError, match="already"):
        dismiss_bank_line(line=gift, reason="again", by=treasurer)
    problems = reconcile(gift.society).problems
    assert any("To be sent back" in problem for problem in problems)
    assert not any("BIRTHDAY GIFT" in problem for problem in problems), "a dismissed line needs nothing more"


def test_allocation_returns_what_a_cancelled_application_received_short(lines):
    offer, application, short, _, _, treasurer = lines
    match_bank_line(line=short, application=application, by=treasurer)
    Application.objects.filter(pk=application.pk).update(reserved_until=timezone.now())  # its time is up
    director = board_seat(society=offer.society, role=Role.DIRECTOR)
    allocate_offer(offer=close_offer(offer=offer, by=director), by=director)
    application.refresh_from_db()
    assert application.state == Application.State.CANCELLED
    assert Refund.objects.get(application=application).amount.amount == D("900.00")
    short.refresh_from_db()
    assert short.status == Status.TO_REFUND


def test_the_treasurer_matches_from_the_admin_and_another_society_cannot(client, lines):
    offer, application, short, gift, rest, treasurer = lines
    client.force_login(treasurer)
    url = action_url("bankstatementline", "match", short.pk)
    page = client.get(url).content.decode()
    assert application.payment_reference in page and "£900.00" in page
    response = client.post(url, {"reference": application.payment_reference.lower(), "short": "request_rest"})
    assert response.status_code == 302
    short.refresh_from_db()
    assert short.status == Status.SHORT
    bad = client.post(
        action_url("bankstatementline", "match", gift.pk), {"reference": "CS-NOTATHING", "short": "refund"}
    )
    assert "No application" in bad.content.decode()
    client.post(action_url("bankstatementline", "dismiss", gift.pk), {"reason": "Gift"})
    gift.refresh_from_db()
    assert gift.status == Status.DISMISSED

    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.TREASURER))
    assert (
        client.post(action_url("bankstatementline", "dismiss", rest.pk), {"reason": "x"}).status_code == 404
    )
    rest.refresh_from_db()
    assert rest.status == Status.UNKNOWN
