"""Real threads against real PostgreSQL: an investor withdrawing an application while its
payment is recorded, or withdrawing it twice at once (two tabs)."""

import pytest

from capital.models import AuditEntry, Offer
from investors.applications.withdrawal import withdraw_application
from investors.errors import PaymentError
from investors.models import Application, Payment, Refund
from tests import factories
from tests.builders import pay, unpaid_application
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
State = Application.State


@pytest.fixture
def offer():
    return factories.OpenOfferFactory()


def an_application(offer):
    return unpaid_application(
        offer=offer, shares=250, holder=factories.HolderFactory(user=factories.UserFactory())
    )


@pytest.mark.parametrize("round_", range(4))
def test_a_payment_recorded_as_the_investor_withdraws_either_wins_or_is_owed_back(offer, round_):
    application = an_application(offer)

    def act(what):
        if what == "withdraw":
            return withdraw_application(application=application, by=application.holder.user)
        return pay(application=application, reference=f"LINE-{round_}")

    withdrawn, paid = run_concurrently(act, ["withdraw", "pay"])

    assert isinstance(paid, Payment), paid
    application.refresh_from_db()
    reserved = Offer.objects.get(pk=offer.pk).shares_reserved
    if isinstance(withdrawn, PaymentError):  # the payment won: the application stands, paid
        assert "has been paid, so it can no longer be withdrawn" in str(withdrawn)
        assert (application.state, reserved) == (State.PAID, 250)
        assert not Refund.objects.exists()
    else:  # the withdrawal won: the money is owed back
        assert withdrawn.pk == application.pk
        assert (application.state, reserved) == (State.REFUND_DUE, 0)
        refund = Refund.objects.get(application=application)
        assert (refund.payment, refund.reason) == (paid, Refund.Reason.CANCELLED)


def test_withdrawing_in_two_tabs_at_once_gives_the_shares_back_once(offer):
    application = an_application(offer)
    keep = an_application(offer)

    outcomes = run_concurrently(
        lambda _: withdraw_application(application=application, by=application.holder.user), [1, 2]
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, PaymentError)]
    assert len(refused) == 1 and "is cancelled" in str(refused[0]), outcomes
    assert Offer.objects.get(pk=offer.pk).shares_reserved == keep.shares
    assert AuditEntry.objects.filter(action="application.withdrawn").count() == 1
