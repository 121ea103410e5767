"""Applying for shares: the rules an application must pass, and first-come reservations."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from capital.models import Offer
from investors.applications.services import apply_for_shares, expire_reservations
from investors.errors import PaymentError
from investors.models import Application
from shares.services.exemptions import record_limit_exemption
from shares.services.register import issue_shares
from tests import factories
from tests.builders import unpaid_application
from tests.factories import gbp

BANK = Application.PaymentMethod.BANK_TRANSFER


def reserved(offer) -> int:
    return Offer.objects.get(pk=offer.pk).shares_reserved


def test_application_by_amount_reserves_whole_shares_and_gets_a_payment_reference(open_offer, holder):
    application = unpaid_application(offer=open_offer, holder=holder, amount=gbp(250))
    assert (application.shares, application.amount) == (250, gbp(250))
    assert application.state == Application.State.AWAITING_PAYMENT
    assert application.payment_reference.startswith("CS-") and len(application.payment_reference) == 11
    assert application.reserved_until > timezone.now() + datetime.timedelta(days=6)
    assert reserved(open_offer) == 250


def test_each_application_gets_a_different_payment_reference(open_offer):
    references = {
        unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=10).payment_reference
        for _ in range(20)
    }
    assert len(references) == 20


def test_amount_must_be_a_whole_number_of_shares(community_class, holder):
    offer = factories.OpenOfferFactory(share_class=community_class, price_per_share=gbp(5))
    with pytest.raises(
        PaymentError, match=r"£52.00 is not a whole number of £5.00 shares: try £50.00 or £55.00"
    ):
        unpaid_application(offer=offer, holder=holder, amount=gbp(52))
    with pytest.raises(PaymentError, match=r"£3.00 is not a whole number of £5.00 shares: try £5.00\.$"):
        unpaid_application(offer=offer, holder=holder, amount=gbp(3))  # never "try £0.00"
    assert not Application.objects.exists() and reserved(offer) == 0


def test_ask_for_shares_or_an_amount_not_both(open_offer, holder):
    with pytest.raises(PaymentError, match="not both"):
        unpaid_application(offer=open_offer, holder=holder, shares=10, amount=gbp(10))


@pytest.mark.parametrize(
    "change",
    [
        {"state": Offer.State.DRAFT},
        {"state": Offer.State.CLOSED},
        {"opens_at": timezone.now() + datetime.timedelta(days=1)},
        {
            "closes_at": timezone.now() - datetime.timedelta(minutes=1),
            "opens_at": timezone.now() - datetime.timedelta(days=2),
        },
    ],
)
def test_offer_must_be_open_now(community_class, holder, change):
    offer = factories.OpenOfferFactory(share_class=community_class, **change)
    with pytest.raises(PaymentError, match="not open for applications"):
        unpaid_application(offer=offer, holder=holder, shares=100)


def test_minimum_per_investor(open_offer, holder):
    with pytest.raises(PaymentError, match=r"minimum investment in this offer is £10.00"):
        unpaid_application(offer=open_offer, holder=holder, shares=9)


def test_maximum_per_investor_counts_all_their_live_applications(open_offer, holder):
    unpaid_application(offer=open_offer, holder=holder, shares=1500)
    with pytest.raises(PaymentError, match=r"you can apply for up to £500.00 more"):
        unpaid_application(offer=open_offer, holder=holder, shares=501)
    assert unpaid_application(offer=open_offer, holder=holder, shares=500).shares == 500


def test_expired_applications_do_not_count_towards_the_maximum(open_offer, holder):
    unpaid_application(
        offer=open_offer, holder=holder, shares=2000, now=timezone.now() - datetime.timedelta(days=8)
    )
    assert expire_reservations() == 1
    assert unpaid_application(offer=open_offer, holder=holder, shares=2000).shares == 2000


def test_class_maximum_holding_counts_shares_held_and_applied_for(society, holder):
    capped = factories.CommunityClassFactory(society=society, name="Capped", maximum_holding_shares=1000)
    offer = factories.OpenOfferFactory(share_class=capped)
    issue_shares(society=society, holder=holder, share_class=capped, shares=600, amount=gbp(600))
    unpaid_application(offer=offer, holder=holder, shares=300)
    with pytest.raises(
        PaymentError,
        match="No one may hold more than 1000 shares of the class “Capped”; you hold or have applied for 900",
    ):
        unpaid_application(offer=offer, holder=holder, shares=101)


@pytest.fixture
def big_offer(community_class):
    return factories.OpenOfferFactory(
        share_class=community_class,
        maximum_target=gbp(500000),
        maximum_per_investor=gbp(200000),
    )


def test_statutory_limit_counts_withdrawable_holdings_and_applications_across_the_society(big_offer, holder):
    society = big_offer.society
    other_withdrawable = factories.CommunityClassFactory(society=society, name="Loan stock shares")
    issue_shares(
        society=society, holder=holder, share_class=other_withdrawable, shares=60000, amount=gbp(60000)
    )
    unpaid_application(offer=big_offer, holder=holder, shares=30000)
    with pytest.raises(
        PaymentError, match=r"limits anyone but a registered society to £100,000.00.*£100,001.00"
    ):
        unpaid_application(offer=big_offer, holder=holder, shares=10001)
    assert unpaid_application(offer=big_offer, holder=holder, shares=10000).shares == 10000


def test_statutory_limit_applies_to_organisations_that_are_not_registered_societies(big_offer):
    company = factories.HolderFactory(kind="organisation", date_of_birth=None)
    with pytest.raises(PaymentError, match="£100,000.00"):
        unpaid_application(offer=big_offer, holder=company, shares=100001)


def test_registered_societies_are_exempt_from_the_statutory_limit_once_the_board_records_it(big_offer):
    co_op = factories.HolderFactory(
        kind="organisation", date_of_birth=None, is_registered_society=True, organisation_number="RS004417"
    )
    # Saying it is a registered society is not enough: the society's board checks and records it.
    with pytest.raises(PaymentError, match="£100,000.00"):
        unpaid_application(offer=big_offer, holder=co_op, shares=150000)
    record_limit_exemption(
        society=big_offer.society, registration_number="rs004417", evidence="MPR entry seen"
    )
    assert unpaid_application(offer=big_offer, holder=co_op, shares=150000).shares == 150000
    # Another society's board has not exempted it: its limit still applies there.
    elsewhere = factories.OpenOfferFactory(
        share_class=factories.CommunityClassFactory(),
        maximum_target=gbp(500000),
        maximum_per_investor=gbp(200000),
    )
    with pytest.raises(PaymentError, match="£100,000.00"):
        unpaid_application(offer=elsewhere, holder=co_op, shares=150000)


def test_statutory_limit_does_not_apply_to_non_withdrawable_classes(investor_class, holder):
    offer = factories.OpenOfferFactory(
        share_class=investor_class, maximum_target=gbp(500000), maximum_per_investor=gbp(200000)
    )
    assert unpaid_application(offer=offer, holder=holder, shares=150000).shares == 150000


def test_society_can_set_the_northern_ireland_limit(big_offer, holder):
    society = big_offer.society
    society.individual_withdrawable_limit = 20000
    society.save()
    with pytest.raises(PaymentError, match="£20,000.00"):
        unpaid_application(offer=big_offer, holder=holder, shares=20001)


def test_first_come_refuses_clearly_when_not_enough_shares_are_left(open_offer):
    for _ in range(4):
        unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=2000)
    unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=1500)
    with pytest.raises(PaymentError, match="Only 500 shares are left in this offer; you asked for 600"):
        unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=600)
    unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=500)
    with pytest.raises(PaymentError, match="fully subscribed"):
        unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=10)
    assert reserved(open_offer) == 10000


def test_a_full_offer_frees_lapsed_reservations_for_a_new_applicant(open_offer):
    long_ago = timezone.now() - datetime.timedelta(days=8)
    lapsed = [
        unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=2000, now=long_ago)
        for _ in range(5)
    ]
    assert reserved(open_offer) == 10000
    application = unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=2000)
    assert application.state == Application.State.AWAITING_PAYMENT
    assert reserved(open_offer) == 2000
    states = set(Application.objects.filter(pk__in=[a.pk for a in lapsed]).values_list("state", flat=True))
    assert states == {Application.State.EXPIRED}


def test_expire_reservations_releases_only_lapsed_unpaid_shares(open_offer):
    unpaid_application(
        offer=open_offer,
        holder=factories.HolderFactory(),
        shares=300,
        now=timezone.now() - datetime.timedelta(days=8),
    )
    fresh = unpaid_application(offer=open_offer, holder=factories.HolderFactory(), shares=200)
    assert expire_reservations() == 1
    assert expire_reservations() == 0
    assert reserved(open_offer) == 200
    fresh.refresh_from_db()
    assert fresh.holds_reservation


def test_scale_back_offer_reserves_nothing_and_accepts_past_the_maximum(community_class):
    offer = factories.OpenOfferFactory(share_class=community_class, policy=Offer.Policy.SCALE_BACK)
    for _ in range(6):
        unpaid_application(offer=offer, holder=factories.HolderFactory(), shares=2000)
    assert reserved(offer) == 0
    assert Application.objects.filter(offer=offer).count() == 6


def test_application_is_audited(open_offer, holder):
    application = unpaid_application(offer=open_offer, holder=holder, shares=100)
    entry = open_offer.society.audit_entries.get(action="application.made")
    assert application.payment_reference in entry.summary


@pytest.mark.parametrize(
    ("limits", "expected_room", "reason"),
    [
        ({}, 1000, "maximum investment"),  # the offer's £1,000 per investor, nothing yet applied
        ({"class_maximum": 700}, 400, "No one may hold more than 700"),
        ({"society_limit": Decimal("650.00")}, 350, "The law limits anyone"),
    ],
)
def test_the_room_to_apply_is_exactly_where_the_limits_start_refusing(
    community_class, holder, limits, expected_room, reason
):
    from investors.applications.services import check_limits, room_to_apply

    community_class.withdrawable = True
    community_class.maximum_holding_shares = limits.get("class_maximum")
    community_class.save()
    society = community_class.society
    if "society_limit" in limits:
        society.individual_withdrawable_limit = limits["society_limit"]
        society.save()
    offer = factories.OpenOfferFactory(
        share_class=community_class, minimum_per_investor=gbp(1), maximum_per_investor=gbp(1000)
    )
    issue_shares(society=society, holder=holder, share_class=community_class, shares=300, amount=gbp(300))
    found = room_to_apply(offer=offer, holder=holder)
    room = found.most_shares
    assert (room, found.why_none) == (expected_room, "")
    check_limits(offer=offer, holder=holder, shares=room)
    with pytest.raises(PaymentError, match=reason):
        check_limits(offer=offer, holder=holder, shares=room + 1)

    apply_for_shares(offer=offer, holder=holder, payment_method=BANK, shares=room)
    after = room_to_apply(offer=offer, holder=holder)
    assert after.most_shares == 0 and after.applied_shares == room
    assert reason in after.why_none


def test_an_application_reads_every_limit_in_one_query(open_offer):
    """Holder lock, offer, the limits (offer, class maximum, statutory limit: one query), the
    conditional UPDATE, the application, its audit entry — and the limits still refuse."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from capital.models import ShareClass

    ShareClass.objects.filter(pk=open_offer.share_class_id).update(maximum_holding_shares=10_000)
    open_offer.refresh_from_db()
    holder = factories.HolderFactory(user=factories.UserFactory())
    # Steady state: whatever a first application loads once per process (cached lookups) is loaded.
    apply_for_shares(
        offer=open_offer,
        holder=factories.HolderFactory(user=factories.UserFactory()),
        payment_method=Application.PaymentMethod.BANK_TRANSFER,
        shares=100,
    )
    with CaptureQueriesContext(connection) as captured:
        apply_for_shares(
            offer=open_offer,
            holder=holder,
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
            shares=100,
        )
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements.count("SELECT") == 3, captured.captured_queries  # holder (with login), offer, limits
    assert len([s for s in statements if s in ("SELECT", "UPDATE", "INSERT")]) == 6
    assert open_offer.share_class.withdrawable
    with pytest.raises(PaymentError, match="per investor"):
        apply_for_shares(
            offer=open_offer,
            holder=holder,
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
            shares=1901,
        )
