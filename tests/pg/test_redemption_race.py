"""Real threads against real PostgreSQL: the redemption queue approved twice at once, a
redemption racing a transfer of the same investor shares, and one transfer approved twice."""

import datetime

import pytest
from django.utils import timezone

from investors.errors import RedemptionError, TransferError
from investors.models import RedemptionFund, RedemptionFundMovement, RedemptionRequest, TransferRequest
from investors.redemptions.services import RedemptionPlan, approve_redemptions, request_redemption, set_aside
from investors.transfers.services import accept_transfer, acceptance_link, approve_transfer, request_transfer
from shares.models import Holding, LedgerEntry
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, issue
from tests.factories import gbp
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate()
FOUR_YEARS_AGO = TODAY.replace(year=TODAY.year - 4)
LONG_AGO = timezone.now() - datetime.timedelta(days=30)


@pytest.fixture
def redeemable():
    """£1 investor shares, transferable and redeemable at par after three years."""
    return factories.InvestorClassFactory(redemption_minimum_holding_years=3, transferable=True)


def holder_of(share_class, shares):
    holder = factories.HolderFactory(user=factories.UserFactory())
    issue(holder=holder, share_class=share_class, shares=shares, on=FOUR_YEARS_AGO)
    return holder


def test_two_directors_approving_the_redemption_queue_at_once_pay_the_fund_out_once(redeemable):
    director = board_seat(society=redeemable.society, role="director")
    set_aside(share_class=redeemable, amount=gbp(1000), by=director)
    holders = [holder_of(redeemable, 300) for _ in range(3)]
    for holder in holders:
        request_redemption(holder=holder, share_class=redeemable, shares=300, by=holder.user, now=LONG_AGO)

    outcomes = run_concurrently(lambda _: approve_redemptions(share_class=redeemable, by=director), range(3))

    approved = [outcome for outcome in outcomes if isinstance(outcome, RedemptionPlan)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, RedemptionError)]
    assert len(approved) == 1 and len(refused) == 2, outcomes
    assert RedemptionRequest.objects.filter(state=RedemptionRequest.State.APPROVED).count() == 3
    assert RedemptionFund.objects.get(share_class=redeemable).balance == gbp(100)
    assert RedemptionFundMovement.objects.filter(kind="redemption").count() == 3
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEMPTION).count() == 3
    assert not Holding.objects.filter(share_class=redeemable, shares__gt=0).exists()
    assert verify_register(redeemable.society).ok


def ask(share_class, holder, what):
    if what == "redeem":
        return request_redemption(
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


def test_asking_to_redeem_and_to_transfer_the_same_shares_at_once_lets_one_through(redeemable):
    holder = holder_of(redeemable, 100)

    outcomes = run_concurrently(lambda what: ask(redeemable, holder, what), ["redeem", "transfer"] * 3)

    made = [outcome for outcome in outcomes if isinstance(outcome, RedemptionRequest | TransferRequest)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, RedemptionError | TransferError)]
    assert len(made) == 1 and len(refused) == 5, outcomes
    assert all("at most 0" in str(error) for error in refused)


def test_two_directors_approving_one_transfer_at_once_move_its_shares_once(redeemable):
    holder = holder_of(redeemable, 100)
    transfer = ask(redeemable, holder, "transfer")
    token = acceptance_link(transfer).rstrip("/").rsplit("/", 1)[-1]
    transfer = accept_transfer(
        token=token,
        details={"name": "Rae", "postal_address": "1 Lane", "date_of_birth": datetime.date(1990, 1, 1)},
    )
    directors = [board_seat(society=redeemable.society, role="director") for _ in range(3)]

    outcomes = run_concurrently(lambda by: approve_transfer(request=transfer, by=by), directors)

    approved = [outcome for outcome in outcomes if isinstance(outcome, TransferRequest)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, TransferError)]
    assert len(approved) == 1 and len(refused) == 2, outcomes
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TRANSFER).count() == 1
    assert Holding.objects.get(holder=holder).shares == 0
    assert Holding.objects.get(holder=transfer.receiver).shares == 100
    assert verify_register(redeemable.society).ok
