import datetime

import pytest
from django.utils import timezone

from capital.models import Offer
from tests import factories
from tests.factories import gbp


def charge_at_allocation_offer(share_class, *, closes_in: datetime.timedelta):
    """Scale back, 1,000 £1 shares (£500 minimum), £100–£1,000 per investor, cards charged at
    allocation, closing `closes_in` from now."""
    return factories.OpenOfferFactory(
        share_class=share_class,
        policy=Offer.Policy.SCALE_BACK,
        card_charge=Offer.CardCharge.ON_ALLOCATION,
        minimum_target=gbp(500),
        maximum_target=gbp(1000),
        minimum_per_investor=gbp(100),
        maximum_per_investor=gbp(1000),
        closes_at=timezone.now() + closes_in,
    )


@pytest.fixture
def held_offer(community_class):
    """Charges cards at allocation and closes in three days: a card given now is held."""
    return charge_at_allocation_offer(community_class, closes_in=datetime.timedelta(days=3))


@pytest.fixture
def long_offer(community_class):
    """Charges cards at allocation but closes in thirty days, past the life of a card hold."""
    return charge_at_allocation_offer(community_class, closes_in=datetime.timedelta(days=30))
