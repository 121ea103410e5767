"""Two browser tabs, each sending a different card for one application at the same moment, as
two web processes would: real threads, real PostgreSQL, localstripe. One card pays; the other
tab is told a payment is under way (or already made), and Stripe holds one charge."""

import pytest

from investors.errors import PaymentError
from investors.models import Application, CardPayment, Payment
from investors.payments.cards import pay_by_card
from tests.builders import saved_card, unpaid_application
from tests.factories import OpenOfferFactory
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TABS = 4


def test_tabs_sending_different_cards_at_once_pay_exactly_once(stripe_server):
    application = unpaid_application(offer=OpenOfferFactory(), shares=250, method="card")
    cards = [saved_card(stripe_server=stripe_server, application=application) for _ in range(TABS)]

    outcomes = run_concurrently(
        lambda card: pay_by_card(application=application, payment_method_id=card[0], setup_intent_id=card[1]),
        cards,
    )

    paid = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert [outcome.status for outcome in paid] == ["succeeded"], outcomes
    assert all(isinstance(error, PaymentError) for error in refused), refused
    assert all("under way" in str(error) or "is paid" in str(error) for error in refused), refused
    intents = stripe_server.request("GET", "/v1/payment_intents")["data"]
    assert [intent["status"] for intent in intents] == ["succeeded"]
    assert Payment.objects.filter(application=application).count() == 1
    assert CardPayment.objects.filter(application=application).count() == 1
    assert Application.objects.get(pk=application.pk).state == Application.State.PAID
