"""The register's exports for a secretary and an auditor: the register of members (s.30 fields)
and the full ledger with its hashes."""

import csv
import datetime
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shares.models import LedgerEntry
from shares.services.register import remove_shares
from tests import factories
from tests.builders import issue


def test_export_register_writes_the_section_30_fields(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=250)
    leaver = factories.HolderFactory(name="Leaver, Lee", postal_address="1 Long Row\nHebden Bridge")
    issue(holder=leaver, share_class=community_class, shares=10)
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


def test_a_member_who_has_died_is_no_longer_a_member_from_that_day(society, community_class):
    member = factories.HolderFactory(name="Late Member", died_on=datetime.date(2026, 9, 1))
    issue(holder=member, share_class=community_class, shares=50, on=datetime.date(2024, 1, 1))
    out = io.StringIO()
    call_command("export_register", society.slug, "--format", "csv", stdout=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (row["member"], row["shares_held"], row["date_ceased"]) == ("no", "50", "2026-09-01")


def test_export_register_refuses_an_unknown_society(db):
    with pytest.raises(CommandError, match="No society has the slug"):
        call_command("export_register", "nowhere")


def test_export_ledger_gives_an_auditor_everything_to_recompute_the_chain(society, community_class, holder):
    issue(holder=holder, share_class=community_class, shares=250)
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


def test_register_and_ledger_write_typed_text_as_text_not_formulas(society, community_class):
    sly = factories.HolderFactory(name='=HYPERLINK("http://evil.example","Ann")', postal_address="+1 Row")
    issue(holder=sly, share_class=community_class, shares=5)
    out = io.StringIO()
    call_command("export_register", society.slug, "--format", "csv", stdout=out)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["name"] == "'" + sly.name and row["postal_address"] == "'+1 Row"
    assert row["amount_paid"] == "5.00"

    out = io.StringIO()
    call_command("export_ledger", society.slug, stdout=out)
    (entry,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert entry["holder"] == "'" + sly.name
