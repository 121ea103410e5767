"""Allocation at close: shares issued through the register, failure below the minimum target,
and the deterministic scale-back rule."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from capital.errors import CapitalError
from capital.models import Offer
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from investors.applications.plan import scale_back
from investors.applications.services import apply_for_shares
from investors.models import Application, Refund
from shares.models import Holding, LedgerEntry
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, close_and_allocate, paid_application
from tests.factories import gbp

BANK = Application.PaymentMethod.BANK_TRANSFER
State = Application.State


def lapse(application: Application) -> None:
    """The application's time to pay has run out (the daily job has not yet expired it)."""
    Application.objects.filter(pk=application.pk).update(
        reserved_until=timezone.now() - datetime.timedelta(minutes=1)
    )


def test_first_come_allocation_issues_every_paid_application_through_the_register(open_offer):
    paid = [paid_application(offer=open_offer, shares=shares) for shares in (600, 400, 1000)]
    unpaid = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method=BANK, shares=50
    )
    lapse(unpaid)
    result = close_and_allocate(offer=open_offer, on_date=datetime.date(2026, 12, 1))

    assert (result.failed, result.shares_issued, result.applications_allocated) == (False, 2000, 3)
    assert result.unpaid_cancelled == 1 and result.refunds == []
    offer = Offer.objects.get(pk=open_offer.pk)
    assert (offer.state, offer.shares_allocated) == (Offer.State.ALLOCATED, 2000)
    entries = LedgerEntry.objects.filter(society=offer.society).order_by("sequence")
    assert [(entry.kind, entry.shares) for entry in entries] == [
        ("issue", 600),
        ("issue", 400),
        ("issue", 1000),
    ]
    assert all(entry.effective_date == datetime.date(2026, 12, 1) for entry in entries)
    for application in paid:
        application.refresh_from_db()
        assert (application.state, application.shares_allocated) == (State.ALLOCATED, application.shares)
        assert Holding.objects.get(holder=application.holder).shares == application.shares
    unpaid.refresh_from_db()
    assert unpaid.state == State.CANCELLED
    assert verify_register(offer.society).ok


def test_an_offer_that_misses_its_minimum_target_fails_and_every_payment_is_owed_back(open_offer):
    paid = [paid_application(offer=open_offer, shares=300) for _ in range(3)]
    result = close_and_allocate(offer=open_offer)

    assert result.failed and "missed its minimum target of £1,000.00" in result.summary()
    assert Offer.objects.get(pk=open_offer.pk).state == Offer.State.FAILED
    assert not LedgerEntry.objects.exists()
    refunds = Refund.objects.order_by("pk")
    assert [(r.application_id, r.amount, r.reason) for r in refunds] == [
        (application.pk, gbp(300), Refund.Reason.OFFER_FAILED) for application in paid
    ]
    assert set(Application.objects.values_list("state", flat=True)) == {State.REFUND_DUE}


def test_allocation_needs_a_closed_offer(open_offer):
    with pytest.raises(CapitalError, match="is open; it cannot become allocated"):
        allocate_offer(offer=open_offer)


def test_an_offer_is_allocated_only_once(open_offer):
    paid_application(offer=open_offer, shares=1000)
    close_and_allocate(offer=open_offer)
    with pytest.raises(CapitalError, match="is allocated; it cannot become allocated"):
        allocate_offer(offer=open_offer)
    assert LedgerEntry.objects.count() == 1


def test_only_a_director_may_allocate(open_offer):
    paid_application(offer=open_offer, shares=1000)
    close_offer(offer=open_offer)
    treasurer = board_seat(society=open_offer.society, role="treasurer")
    director = board_seat(society=open_offer.society, role="director")
    with pytest.raises(CapitalError, match="Only a director"):
        allocate_offer(offer=open_offer, by=treasurer)
    assert allocate_offer(offer=open_offer, by=director).shares_issued == 1000


@pytest.fixture
def scale_back_offer(community_class):
    """Capacity 1,000 shares; guaranteed minimum 100 per investor."""
    return factories.OpenOfferFactory(
        share_class=community_class,
        policy=Offer.Policy.SCALE_BACK,
        minimum_target=gbp(500),
        maximum_target=gbp(1000),
        minimum_per_investor=gbp(100),
        maximum_per_investor=gbp(1000),
    )


def test_scale_back_gives_the_guarantee_then_pro_rata_and_owes_back_the_excess(scale_back_offer):
    small = paid_application(offer=scale_back_offer, shares=100)
    medium = paid_application(offer=scale_back_offer, shares=500)
    large = paid_application(offer=scale_back_offer, shares=1000)
    result = close_and_allocate(offer=scale_back_offer)

    # 100 each guaranteed (300); 700 left shared over unmet demand 0 : 400 : 900.
    # 700 × 400/1300 = 215.38 → 215; 700 × 900/1300 = 484.62 → 484; the spare share goes to the
    # larger remainder (0.62).
    allocated = {a.pk: Application.objects.get(pk=a.pk).shares_allocated for a in (small, medium, large)}
    assert allocated == {small.pk: 100, medium.pk: 315, large.pk: 585}
    assert result.shares_issued == 1000
    assert Offer.objects.get(pk=scale_back_offer.pk).shares_allocated == 1000
    refunds = {r.application_id: r.amount for r in Refund.objects.filter(reason=Refund.Reason.SCALED_BACK)}
    assert refunds == {medium.pk: gbp(185), large.pk: gbp(415)}
    total_paid = gbp(1600)
    assert gbp(result.shares_issued) + sum(refunds.values(), gbp(0)) == total_paid


def test_scale_back_counts_one_investor_applications_together(scale_back_offer):
    holder = factories.HolderFactory()
    first = paid_application(offer=scale_back_offer, shares=400, holder=holder)
    second = paid_application(offer=scale_back_offer, shares=600, holder=holder)
    other = paid_application(offer=scale_back_offer, shares=1000)
    close_and_allocate(offer=scale_back_offer)
    # Both investors want 1,000: each gets 500; the investor's earlier application is filled first.
    assert Application.objects.get(pk=first.pk).shares_allocated == 400
    assert Application.objects.get(pk=second.pk).shares_allocated == 100
    assert Application.objects.get(pk=other.pk).shares_allocated == 500


def test_undersubscribed_scale_back_offer_allocates_in_full(scale_back_offer):
    application = paid_application(offer=scale_back_offer, shares=700)
    result = close_and_allocate(offer=scale_back_offer)
    assert result.shares_issued == 700 and not Refund.objects.exists()
    assert Application.objects.get(pk=application.pk).state == State.ALLOCATED


def test_worked_scale_back_examples():
    assert scale_back({"a": 100, "b": 500, "c": 1000}, capacity=1000, guarantee=100) == {
        "a": 100,
        "b": 315,
        "c": 585,
    }
    # Guarantees alone overflow: everyone gets the same level, spare shares in priority order.
    assert scale_back({"a": 50, "b": 50, "c": 50}, capacity=100, guarantee=50) == {"a": 34, "b": 33, "c": 33}
    assert scale_back({"a": 10, "b": 80, "c": 80}, capacity=100, guarantee=50) == {"a": 10, "b": 45, "c": 45}


@given(
    demands=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=40),
    capacity=st.integers(min_value=0, max_value=60000),
    guarantee=st.integers(min_value=0, max_value=500),
)
def test_scale_back_never_oversells_never_exceeds_demand_and_uses_all_capacity(demands, capacity, guarantee):
    wanted = dict(enumerate(demands))
    allocation = scale_back(wanted, capacity=capacity, guarantee=guarantee)
    assert sum(allocation.values()) == min(capacity, sum(demands))
    assert all(0 <= allocation[key] <= wanted[key] for key in wanted)
    if sum(min(d, guarantee) for d in demands) <= capacity:
        assert all(allocation[key] >= min(wanted[key], guarantee) for key in wanted)
    assert scale_back(wanted, capacity=capacity, guarantee=guarantee) == allocation


def test_allocate_offer_command_closes_and_allocates(open_offer):
    paid_application(offer=open_offer, shares=1500)
    out = io.StringIO()
    call_command("allocate_offer", str(open_offer.pk), "--close", stdout=out)
    assert "1,500 shares issued to 1 applicant" in out.getvalue()
    with pytest.raises(CommandError, match="is allocated"):
        call_command("allocate_offer", str(open_offer.pk))
