"""Offer terms and lifecycle."""

import pytest
from djmoney.money import Money

from capital.errors import CapitalError
from capital.models import Offer
from capital.services import close_offer, open_offer, save_offer
from tests import factories
from tests.builders import ready_to_open
from tests.factories import gbp


def draft(share_class, **terms):
    return factories.OpenOfferFactory.build(share_class=share_class, state=Offer.State.DRAFT, **terms)


def test_draft_offer_opens_and_closes_and_each_step_is_audited(community_class):
    offer = save_offer(offer=draft(community_class))
    ready_to_open(offer=offer)
    open_offer(offer=offer)
    close_offer(offer=offer)
    assert Offer.objects.get(pk=offer.pk).state == Offer.State.CLOSED
    actions = list(community_class.society.audit_entries.order_by("pk").values_list("action", flat=True))
    assert actions == ["offer.created", "offer.opened", "offer.closed"]


def test_a_stale_copy_saved_after_opening_changes_nothing(community_class):
    offer = save_offer(offer=draft(community_class))
    stale = Offer.objects.get(pk=offer.pk)
    ready_to_open(offer=offer)
    open_offer(offer=offer)
    stale.maximum_target = gbp(5000)
    with pytest.raises(CapitalError, match="cannot change once it has opened"):
        save_offer(offer=stale)
    fresh = Offer.objects.get(pk=offer.pk)
    assert (fresh.state, fresh.maximum_target) == (Offer.State.OPEN, gbp(10000))


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"price_per_share": gbp(2)}, "Withdrawable shares are issued and withdrawn at par: £1.00"),
        ({"maximum_target": gbp(10000.50)}, "Must be a whole number of shares"),
        ({"minimum_target": gbp(20000)}, "The minimum target cannot be above the maximum target"),
        (
            {"maximum_per_investor": gbp(5), "minimum_per_investor": gbp(10)},
            "The minimum per investor cannot be above the maximum per investor",
        ),
        ({"price_per_share": Money(1, "EUR")}, "Use the society's currency, GBP"),
    ],
)
def test_bad_offer_terms_are_refused_with_a_message(community_class, terms, message):
    with pytest.raises(CapitalError, match=message):
        save_offer(offer=draft(community_class, **terms))
    assert not Offer.objects.exists()


def test_an_investor_class_may_be_offered_above_par_but_never_below(investor_class):
    assert save_offer(offer=draft(investor_class, price_per_share=gbp(2), maximum_target=gbp(10000))).pk
    with pytest.raises(CapitalError, match="below par"):
        save_offer(offer=draft(investor_class, price_per_share=gbp("0.50")))


def test_an_offer_cannot_open_after_its_closing_time(community_class):
    import datetime

    from django.utils import timezone

    offer = save_offer(
        offer=draft(
            community_class,
            opens_at=timezone.now() - datetime.timedelta(days=10),
            closes_at=timezone.now() - datetime.timedelta(days=1),
        )
    )
    with pytest.raises(CapitalError, match="closing time has passed"):
        open_offer(offer=offer)


def test_lifecycle_refuses_skipping_a_step(community_class):
    offer = save_offer(offer=draft(community_class))
    with pytest.raises(CapitalError, match="is draft; it cannot become closed"):
        close_offer(offer=offer)
