"""An investor gives the account their returns are paid to, and chooses how interest is taken;
each change is audited in the societies they invest in; the dashboard's totals add up."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from capital.models import AuditEntry
from investors.accounts.dashboard import holding_summaries
from investors.accounts.portfolio import portfolio_of
from investors.models import InterestElection, PayoutAccount
from investors.payouts.accounts import PayoutDetails, details_of, holders_without_details
from investors.payouts.forms import PayoutAccountForm
from tests import factories
from tests.builders import issue, with_schedule

D = Decimal


@pytest.fixture
def investor(db):
    user = factories.UserFactory()
    holder = factories.HolderFactory(name="Ada Lovelace", email=user.email, user=user)
    share_class = factories.InvestorClassFactory()
    issue(holder=holder, share_class=share_class, shares=100, on=datetime.date(2024, 1, 1))
    return user, holder, share_class


def form(**data):
    return PayoutAccountForm({"account_name": "A Lovelace", **data})


@pytest.mark.parametrize(
    ("data", "details"),
    [
        ({"sort_code": "20-00-00", "account_number": "5566 7788"}, ("200000", "55667788", "")),
        ({"iban": "de89 3704 0044 0532 0130 00"}, ("", "", "DE89370400440532013000")),
    ],
)
def test_bank_details_are_accepted_as_typed_and_kept_compact(data, details):
    submitted = form(**data)
    assert submitted.is_valid(), submitted.errors
    got = submitted.details()
    assert (got.sort_code, got.account_number, got.iban) == details


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"sort_code": "20-00-0", "account_number": "55667788"}, "sort_code", "six digits"),
        ({"sort_code": "200000", "account_number": "5566778"}, "account_number", "eight digits"),
        ({"sort_code": "200000"}, "account_number", "together"),
        ({"iban": "DE88370400440532013000"}, "iban", "check digits"),
        ({"iban": "12345"}, "iban", "not an IBAN"),
        ({}, "__all__", "or an IBAN"),
        (
            {"sort_code": "200000", "account_number": "55667788", "iban": "DE89370400440532013000"},
            "__all__",
            "not both",
        ),
    ],
)
def test_wrong_bank_details_are_refused_on_their_field(data, field, words):
    submitted = form(**data)
    assert not submitted.is_valid()
    assert words in " ".join(submitted.errors[field])


def test_the_investor_gives_an_account_and_each_society_audits_the_change(client, investor):
    user, holder, share_class = investor
    client.force_login(user)
    page = client.get(reverse("account:payout"))
    assert "You have not given one yet" in page.content.decode()
    response = client.post(
        reverse("account:payout"),
        {"account_name": "A Lovelace", "sort_code": "20-00-00", "account_number": "55667788"},
    )
    assert response.status_code == 302
    assert details_of(holder) == PayoutDetails("A Lovelace", "200000", "55667788", "")
    entry = AuditEntry.objects.get(action="payout_account.changed")
    assert entry.society == share_class.society
    assert "ending 7788" in entry.summary and "55667788" not in entry.summary
    dashboard = client.get(reverse("account:dashboard")).content.decode()
    assert "the account ending 7788" in dashboard

    client.post(reverse("account:payout"), {"account_name": "A Lovelace", "iban": "DE89370400440532013000"})
    assert PayoutAccount.objects.get(holder=holder).iban == "DE89370400440532013000"
    assert PayoutAccount.objects.get(holder=holder).sort_code == ""
    assert AuditEntry.objects.filter(action="payout_account.changed").count() == 2
    assert holders_without_details([holder.pk]) == set()


def test_saving_the_same_account_again_writes_no_audit_entry(client, investor):
    user, holder, _ = investor
    client.force_login(user)
    data = {"account_name": "A Lovelace", "sort_code": "200000", "account_number": "55667788"}
    client.post(reverse("account:payout"), data)
    client.post(reverse("account:payout"), data)
    assert AuditEntry.objects.filter(action="payout_account.changed").count() == 1


def test_a_refused_account_is_not_saved(client, investor):
    user, holder, _ = investor
    client.force_login(user)
    response = client.post(reverse("account:payout"), {"account_name": "A", "iban": "DE88370400440532013000"})
    assert response.status_code == 200
    assert "check digits" in response.content.decode()
    assert not PayoutAccount.objects.filter(holder=holder).exists()
    assert holders_without_details([holder.pk]) == {holder.pk}


def test_interest_is_taken_as_shares_only_on_an_interest_class_the_investor_holds(client, investor):
    user, holder, profit_class = investor
    with_schedule(share_class=profit_class)
    interest_class = with_schedule(
        share_class=factories.InvestorClassFactory(society=profit_class.society, name="Bond shares"),
        pool_percent=None,
        rate_ceiling_percent=D("4"),
    )
    issue(holder=holder, share_class=interest_class, shares=50, on=datetime.date(2024, 1, 1))
    client.force_login(user)
    page = client.get(reverse("account:payout")).content.decode()
    assert "Bond shares" in page and f"interest/{profit_class.pk}/" not in page

    client.post(reverse("account:interest-election", args=[interest_class.pk]), {"take_as": "shares"})
    assert InterestElection.objects.get(holder=holder, share_class=interest_class).take_as == "shares"
    assert AuditEntry.objects.filter(
        action="interest_election.changed", society=interest_class.society
    ).exists()

    client.post(reverse("account:interest-election", args=[profit_class.pk]), {"take_as": "shares"})
    assert not InterestElection.objects.filter(share_class=profit_class).exists()


def test_portfolio_totals_add_invested_and_received_and_name_the_next_year_end(investor):
    _, holder, share_class = investor
    with_schedule(share_class=share_class, first_year_end=datetime.date(2021, 12, 31))
    other = factories.CommunityClassFactory(society=share_class.society)
    issue(holder=holder, share_class=other, shares=10, on=datetime.date(2024, 1, 1))
    portfolio = portfolio_of(holding_summaries(holder), today=datetime.date(2026, 3, 1))
    expected = share_class.nominal_value * 100 + other.nominal_value * 10
    assert portfolio.invested == [expected]
    assert [money.amount for money in portfolio.received] == [D("0")]
    assert portfolio.next_payment.year_ends_on == datetime.date(2026, 12, 31)
