"""Investors never get control: the rule holds in the model, the service, the admin and the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from djmoney.money import Money

from capital.errors import CapitalError
from capital.models import ShareClass
from capital.services import save_share_class
from tests import factories
from tests.builders import board_seat
from tests.conftest import run_raw_sql

CONTROL_RIGHTS = ShareClass.CONTROL_RIGHTS


@pytest.mark.parametrize("right", CONTROL_RIGHTS)
def test_model_validation_refuses_an_investor_class_with_any_control_right(society, right):
    share_class = factories.InvestorClassFactory.build(society=society, **{right: True})
    with pytest.raises(ValidationError, match="never gives control"):
        share_class.full_clean()


@pytest.mark.parametrize("right", CONTROL_RIGHTS)
def test_service_refuses_an_investor_class_with_any_control_right_and_saves_nothing(society, right):
    share_class = factories.InvestorClassFactory.build(society=society, **{right: True})
    with pytest.raises(CapitalError, match="never gives control"):
        save_share_class(share_class=share_class)
    assert not ShareClass.objects.filter(society=society).exists()


@pytest.mark.parametrize("right", CONTROL_RIGHTS)
def test_database_refuses_a_raw_update_giving_an_investor_class_control(investor_class, right):
    with pytest.raises(IntegrityError), transaction.atomic():
        run_raw_sql(f"UPDATE capital_shareclass SET {right} = %s WHERE id = %s", [True, investor_class.pk])
    investor_class.refresh_from_db()
    assert investor_class.control_rights() == []


def test_database_refuses_turning_a_member_class_with_votes_into_an_investor_class(community_class):
    with pytest.raises(IntegrityError), transaction.atomic():
        run_raw_sql("UPDATE capital_shareclass SET kind = 'investor' WHERE id = %s", [community_class.pk])
    community_class.refresh_from_db()
    assert community_class.kind == ShareClass.Kind.COMMUNITY


def test_votes_come_only_with_membership(society):
    share_class = factories.CommunityClassFactory.build(
        society=society, confers_membership=False, carries_votes=True
    )
    with pytest.raises(CapitalError, match="one member, one vote"):
        save_share_class(share_class=share_class)


def test_a_member_class_may_carry_control_rights_and_is_audited(society):
    share_class = factories.CommunityClassFactory.build(society=society, can_nominate_directors=True)
    save_share_class(share_class=share_class)
    share_class.refresh_from_db()
    assert share_class.can_nominate_directors
    entry = society.audit_entries.get()
    assert entry.action == "share_class.created"
    assert "can_nominate_directors" in entry.summary


def test_an_investor_class_without_control_is_saved(society):
    saved = save_share_class(share_class=factories.InvestorClassFactory.build(society=society))
    assert ShareClass.objects.get(pk=saved.pk).control_rights() == []


def test_nominal_value_must_be_in_the_society_currency(society):
    share_class = factories.CommunityClassFactory.build(society=society, nominal_value=Money(1, "EUR"))
    with pytest.raises(CapitalError, match="society's currency, GBP"):
        save_share_class(share_class=share_class)


def test_board_member_of_another_society_cannot_change_a_share_class(community_class):
    outsider = factories.SocietyRoleFactory().user
    community_class.name = "Renamed"
    with pytest.raises(CapitalError, match="Only a director or secretary"):
        save_share_class(share_class=community_class, by=outsider)
    community_class.refresh_from_db()
    assert community_class.name == "Community shares"


def test_a_treasurer_cannot_change_share_classes_but_a_secretary_can(community_class):
    treasurer = board_seat(society=community_class.society, role="treasurer")
    secretary = board_seat(society=community_class.society, role="secretary")
    community_class.maximum_holding_shares = 5000
    with pytest.raises(CapitalError):
        save_share_class(share_class=community_class, by=treasurer)
    save_share_class(share_class=community_class, by=secretary)
    community_class.refresh_from_db()
    assert community_class.maximum_holding_shares == 5000


def test_what_a_class_means_is_fixed_once_it_has_been_offered(community_class):
    factories.OpenOfferFactory(share_class=community_class)
    community_class.withdrawable = False
    community_class.membership_minimum_shares = 100
    with pytest.raises(CapitalError, match="withdrawable, membership minimum shares can no longer change"):
        save_share_class(share_class=community_class)
    community_class.refresh_from_db()
    assert community_class.withdrawable and community_class.membership_minimum_shares == 1


def test_a_share_class_cannot_move_to_another_society(community_class):
    community_class.society = factories.SocietyFactory()
    with pytest.raises(CapitalError, match="cannot move to another society"):
        save_share_class(share_class=community_class)


def test_society_withdrawable_limit_cannot_exceed_the_law(society):
    from capital.services import save_society

    society.individual_withdrawable_limit = 150000
    with pytest.raises(CapitalError, match="less than or equal to 100000"):
        save_society(society=society)
    with pytest.raises(IntegrityError), transaction.atomic():
        run_raw_sql("UPDATE capital_society SET individual_withdrawable_limit = 150000")


def test_society_currency_is_fixed_once_it_has_share_classes(community_class):
    from capital.services import save_society

    society = community_class.society
    society.currency = "EUR"
    with pytest.raises(CapitalError, match="currency can no longer change"):
        save_society(society=society)
    society.currency = "GBP"
    society.name = "Renamed Energy Ltd"
    save_society(society=society)
    assert society.audit_entries.filter(action="society.changed").exists()
