"""A board sets its classes' return schedules in the admin: each refused field named, a preview
from the simulator's engine, and no change once an offer of the class has opened."""

import datetime
from decimal import Decimal

import pytest

from capital.models import AuditEntry, Offer, ReturnSchedule
from capital.schedules import ScheduleError, preview_schedule, save_return_schedule
from tests import factories
from tests.builders import board_seat

ADD = "/admin/returnschedule/new/"

PROFIT_SHARE = {
    "first_year_end": "2027-03-31",
    "pool_percent": "25",
    "hurdle_0": "0.00",
    "hurdle_1": "GBP",
    "grace_years": "1",
    "weighting": "capital",
    "rate_ceiling_percent": "",
    "cap_multiple": "2",
    "excess": "retained",
    "term_years": "8",
    "redeem_at_term_end": "on",
}


@pytest.fixture
def investor_class(db):
    return factories.InvestorClassFactory(declared_maximum_interest_percent=Decimal("6"))


@pytest.fixture
def director(investor_class):
    return board_seat(society=investor_class.society, role="director")


def posted(client, data, url=ADD):
    return client.post(url, data)


def test_a_director_creates_a_profit_share_schedule_and_it_is_audited(client, investor_class, director):
    client.force_login(director)
    response = posted(client, {**PROFIT_SHARE, "share_class": investor_class.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = ReturnSchedule.objects.get(share_class=investor_class)
    assert schedule.pool_percent == Decimal("25")
    assert schedule.cap_multiple == Decimal("2")
    assert schedule.redeem_at_term_end is True
    entry = AuditEntry.objects.get(action="return_schedule.created")
    assert entry.actor == director
    assert Decimal(entry.data["terms"]["pool_percent"]) == Decimal("25")


def test_each_refused_field_gets_its_own_message(client, investor_class, director):
    client.force_login(director)
    data = {
        **PROFIT_SHARE,
        "share_class": investor_class.pk,
        "pool_percent": "",
        "rate_ceiling_percent": "",  # interest with no rate
        "cap_multiple": "0.5",
        "redeem_at_term_end": "on",
        "term_years": "",
    }
    response = posted(client, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["rate_ceiling_percent"] == ["Interest (no pool) needs a rate: give the rate ceiling."]
    assert errors["cap_multiple"] == ["The cap is a multiple of capital of at least 1 (the capital itself)."]
    assert errors["term_years"] == ["Redeeming at the term's end needs a term in years."]
    assert "__all__" not in errors
    assert ReturnSchedule.objects.count() == 0


def test_interest_above_the_declared_maximum_rate_is_refused_at_the_rate(client, investor_class, director):
    client.force_login(director)
    data = {**PROFIT_SHARE, "share_class": investor_class.pk, "pool_percent": "", "rate_ceiling_percent": "7"}
    response = posted(client, data)
    assert response.status_code == 200
    assert response.context["form"].errors["rate_ceiling_percent"] == [
        "The class's declared maximum rate is 6.00%."
    ]


def test_interest_needs_a_declared_maximum_rate_on_the_class(db):
    community = factories.CommunityClassFactory(declared_maximum_interest_percent=None)
    schedule = ReturnSchedule(
        share_class=community, first_year_end=datetime.date(2027, 3, 31), rate_ceiling_percent=Decimal("3")
    )
    with pytest.raises(ScheduleError, match="declared maximum rate") as refused:
        save_return_schedule(schedule=schedule)
    assert refused.value.field == "rate_ceiling_percent"


def test_29_february_cannot_end_the_first_year(client, investor_class, director):
    client.force_login(director)
    response = posted(
        client, {**PROFIT_SHARE, "share_class": investor_class.pk, "first_year_end": "2028-02-29"}
    )
    assert response.status_code == 200
    assert "29 February" in response.context["form"].errors["first_year_end"][0]


def test_preview_shows_the_sample_without_saving(client, investor_class, director):
    client.force_login(director)
    response = posted(client, {**PROFIT_SHARE, "share_class": investor_class.pk, "preview": "1"})
    assert response.status_code == 200
    preview = response.context["schedule_preview"]
    # £2,000 surplus, 25% pool = £500 a year shared by £10,000; the £1,000 sample gets £50 a year
    # from year 2 (one grace year).
    assert [row.paid.amount for row in preview.years[:3]] == [
        Decimal("0.00"),
        Decimal("50.00"),
        Decimal("50.00"),
    ]
    assert "Not saved yet" in response.content.decode()
    assert ReturnSchedule.objects.count() == 0


def test_preview_uses_the_public_simulator_engine_for_interest(investor_class):
    schedule = ReturnSchedule(
        share_class=investor_class,
        first_year_end=datetime.date(2027, 3, 31),
        rate_ceiling_percent=Decimal("4"),
        term_years=3,
        redeem_at_term_end=True,
    )
    preview = preview_schedule(schedule)
    assert [row.paid.amount for row in preview.years] == [Decimal("40.00")] * 3
    assert preview.years[-1].redeemed.amount == Decimal("1000.00")
    assert preview.surplus is None


def test_a_schedule_is_frozen_once_an_offer_of_its_class_has_opened(client, investor_class, director):
    schedule = factories.ReturnScheduleFactory(share_class=investor_class)
    factories.OpenOfferFactory(share_class=investor_class, state=Offer.State.OPEN)
    client.force_login(director)
    url = f"/admin/returnschedule/edit/{schedule.pk}/"
    assert "can no longer change" in client.get(url).content.decode()
    response = posted(client, {**PROFIT_SHARE, "share_class": investor_class.pk, "pool_percent": "50"}, url)
    assert response.status_code == 200
    assert "can no longer change" in " ".join(response.context["form"].non_field_errors())
    schedule.refresh_from_db()
    assert schedule.pool_percent == Decimal("25")


def test_a_draft_offer_does_not_freeze_the_schedule(investor_class):
    schedule = factories.ReturnScheduleFactory(share_class=investor_class)
    factories.OpenOfferFactory(share_class=investor_class, state=Offer.State.DRAFT)
    schedule.pool_percent = Decimal("30")
    save_return_schedule(schedule=schedule)
    schedule.refresh_from_db()
    assert schedule.pool_percent == Decimal("30")


def test_another_societys_board_cannot_see_or_set_the_schedule(client, investor_class):
    schedule = factories.ReturnScheduleFactory(share_class=investor_class)
    other = board_seat(society=factories.SocietyFactory(), role="director")
    client.force_login(other)
    assert client.get(f"/admin/returnschedule/edit/{schedule.pk}/").status_code == 404
    response = posted(client, {**PROFIT_SHARE, "share_class": investor_class.pk})
    assert response.status_code == 200
    assert "share_class" in response.context["form"].errors


def test_a_treasurer_cannot_set_a_schedule(investor_class):
    treasurer = board_seat(society=investor_class.society, role="treasurer")
    schedule = ReturnSchedule(
        share_class=investor_class, first_year_end=datetime.date(2027, 3, 31), pool_percent=Decimal("10")
    )
    with pytest.raises(ScheduleError.__mro__[1], match="director or secretary"):
        save_return_schedule(schedule=schedule, by=treasurer)
