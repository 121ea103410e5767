"""How long counting a 100,000-member ballot takes, and how many votes a second PostgreSQL takes.

1. The count alone (`governance.tally.count`, what `verify_decisions` and an exported recount run)
   over 100,000 (receipt hash, choice) pairs, and an election of 100,000 ballots for 3 of 8.
2. Closing the ballot on PostgreSQL end to end (`close_question`: read 100,000 ballots, count,
   write the result and the decision entry with every receipt).
3. Votes a second through `vote` (the whole service: the roll entry's lock, the ballot row) from
   1 and 8 concurrent clients (threads, each with its own connection).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance python bench/ballot.py [MEMBERS]
It creates and drops its own throwaway database (<name>_bench).
"""

import datetime
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/governance")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.throwaway_db import throwaway_postgres  # noqa: E402
from governance import tally  # noqa: E402
from governance.models import (  # noqa: E402
    Ballot,
    GovernanceRules,  # noqa: E402
    Meeting,
    Question,
    RollEntry,
    new_receipt_code,
    receipt_hash,
)
from governance.services.closing import close_question, rules_snapshot  # noqa: E402
from governance.services.voting import vote  # noqa: E402
from shares.models import Holder  # noqa: E402
from tests import factories  # noqa: E402

MEMBERS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CHOICES = ("for", "against", "abstain")
BORN = datetime.date(1980, 1, 1)


def timed(work):
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def meeting_with_roll(society, members: int, title: str):
    meeting = Meeting.objects.create(
        society=society,
        title=title,
        starts_at=timezone.now() + datetime.timedelta(days=20),
        record_date=timezone.localdate(),
        location="The Mill",
        state=Meeting.State.CALLED,
    )
    question = Question.objects.create(meeting=meeting, number=1, kind="ordinary", title="Accounts", text="-")
    holders = Holder.objects.bulk_create(
        [
            Holder(name=f"M{n}", email=f"m{n}@example.org", postal_address="-", date_of_birth=BORN)
            for n in range(members)
        ],
        batch_size=5000,
    )
    roll = RollEntry.objects.bulk_create(
        [RollEntry(meeting=meeting, holder=h) for h in holders], batch_size=5000
    )
    return question, holders, roll


def main():
    rules = rules_snapshot(GovernanceRules())
    pairs = [(receipt_hash(1, new_receipt_code()), CHOICES[n % 3]) for n in range(MEMBERS)]
    seconds, result = timed(
        lambda: tally.count(kind="ordinary", rules=rules, roll_size=MEMBERS, present=0, ballots=pairs)
    )
    print(
        f"tally of {MEMBERS:,} resolution ballots (in memory): {seconds * 1000:.0f} ms; for {result['for']:,}"
    )
    election = [(h, [n % 8, (n + 1) % 8, (n + 3) % 8]) for n, (h, _) in enumerate(pairs)]
    seconds, _ = timed(
        lambda: tally.count(
            kind="election", rules=rules, roll_size=MEMBERS, present=0, ballots=election, seats=3
        )
    )
    print(f"tally of {MEMBERS:,} election ballots, 3 of 8 (in memory): {seconds * 1000:.0f} ms")

    with throwaway_postgres("bench/ballot.py"):
        society = factories.SocietyFactory()
        question, holders, roll = meeting_with_roll(society, MEMBERS, "Big AGM")
        ballots = []
        for n, entry in enumerate(roll):
            code = new_receipt_code()
            ballots.append(
                Ballot(
                    question=question,
                    voter=entry,
                    choice=CHOICES[n % 3],
                    receipt_code=code,
                    receipt_hash=receipt_hash(question.pk, code),
                )
            )
        Ballot.objects.bulk_create(ballots, batch_size=5000)
        seconds, closed = timed(lambda: close_question(question=question))
        print(
            f"close_question on PostgreSQL, {MEMBERS:,} ballots (read, count, record): "
            f"{seconds:.2f} s; passed={closed.passed}"
        )

        voters = 2000
        for clients in (1, 8):
            question, holders, _ = meeting_with_roll(society, voters, f"Votes {clients}")

            def cast(n, question=question, holders=holders):
                try:
                    return vote(question=question, holder=holders[n], choice=CHOICES[n % 3])
                finally:
                    connection.close()

            with ThreadPoolExecutor(max_workers=clients) as pool:
                seconds, _ = timed(lambda cast=cast, pool=pool: list(pool.map(cast, range(voters))))
            assert Ballot.objects.filter(question=question).count() == voters
            print(
                f"votes through the service, {clients} client(s): "
                f"{voters / seconds:.0f} votes/s ({voters} votes)"
            )


if __name__ == "__main__":
    main()
