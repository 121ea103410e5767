"""`verify_decisions` recomputes the chain and recounts every result; `export_decisions` gives
enough to do both outside the platform."""

import hashlib
import io
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from capital.decisions import Kind, announce_decision
from governance.models import Ballot, DecisionEntry
from governance.services.closing import close_question
from governance.services.voting import vote
from tests.builders import called_meeting
from tests.conftest import run_raw_sql
from tests.register_helpers import tamper


@pytest.fixture
def counted(society, members):
    announce_decision(society=society, kind=Kind.RATE_DECLARED, summary="Interest of 3% declared for 2027.")
    meeting = called_meeting(society=society, questions=[("ordinary", "Approve the accounts")])
    question = meeting.questions.get()
    for n, member in enumerate(members):
        vote(question=question, holder=member, choice=["for", "against", "abstain"][n % 3])
    close_question(question=question)
    announce_decision(society=society, kind=Kind.RATE_DECLARED, summary="Interest of 2% declared for 2028.")
    return DecisionEntry.objects.get(question=question)


def verify(society, *args):
    out = io.StringIO()
    call_command("verify_decisions", society.slug, *args, stdout=out)
    return out.getvalue()


def test_an_untouched_record_verifies_and_prints_its_head(society, counted):
    head = DecisionEntry.objects.filter(society=society).order_by("-sequence").first()
    printed = verify(society)
    assert "3 entries, 1 results recounted" in printed and f"{head.sequence}:{head.entry_hash}" in printed
    assert "intact" in verify(society, "--expect-head", f"{head.sequence}:{head.entry_hash}")


def test_a_tampered_ballot_is_found(society, counted):
    ballot = Ballot.objects.filter(question=counted.question, choice="against").first()
    run_raw_sql("UPDATE governance_ballot SET choice = 'for' WHERE id = %s", [ballot.pk])
    with pytest.raises(CommandError, match=f"Entry #{counted.sequence}: the stored ballots no longer match"):
        verify(society)


def test_a_deleted_ballot_is_found(society, counted):
    ballot = Ballot.objects.filter(question=counted.question).first()
    run_raw_sql("DELETE FROM governance_ballot WHERE id = %s", [ballot.pk])
    with pytest.raises(CommandError, match=f"Entry #{counted.sequence}"):
        verify(society)


def test_a_tampered_result_is_found(society, counted):
    data = counted.data
    data["result"]["passed"] = not data["result"]["passed"]
    tamper("UPDATE governance_decisionentry SET data = %s WHERE id = %s", [json.dumps(data), counted.pk])
    with pytest.raises(CommandError, match=f"Entry #{counted.sequence}: its content does not match its hash"):
        verify(society)


def test_a_rewritten_decision_is_found(society, counted):
    first = DecisionEntry.objects.get(society=society, sequence=1)
    tamper("UPDATE governance_decisionentry SET summary = 'Interest of 9%%.' WHERE id = %s", [first.pk])
    with pytest.raises(CommandError, match="Entry #1: its content does not match its hash"):
        verify(society)


def test_a_record_cut_short_misses_its_published_head(society, counted):
    head = DecisionEntry.objects.filter(society=society).order_by("-sequence").first()
    tamper("DELETE FROM governance_decisionentry WHERE id = %s", [head.pk])
    with pytest.raises(CommandError, match="cut short or rewritten"):
        verify(society, "--expect-head", f"{head.sequence}:{head.entry_hash}")


def test_the_export_recomputes_every_hash_and_recounts_every_result(society, counted):
    out = io.StringIO()
    call_command("export_decisions", society.slug, stdout=out)
    exported = json.loads(out.getvalue())
    previous = "0" * 64
    for entry in exported["entries"]:
        assert entry["previous_hash"] == previous
        body = json.dumps(
            {**entry["content"], "previous_hash": previous}, sort_keys=True, separators=(",", ":")
        )
        assert hashlib.sha256(body.encode()).hexdigest() == entry["entry_hash"]
        previous = entry["entry_hash"]
    assert exported["head"].endswith(previous)
    result = next(e["content"]["data"] for e in exported["entries"] if e["content"]["question"])
    recount = Counter(choice for _, choice in result["ballots"])
    assert (
        (recount["for"], recount["against"], recount["abstain"])
        == (
            result["result"]["for"],
            result["result"]["against"],
            result["result"]["abstain"],
        )
        == (4, 3, 3)
    )
