"""Real threads against real PostgreSQL: a transfer racing a withdrawal of the same shares."""

import datetime

import pytest
from django.utils import timezone

from investors.errors import TransferError, WithdrawalError
from investors.models import TransferRequest, WithdrawalRequest
from investors.transfers.services import accept_transfer, acceptance_link, approve_transfer, request_transfer
from investors.withdrawals.services import approve_withdrawals, request_withdrawal
from shares.models import Holding
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, issue
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture
def both_ways():
    """£1 shares that are withdrawable and transferable (a user class), and a holder of 100."""
    share_class = factories.UserClassFactory(withdrawable=True, transferable=True, withdrawal_notice_days=0)
    holder = factories.HolderFactory(user=factories.UserFactory())
    issue(holder=holder, share_class=share_class, shares=100, on=datetime.date(2024, 1, 1))
    return share_class, holder


def ask(share_class, holder, what):
    if what == "withdraw":
        return request_withdrawal(
            holder=holder, share_class=share_class, shares=100, by=holder.user, now=LONG_AGO
        )
    return request_transfer(
        holder=holder,
        share_class=share_class,
        shares=100,
        price=100,
        receiver_name="Rae",
        receiver_email="rae@example.org",
        by=holder.user,
    )


def test_asking_to_transfer_and_to_withdraw_the_same_shares_at_once_lets_one_through(both_ways):
    share_class, holder = both_ways

    outcomes = run_concurrently(lambda what: ask(share_class, holder, what), ["withdraw", "transfer"] * 3)

    made = [outcome for outcome in outcomes if isinstance(outcome, WithdrawalRequest | TransferRequest)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, WithdrawalError | TransferError)]
    assert len(made) == 1 and len(refused) == 5, outcomes
    assert all("you can" in str(error) and "at most 0" in str(error) for error in refused)


def test_approving_a_withdrawal_and_a_transfer_of_one_holding_at_once_moves_each_share_once(both_ways):
    share_class, holder = both_ways
    request_withdrawal(holder=holder, share_class=share_class, shares=60, by=holder.user, now=LONG_AGO)
    transfer = request_transfer(
        holder=holder,
        share_class=share_class,
        shares=40,
        price=40,
        receiver_name="Rae",
        receiver_email="rae@example.org",
        by=holder.user,
    )
    token = acceptance_link(transfer).rstrip("/").rsplit("/", 1)[-1]
    transfer = accept_transfer(
        token=token,
        details={"name": "Rae", "postal_address": "1 Lane", "date_of_birth": datetime.date(1990, 1, 1)},
    )
    director = board_seat(society=share_class.society, role="director")

    def decide(what):
        if what == "withdrawals":
            return approve_withdrawals(share_class=share_class, by=director)
        return approve_transfer(request=transfer, by=director)

    outcomes = run_concurrently(decide, ["withdrawals", "transfer"])

    assert not any(isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert Holding.objects.get(holder=holder).shares == 0
    assert Holding.objects.get(holder=transfer.receiver).shares == 40
    assert verify_register(share_class.society).ok
