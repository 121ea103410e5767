"""A member's death: recorded by the secretary with the evidence seen, membership ceasing that
day; the nominated property (up to £5,000) to the nominees; the rest to the personal
representatives on proof of their authority; every step audited and on the register."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from capital.errors import CapitalError
from capital.models import AuditEntry
from investors.errors import EstateError
from investors.estates.services import (
    mark_transmission_paid,
    pass_nominated_property,
    pass_to_representatives,
    plan_nominated_property,
    record_death,
    record_representatives,
)
from investors.models import Estate, EstateTransmission, Nomination, WithdrawalRequest
from investors.nominations.services import NomineeDetails, make_nomination
from investors.withdrawals.services import request_withdrawal
from shares.models import Holder, Holding, LedgerEntry
from shares.services.membership import voting_roll
from shares.services.verification import verify_register
from tests import factories
from tests.builders import board_seat, issue
from tests.factories import gbp

DIED_ON = datetime.date(2026, 9, 1)
How = EstateTransmission.How


@pytest.fixture
def world(society, community_class, investor_class):
    """Meg holds 3,000 community shares (withdrawable), 4,000 investor shares (transferable) and
    one labour share (neither), and has nominated Nia (60%) and Ned (40%)."""
    labour = factories.LabourClassFactory(society=society)
    meg = factories.HolderFactory(name="Meg Member", user=factories.UserFactory())
    for share_class, shares in ((community_class, 3000), (investor_class, 4000), (labour, 1)):
        issue(holder=meg, share_class=share_class, shares=shares, on=datetime.date(2024, 1, 1))
    make_nomination(
        holder=meg,
        society=society,
        nominees=[
            NomineeDetails("Nia", "1 Top Road", "child", D("60"), date_of_birth=datetime.date(1990, 1, 1)),
            NomineeDetails(
                "Ned",
                "2 Top Road",
                "sibling",
                D("40"),
                email="ned@example.org",
                date_of_birth=datetime.date(1960, 1, 1),
            ),
        ],
    )
    return {"meg": meg, "community": community_class, "investor": investor_class, "labour": labour}


@pytest.fixture
def secretary(society):
    return board_seat(society=society, role="secretary")


def test_recording_a_death_ends_membership_from_that_day_and_cancels_waiting_requests(
    society, world, secretary
):
    meg = world["meg"]
    waiting = request_withdrawal(holder=meg, share_class=world["community"], shares=10, by=meg.user)
    before = [voter.holder for voter in voting_roll(society, DIED_ON - datetime.timedelta(days=1))]
    assert meg in before

    estate = record_death(
        holder=meg,
        society=society,
        died_on=DIED_ON,
        evidence="Death certificate seen, entry 41",
        by=secretary,
    )

    meg.refresh_from_db()
    assert meg.died_on == DIED_ON and estate.nomination.state == Nomination.State.ACTIVE
    assert meg not in [voter.holder for voter in voting_roll(society, DIED_ON)]
    waiting.refresh_from_db()
    assert waiting.state == WithdrawalRequest.State.CANCELLED
    audit = AuditEntry.objects.get(action="estate.death_recorded")
    assert "entry 41" in audit.summary and "1 waiting requests cancelled" in audit.summary
    assert Holding.objects.get(holder=meg, share_class=world["investor"]).shares == 4000, "nothing moves yet"


def test_only_the_secretary_records_a_death_with_its_evidence(society, world):
    with pytest.raises(CapitalError, match="Only a secretary"):
        record_death(
            holder=world["meg"], society=society, died_on=DIED_ON, evidence="seen",
            by=board_seat(society=society, role="director"),
        )  # fmt: skip
    secretary = board_seat(society=society, role="secretary")
    with pytest.raises(EstateError, match="evidence"):
        record_death(holder=world["meg"], society=society, died_on=DIED_ON, evidence=" ", by=secretary)
    with pytest.raises(EstateError, match="future"):
        record_death(
            holder=world["meg"], society=society, died_on=timezone.localdate() + datetime.timedelta(days=1),
            evidence="seen", by=secretary,
        )  # fmt: skip
    assert not Estate.objects.exists() and Holder.objects.get(pk=world["meg"].pk).died_on is None


def test_the_nominated_property_passes_up_to_the_limit_and_the_rest_to_the_representatives(
    society, world, secretary
):
    meg = world["meg"]
    estate = record_death(
        holder=meg, society=society, died_on=DIED_ON, evidence="Certificate seen", by=secretary
    )
    plan = plan_nominated_property(estate)
    assert [(p.recipient_name, p.holding.share_class.name, p.shares, p.how) for p in plan.pieces] == [
        ("Nia", "Community shares", 1800, How.WITHDRAWAL),
        ("Ned", "Community shares", 1200, How.WITHDRAWAL),
        ("Nia", "Investor shares", 1200, How.TRANSFER),
        ("Ned", "Investor shares", 800, How.TRANSFER),
    ]
    assert plan.value == D("5000.00")
    assert "2000 Investor shares are past the statutory limit of £5,000.00" in " ".join(plan.notes)
    assert "Labour shares are neither withdrawable nor transferable" in " ".join(plan.notes)
    record_representatives(
        estate=estate,
        name="Pat Executor",
        postal_address="Law Chambers",
        authority="Probate, 1 Oct",
        by=secretary,
    )
    with pytest.raises(EstateError, match="pass the nominated property to the nominees first"):
        pass_to_representatives(estate=estate, by=secretary)

    estate = pass_nominated_property(estate=estate, by=secretary)
    assert estate.state == Estate.State.NOMINATED_PASSED
    assert estate.nomination.state == Nomination.State.EXECUTED
    nia_withdrawal = EstateTransmission.objects.get(recipient_name="Nia", how=How.WITHDRAWAL)
    assert (
        nia_withdrawal.amount == gbp(1800) and nia_withdrawal.ledger_entry.kind == LedgerEntry.Kind.WITHDRAWAL
    )
    ned = Holder.objects.get(name="Ned")
    assert ned.email == "ned@example.org" and Holding.objects.get(holder=ned).shares == 800
    assert Holding.objects.get(holder=meg, share_class=world["investor"]).shares == 2000
    assert verify_register(society).ok

    estate = pass_to_representatives(estate=estate, by=secretary)
    assert estate.state == Estate.State.SETTLED
    representatives = Holder.objects.get(
        name__startswith="Pat Executor, personal representatives of Meg Member"
    )
    assert representatives.kind == Holder.Kind.ORGANISATION
    assert Holding.objects.get(holder=representatives, share_class=world["investor"]).shares == 2000
    labour = EstateTransmission.objects.get(share_class=world["labour"])
    assert (labour.how, labour.amount, labour.recipient_name) == (How.REDEMPTION, gbp(1), "Pat Executor")
    assert not Holding.objects.filter(holder=meg, shares__gt=0).exists()
    assert verify_register(society).ok
    assert AuditEntry.objects.filter(action__startswith="estate.").count() == 4

    treasurer = board_seat(society=society, role="treasurer")
    mark_transmission_paid(transmission=nia_withdrawal, reference="BACS-1", by=treasurer)
    with pytest.raises(EstateError, match="was recorded as paid on"):
        mark_transmission_paid(transmission=nia_withdrawal, reference="BACS-2", by=treasurer)
    with pytest.raises(EstateError, match="not paid for"):
        mark_transmission_paid(
            transmission=EstateTransmission.objects.get(recipient=ned), reference="X", by=treasurer
        )


def test_without_a_nomination_everything_waits_for_the_representatives_proof(society, world, secretary):
    Nomination.objects.filter(holder=world["meg"]).update(state="revoked", ended_at=timezone.now())
    estate = record_death(
        holder=world["meg"], society=society, died_on=DIED_ON, evidence="Seen", by=secretary
    )
    with pytest.raises(EstateError, match="No nomination was in force"):
        pass_nominated_property(estate=estate, by=secretary)
    with pytest.raises(EstateError, match="Record the personal representatives"):
        pass_to_representatives(estate=estate, by=secretary)
    with pytest.raises(EstateError, match="proof of their authority"):
        record_representatives(
            estate=estate, name="Pat", postal_address="Chambers", authority="", by=secretary
        )
    record_representatives(
        estate=estate, name="Pat", postal_address="Chambers", authority="Probate", by=secretary
    )
    pass_to_representatives(estate=estate, by=secretary)
    withdrawal = EstateTransmission.objects.get(share_class=world["community"])
    assert (withdrawal.shares, withdrawal.amount, withdrawal.step) == (3000, gbp(3000), "representatives")
    assert verify_register(society).ok


def test_the_secretary_records_the_death_and_passes_the_property_in_the_admin(
    client, society, world, secretary
):
    holding = Holding.objects.get(holder=world["meg"], share_class=world["community"])
    url = f"/admin/holding/action/record-death/{holding.pk}/"
    client.force_login(board_seat(society=factories.SocietyFactory(), role="secretary"))
    assert client.get(url).status_code == 404
    client.force_login(secretary)
    assert "they leave the voting roll" in client.get(url).content.decode()
    assert client.post(url, {"died_on": "2026-09-01", "evidence": "Certificate seen"}).status_code == 302
    estate = Estate.objects.get()
    pass_url = f"/admin/estate/action/pass-nominated/{estate.pk}/"
    page = client.get(pass_url).content.decode()
    assert "Nia: 1800 Community shares (£1,800.00), withdrawn, the money owed to them." in page
    assert client.post(pass_url).status_code == 302
    estate.refresh_from_db()
    assert estate.state == Estate.State.NOMINATED_PASSED
