"""The shell commands a society's secretary runs: the demo, the register export."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from capital.models import AuditEntry, Offer, ReturnSchedule, ShareClass, Society, SocietyRole
from investors.models import Application, Payment
from shares.models import Holder, Holding, LedgerEntry
from shares.services.membership import voting_roll
from shares.services.register import issue_shares, remove_shares
from tests import factories
from tests.factories import gbp

MODELS = (
    Society,
    SocietyRole,
    ShareClass,
    ReturnSchedule,
    Offer,
    Holder,
    Application,
    Payment,
    LedgerEntry,
    Holding,
    AuditEntry,
)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_load_demo_builds_a_working_society_and_running_it_again_changes_nothing(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    first = counts()
    society = Society.objects.get(slug="riverside-energy")
    assert (society.financial_year_end_month, society.financial_year_end_day) == (3, 31)
    assert set(SocietyRole.objects.values_list("role", flat=True)) == {"director", "secretary", "treasurer"}
    investor_class = ShareClass.objects.get(society=society, kind="investor")
    assert investor_class.control_rights() == [] and investor_class.return_schedule.pool_percent == 25
    community = ShareClass.objects.get(society=society, kind="community")
    assert community.withdrawable and community.nominal_value == gbp(1)
    assert Offer.objects.filter(state=Offer.State.OPEN, share_class=investor_class).count() == 1
    assert Holding.objects.filter(share_class=community, shares__gt=0).count() == 6
    assert len(voting_roll(society, society.ledger.last().effective_date)) == 6
    assert "dina.director / board-demo-2026" in out.getvalue()

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert counts() == first
    assert "already loaded; nothing changed" in again.getvalue()
    call_command("verify_register", "riverside-energy", stdout=io.StringIO())


def test_export_register_writes_the_section_30_fields(society, community_class, holder):
    issue_shares(society=society, holder=holder, share_class=community_class, shares=250, amount=gbp(250))
    leaver = factories.HolderFactory(name="Leaver, Lee", postal_address="1 Long Row\nHebden Bridge")
    issue_shares(society=society, holder=leaver, share_class=community_class, shares=10, amount=gbp(10))
    remove_shares(society=society, kind="withdrawal", holder=leaver, share_class=community_class, shares=10)

    out = io.StringIO()
    call_command("export_register", society.slug, "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == [
        "name",
        "postal_address",
        "email",
        "share_class",
        "member",
        "shares_held",
        "amount_paid",
        "currency",
        "date_admitted",
        "date_ceased",
    ]
    by_name = {row["name"]: row for row in rows}
    assert by_name[holder.name]["shares_held"] == "250" and by_name[holder.name]["amount_paid"] == "250.00"
    assert by_name[holder.name]["member"] == "yes" and by_name[holder.name]["date_ceased"] == ""
    assert by_name["Leaver, Lee"]["postal_address"] == "1 Long Row Hebden Bridge"
    assert by_name["Leaver, Lee"]["member"] == "no" and by_name["Leaver, Lee"]["date_ceased"] != ""


def test_export_register_refuses_an_unknown_society(db):
    with pytest.raises(CommandError, match="No society has the slug"):
        call_command("export_register", "nowhere")


def test_allocate_offer_command_closes_and_allocates(open_offer):
    from tests.test_allocation import apply_and_pay

    apply_and_pay(open_offer, 1500)
    out = io.StringIO()
    call_command("allocate_offer", str(open_offer.pk), "--close", stdout=out)
    assert "1,500 shares issued to 1 applicant" in out.getvalue()
    with pytest.raises(CommandError, match="is allocated"):
        call_command("allocate_offer", str(open_offer.pk))


def test_export_ledger_gives_an_auditor_everything_to_recompute_the_chain(society, community_class, holder):
    import hashlib
    import json

    from shares.models import LedgerEntry

    issue_shares(society=society, holder=holder, share_class=community_class, shares=250, amount=gbp(250))
    remove_shares(society=society, kind="withdrawal", holder=holder, share_class=community_class, shares=50)
    out = io.StringIO()
    call_command("export_ledger", society.slug, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(row["sequence"], row["kind"], row["shares"]) for row in rows] == [
        ("1", "issue", "250"),
        ("2", "withdrawal", "50"),
    ]
    assert rows[1]["previous_hash"] == rows[0]["entry_hash"]
    first = LedgerEntry.objects.get(sequence=1)
    content = {
        "society": society.pk,
        "sequence": 1,
        "kind": "issue",
        "holder": holder.pk,
        "counterparty": None,
        "share_class": community_class.pk,
        "shares": 250,
        "amount": rows[0]["amount"],
        "currency": rows[0]["currency"],
        "effective_date": rows[0]["effective_date"],
        "reference": rows[0]["reference"],
        "recorded_at": rows[0]["recorded_at"],
        "previous_hash": rows[0]["previous_hash"],
    }
    recomputed = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert recomputed == rows[0]["entry_hash"] == first.entry_hash
