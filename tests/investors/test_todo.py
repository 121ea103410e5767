"""The admin's home lists what each society's board has to do, by role, with a link to act,
and each open offer's progress with a chart by day; another society's board sees none of it."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from capital.models import SocietyRole
from investors.models import DistributionRun
from investors.payments.bank_import import import_bank_statement
from investors.runs.services import start_run
from investors.todo.chart import offer_days_chart
from tests import factories
from tests.builders import board_seat, paid_application, unpaid_application

Role = SocietyRole.Role


@pytest.fixture
def busy(open_offer, profit_class):
    """An open offer with one paid and one unpaid application, a bank line no one explains, and
    a draft distribution run, all in one society."""
    society = open_offer.society
    assert profit_class.society == society
    paid_application(offer=open_offer, shares=200)
    unpaid_application(offer=open_offer, shares=100)
    import_bank_statement(society=society, text="Date,Amount,Reference\n2026-11-21,150.00,BIRTHDAY GIFT\n")
    director = board_seat(society=society, role=Role.DIRECTOR)
    start_run(share_class=profit_class, year=1, surplus=D("40000"), by=director)
    return society, director


def home(client, user) -> str:
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_treasurer_sees_money_to_match_with_links_and_the_offer_chart(client, busy, open_offer):
    society, _ = busy
    page = home(client, board_seat(society=society, role=Role.TREASURER))
    assert "What needs doing" in page and society.name in page
    assert "1 application awaiting payment" in page
    assert "1 bank line not matched" in page and "/admin/bankstatementline/?status=unknown" in page
    assert "to approve" not in page, "approving runs is a director's"
    assert open_offer.title in page and "<svg" in page and "Money applied for" in page


def test_the_director_sees_runs_to_approve_and_the_secretary_no_money(client, busy):
    society, director = busy
    page = home(client, director)
    assert "1 distribution run to approve" in page and "/admin/distributionrun/?state=draft" in page
    secretary = home(client, board_seat(society=society, role=Role.SECRETARY))
    assert "bank line" not in secretary and "awaiting payment (" not in secretary
    assert DistributionRun.objects.count() == 1


def test_another_societys_board_sees_none_of_it(client, busy, open_offer):
    society, _ = busy
    other = factories.SocietyFactory(name="Elsewhere Energy")
    page = home(client, board_seat(society=other, role=Role.DIRECTOR))
    assert "Elsewhere Energy" in page and "Nothing waiting for you" in page
    assert society.name not in page and open_offer.title not in page and "bank line" not in page


def test_the_chart_has_a_bar_per_day_sized_by_the_money(open_offer):
    first = unpaid_application(offer=open_offer, shares=100)
    unpaid_application(offer=open_offer, shares=300)
    chart = offer_days_chart(open_offer, now=timezone.now())
    today = chart.days[-1]
    assert today.day == timezone.localdate() and today.applications == 2
    assert today.money == first.amount.amount * 4
    assert today.bar_height == pytest.approx(chart.baseline - 8)
    assert all(day.bar_height == 0 for day in chart.days[:-1])
    assert len(chart.days) <= 60 and chart.days[0].day >= timezone.localdate() - datetime.timedelta(days=59)
