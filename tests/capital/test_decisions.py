"""The decisions members and investors depend on are announced where they are taken, inside
the deciding transaction, in plain words that name no investor."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection

from capital.decisions import Kind, decision_taken
from capital.models import Offer
from capital.services import appoint_board_member, close_offer, open_offer, remove_board_member
from investors.applications.allocation import allocate_offer
from investors.runs.services import approve_run, start_run
from investors.withdrawals.services import resume_withdrawals, suspend_withdrawals
from tests import factories
from tests.builders import board_seat, paid_application, ready_to_open, seed_register, with_schedule


@pytest.fixture
def announced():
    """Every decision announced during the test, with whether a transaction was open."""
    heard = []

    def receiver(sender, decision, **kwargs):
        heard.append((decision, connection.in_atomic_block))

    decision_taken.connect(receiver)
    yield heard
    decision_taken.disconnect(receiver)


def kinds(heard):
    return [decision.kind for decision, _ in heard]


def test_opening_and_allocating_an_offer_are_announced_without_naming_investors(announced, community_class):
    director = board_seat(society=community_class.society, role="director")
    offer = factories.OpenOfferFactory(
        share_class=community_class, state=Offer.State.DRAFT, title="Mill roof"
    )
    ready_to_open(offer=offer)
    open_offer(offer=offer, by=director)
    applications = [
        paid_application(offer=offer, shares=600, holder=factories.HolderFactory(name="Ann Other")),
        paid_application(offer=offer, shares=500),
    ]
    allocate_offer(offer=close_offer(offer=offer, by=director), by=director)
    assert kinds(announced) == [
        Kind.BOARD_APPOINTED,
        Kind.OFFER_OPENED,
        Kind.OFFER_ALLOCATED,
    ]
    opened, allocated = (decision for decision, _ in announced if decision.kind.startswith("offer."))
    assert "The offer “Mill roof” opened" in opened.summary and "£1,000.00 to £10,000.00" in opened.summary
    assert "1,100 shares issued to 2 applicants" in allocated.summary
    assert all(application.holder.name not in allocated.summary for application in applications)
    assert allocated.actor == director and allocated.data["offer"] == offer.pk
    assert all(in_transaction for _, in_transaction in announced)


def test_a_failed_offer_is_announced_as_failed(announced, open_offer):
    paid_application(offer=open_offer, shares=10)
    allocate_offer(offer=close_offer(offer=open_offer))
    assert kinds(announced) == [Kind.OFFER_FAILED]


def test_board_seats_given_and_taken_are_announced(announced, society):
    director = board_seat(society=society, role="director")
    newcomer = factories.UserFactory(first_name="Nia", last_name="Jones")
    seat = appoint_board_member(society=society, user=newcomer, role="treasurer", by=director)
    remove_board_member(seat=seat, by=director)
    assert kinds(announced) == [Kind.BOARD_APPOINTED, Kind.BOARD_APPOINTED, Kind.BOARD_REMOVED]
    assert announced[1][0].summary == f"Nia Jones appointed treasurer of {society}."
    assert announced[2][0].summary == f"Nia Jones is no longer treasurer of {society}."


def test_an_approved_run_is_announced_with_its_figures(announced, society, investor_class):
    with_schedule(share_class=investor_class, first_year_end=datetime.date(2019, 12, 31), grace_years=0)
    seed_register(share_class=investor_class, holdings=[("A", 6000), ("B", 4000)])
    director = board_seat(society=society, role="director")
    approve_run(
        run=start_run(share_class=investor_class, year=1, surplus=D("8000"), by=director), by=director
    )
    [run_approved] = [decision for decision, _ in announced if decision.kind == Kind.RUN_APPROVED]
    assert "a declared surplus of £8,000.00: £2,000.00 paid, £0.00 retained" in run_approved.summary
    assert run_approved.data["year"] == 1 and run_approved.data["paid"] == "2000.00"


def test_suspending_and_resuming_withdrawals_are_announced_with_the_reason(announced, community_class):
    director = board_seat(society=community_class.society, role="director")
    suspend_withdrawals(share_class=community_class, reason="the roof comes first", by=director)
    resume_withdrawals(share_class=community_class, by=director)
    suspended, resumed = (decision for decision, _ in announced if decision.kind.startswith("withdrawals."))
    assert suspended.summary == "Withdrawals of Community shares are suspended: the roof comes first"
    assert resumed.kind == Kind.WITHDRAWALS_RESUMED
