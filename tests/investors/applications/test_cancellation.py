"""A director cancels an application with a reason, from the admin: the investor is emailed,
the shares (or a hold on the card) are released, money paid is owed back; no one else may."""

import pytest
from django.core import mail

from capital.models import AuditEntry, Offer, SocietyRole
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.cancellation import cancel_application_for_reason
from investors.errors import PaymentError
from investors.models import Application, CardPayment, Refund
from tests import factories
from tests.admin_pages import action_url, refused
from tests.builders import board_seat, paid_application, pay_with_card, unpaid_application
from tests.factories import gbp

Role = SocietyRole.Role
State = Application.State
REASON = "The applicant asked us to withdraw it by letter."


def test_a_director_cancels_an_unpaid_application_after_reading_what_will_happen(
    client, open_offer, director, django_capture_on_commit_callbacks
):
    application = unpaid_application(offer=open_offer, shares=300)
    open_offer.refresh_from_db()
    assert open_offer.shares_reserved == 300
    client.force_login(director)
    url = action_url("application", "cancel", application.pk)
    assert url in client.get(f"/admin/application/inspect/{application.pk}/").content.decode()

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "its shares are released" in text and "The investor is emailed the reason you give." in text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": f"  {REASON}  "})

    assert response.status_code == 302
    application.refresh_from_db()
    open_offer.refresh_from_db()
    assert (application.state, open_offer.shares_reserved) == (State.CANCELLED, 0)
    entry = AuditEntry.objects.get(action="application.cancelled")
    assert (entry.actor, entry.data["reason"]) == (director, REASON)
    [message] = mail.outbox
    assert message.to == [application.holder.email]
    assert f"Why: {REASON}" in message.body and "Nothing has been taken from you" in message.body


def test_a_reason_is_needed_and_a_refused_form_changes_nothing(client, open_offer, director):
    application = unpaid_application(offer=open_offer, shares=300)
    client.force_login(director)
    response = client.post(action_url("application", "cancel", application.pk), {"reason": "   "})
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT and not mail.outbox
    with pytest.raises(PaymentError, match="Say why the application is cancelled"):
        cancel_application_for_reason(application=application, by=director, reason="")


def test_cancelling_a_paid_application_owes_the_money_back(
    open_offer, director, django_capture_on_commit_callbacks
):
    application = paid_application(offer=open_offer, shares=300)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_application_for_reason(application=application, by=director, reason=REASON)
    application.refresh_from_db()
    open_offer.refresh_from_db()
    assert (application.state, open_offer.shares_reserved) == (State.REFUND_DUE, 0)
    refund = Refund.objects.get(application=application)
    assert (refund.amount, refund.reason, refund.state) == (
        gbp(300),
        Refund.Reason.CANCELLED,
        Refund.State.DUE,
    )
    cancelled = next(message for message in mail.outbox if "cancelled" in message.subject)
    assert "The £300.00 you paid is being refunded" in cancelled.body


def test_cancelling_releases_the_hold_on_a_card(stripe_server, held_offer):
    director = board_seat(society=held_offer.society, role=Role.DIRECTOR)
    application = unpaid_application(offer=held_offer, shares=300, method="card")
    pay_with_card(stripe_server=stripe_server, application=application)

    cancel_application_for_reason(application=application, by=director, reason=REASON)

    card = application.card_payments.get()
    assert card.status == CardPayment.Status.RELEASED
    assert stripe_server.intent(card.intent_id)["status"] == "canceled"


def test_a_director_can_clear_an_application_whose_card_cannot_be_taken_so_the_offer_is_allocated(
    stripe_server, held_offer, settings, localstripe_server
):
    director = board_seat(society=held_offer.society, role=Role.DIRECTOR)
    stuck, fine = (unpaid_application(offer=held_offer, shares=500, method="card") for _ in range(2))
    for application in (stuck, fine):
        pay_with_card(stripe_server=stripe_server, application=application)
    offer = close_offer(offer=held_offer)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(PaymentError, match="Stripe could not be reached"):
        allocate_offer(offer=offer, by=director)

    cancel_application_for_reason(application=stuck, by=director, reason="Its card could not be charged.")
    settings.STRIPE_API_BASE = localstripe_server.url
    result = allocate_offer(offer=offer, by=director)

    stuck.refresh_from_db()
    assert stuck.state == State.CANCELLED and result.shares_issued == 500
    offer.refresh_from_db()
    assert offer.state == Offer.State.ALLOCATED


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.TREASURER])
def test_only_a_director_may_cancel_an_application(client, open_offer, role):
    application = unpaid_application(offer=open_offer, shares=300)
    client.force_login(board_seat(society=open_offer.society, role=role))
    url = action_url("application", "cancel", application.pk)
    assert url not in client.get(f"/admin/application/inspect/{application.pk}/").content.decode()
    assert refused(client.post(url, {"reason": REASON}))
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT


def test_another_societys_director_finds_no_such_application(client, open_offer):
    application = unpaid_application(offer=open_offer, shares=300)
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    assert (
        client.post(action_url("application", "cancel", application.pk), {"reason": REASON}).status_code
        == 404
    )
    application.refresh_from_db()
    assert application.state == State.AWAITING_PAYMENT


def test_an_allocated_application_can_no_longer_be_cancelled(open_offer, director):
    application = paid_application(offer=open_offer, shares=1000)
    allocate_offer(offer=close_offer(offer=open_offer))
    application.refresh_from_db()
    with pytest.raises(PaymentError, match="it can no longer be cancelled"):
        cancel_application_for_reason(application=application, by=director, reason=REASON)
