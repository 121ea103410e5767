"""Checking a society's decision record: the chain, and every result recounted from the stored ballots."""

from dataclasses import dataclass, field

from capital.models import Society
from governance import tally
from governance.models import DecisionEntry, Question
from governance.services.closing import counted_ballots
from shares.chain import ChainCheck, expected_head_problem, head_of, walk


@dataclass
class DecisionCheck:
    chain: ChainCheck = field(default_factory=ChainCheck)
    results_recounted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def head(self):
        return self.chain.head

    @property
    def entries_checked(self) -> int:
        return self.chain.entries_checked


def recount_problem(entry: DecisionEntry) -> str | None:
    """Whether a result entry still matches the ballots stored and a fresh count of them."""
    data = entry.data
    question = Question.objects.select_related("meeting").get(pk=entry.question_id)
    stored = counted_ballots(question, recorded=data["rules"]["recorded_votes"])
    if stored != data["ballots"]:
        published = {tuple(map(str, b)) for b in data["ballots"]}
        now = {tuple(map(str, b)) for b in stored}
        differ = sorted(published ^ now)[:1]
        return (
            "the stored ballots no longer match its published ballots "
            f"(first difference: {differ[0][0][:16]}…)."
        )
    result = data["result"]
    if question.meeting.roll.count() != result["roll"]:
        members = question.meeting.roll.count()
        return f"the meeting's roll has {members} members; the result says {result['roll']}."
    recount = tally.count(
        kind=data["question_kind"],
        rules=data["rules"],
        roll_size=result["roll"],
        present=result["present_without_ballot"],
        ballots=data["ballots"],
        seats=data.get("seats", 1),
        drawn=result.get("drawn_by_lot"),
    )
    if recount != result:
        changed = sorted(k for k in recount if recount.get(k) != result.get(k))
        return f"recounting its ballots gives a different result ({', '.join(changed)})."
    return None


def verify_decisions(society: Society, *, expected_head: str | None = None) -> DecisionCheck:
    check = DecisionCheck()
    entries = DecisionEntry.objects.filter(society=society).order_by("sequence").iterator(chunk_size=500)
    for entry in walk(entries, check.chain):
        if entry.question_id and "result" in entry.data:
            problem = recount_problem(entry)
            check.results_recounted += 1
            if problem:
                check.problems.append(f"Entry #{entry.sequence}: {problem}")
                return check
    if check.chain.problem:
        check.problems.append(check.chain.problem)
    elif expected_head:
        problem = expected_head_problem(
            DecisionEntry.objects.filter(society=society), expected_head, what="decision record"
        )
        if problem:
            check.problems.append(problem)
    return check


def export(society: Society) -> dict:
    """Everything needed to recompute every hash and recount every result outside the platform."""
    entries = DecisionEntry.objects.filter(society=society).order_by("sequence")
    return {
        "society": {"id": society.pk, "slug": society.slug, "name": society.name},
        "hashing": (
            "entry_hash = SHA-256 of the UTF-8 JSON (keys sorted, separators ',' and ':', ASCII escapes) of "
            "`content` plus `previous_hash`; the first entry's previous_hash is 64 zeros. Receipt hash = "
            "SHA-256 of '<question id>:<receipt code>'."
        ),
        "counting": tally.__doc__,
        "head": str(head_of(entries)),
        "entries": [
            {"content": e.chain_content(), "previous_hash": e.previous_hash, "entry_hash": e.entry_hash}
            for e in entries.iterator(chunk_size=500)
        ],
    }
