"""A society's surplus rules: set by its directors, adding up to 100%, investors within the
rules' maximum, FairShares' 60% guidance a warning the board confirms, announced as a decision."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from capital.decisions import Kind, decision_taken
from capital.errors import CapitalError
from capital.models import AuditEntry, SurplusRules
from capital.services import save_surplus_rules
from tests import factories
from tests.builders import board_seat, surplus_rules


@pytest.fixture
def announced():
    heard = []

    def receiver(sender, decision, **kwargs):
        heard.append(decision)

    decision_taken.connect(receiver)
    yield heard
    decision_taken.disconnect(receiver)


def new_rules(society, **fields):
    rules = SurplusRules(
        society=society,
        labour_class=factories.LabourClassFactory(society=society),
        user_class=factories.UserClassFactory(society=society),
    )
    for name, value in fields.items():
        setattr(rules, name, value)
    return rules


def test_a_director_sets_the_rules_and_the_decision_is_announced_in_plain_words(society, announced):
    director = board_seat(society=society, role="director")
    rules = save_surplus_rules(rules=new_rules(society), by=director)

    assert (rules.reserves_percent, rules.labour_percent, rules.user_percent, rules.investor_percent) == (
        D("15"),
        D("35"),
        D("25"),
        D("25"),
    )
    (decision,) = [each for each in announced if each.kind == Kind.SURPLUS_RULES_SET]
    assert decision.actor == director and decision.data["rules"]["labour_percent"] == "35.00"
    assert "15% goes to reserves, 35% to Labour, 25% to User and 25% to Investor" in decision.summary
    assert "at most 30%" in decision.summary
    assert "in proportion to the hours or pay each labour member contributed" in decision.summary
    audit = AuditEntry.objects.get(action="surplus_rules.set")
    assert audit.actor == director and audit.data["rules"]["user_percent"] == "25.00"


@pytest.mark.parametrize("role", ["secretary", "treasurer"])
def test_only_a_director_sets_the_rules(society, role):
    with pytest.raises(CapitalError, match="Only a director"):
        save_surplus_rules(rules=new_rules(society), by=board_seat(society=society, role=role))
    assert not SurplusRules.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reserves_percent": D("20")}, "add up to 105%; they must make 100%"),
        ({"investor_percent": D("35"), "reserves_percent": D("5")}, "allow investors at most 30%"),
        ({"labour_pay_as": "shares"}, "needs the class to issue them in"),
        ({"labour_class": None}, "A labour part needs the class"),
    ],
)
def test_rules_that_do_not_hold_together_are_refused_and_nothing_is_saved(society, fields, message):
    with pytest.raises(CapitalError, match=message):
        save_surplus_rules(rules=new_rules(society, **fields))
    assert not SurplusRules.objects.exists()


def test_classes_must_be_the_societys_own_and_of_the_right_kind(society):
    elsewhere = factories.LabourClassFactory()
    with pytest.raises(CapitalError, match="own share classes"):
        save_surplus_rules(rules=new_rules(society, labour_class=elsewhere))
    with pytest.raises(CapitalError, match="a class of investor shares"):
        save_surplus_rules(
            rules=new_rules(
                society,
                user_pay_as="shares",
                member_shares_class=factories.CommunityClassFactory(society=society),
            )
        )


def test_less_than_sixty_percent_to_labour_and_user_needs_the_boards_confirmation(society, announced):
    director = board_seat(society=society, role="director")
    fields = {"labour_percent": D("20"), "user_percent": D("20"), "reserves_percent": D("35")}
    with pytest.raises(CapitalError, match="Labour and User together 40%.*at least 60%. Confirm"):
        save_surplus_rules(rules=new_rules(society, **fields), by=director)
    assert not SurplusRules.objects.exists()

    rules = save_surplus_rules(rules=new_rules(society, **fields), by=director, confirm_below_guidance=True)
    assert rules.below_guidance_confirmed_by == director and rules.below_guidance_confirmed_at
    assert "less than the 60% FairShares guidance suggests; the board confirmed this" in announced[-1].summary


def test_the_database_refuses_rules_that_do_not_add_up_however_they_are_written(society):
    rules = surplus_rules(society=society)
    with pytest.raises(IntegrityError), transaction.atomic():
        SurplusRules.objects.filter(pk=rules.pk).update(reserves_percent=D("16"))
    with pytest.raises(IntegrityError), transaction.atomic():
        SurplusRules.objects.filter(pk=rules.pk).update(investor_percent=D("31"), reserves_percent=D("9"))
    rules.refresh_from_db()
    assert rules.reserves_percent == D("15")


def test_fractions_with_pennies_of_percent_add_up(society):
    rules = surplus_rules(
        society=society,
        reserves_percent=D("0.01"),
        labour_percent=D("33.33"),
        user_percent=D("33.33"),
        investor_percent=D("33.33"),
        investor_maximum_percent=D("33.33"),
    )
    rules.refresh_from_db()
    assert rules.labour_and_user_percent == D("66.66")


def test_changing_the_rules_is_announced_again_and_a_second_set_is_refused(society, announced):
    rules = surplus_rules(society=society)
    rules.labour_basis = SurplusRules.LabourBasis.SHARES
    save_surplus_rules(rules=rules)
    assert AuditEntry.objects.filter(action="surplus_rules.changed").count() == 1
    assert "the labour shares each holds at the year end" in announced[-1].summary
    with pytest.raises(CapitalError, match="already has surplus rules"):
        save_surplus_rules(rules=new_rules(society))


def test_a_director_sets_the_rules_in_the_admin_confirming_the_guidance(client, society):
    director = board_seat(society=society, role="director")
    labour = factories.LabourClassFactory(society=society)
    user = factories.UserClassFactory(society=society)
    client.force_login(director)
    form = {
        "society": society.pk,
        "reserves_percent": "40",
        "labour_percent": "20",
        "user_percent": "15",
        "investor_percent": "25",
        "investor_maximum_percent": "30",
        "labour_class": labour.pk,
        "labour_basis": "contribution",
        "labour_pay_as": "cash",
        "user_class": user.pk,
        "user_pay_as": "cash",
        "member_shares_class": "",
    }
    refused = client.post("/admin/surplusrules/new/", form)
    assert refused.status_code == 200
    assert "FairShares guidance is at least 60%" in refused.content.decode()
    assert not SurplusRules.objects.exists()

    saved = client.post("/admin/surplusrules/new/", {**form, "confirm_below_guidance": "on"})
    assert saved.status_code == 302
    rules = SurplusRules.objects.get()
    assert rules.labour_and_user_percent == D("35") and rules.below_guidance_confirmed_by == director

    client.force_login(board_seat(society=factories.SocietyFactory(), role="director"))
    assert client.get(f"/admin/surplusrules/edit/{rules.pk}/").status_code == 404
