"""Counting a question's votes: a pure function of the rules, the roll and the ballots, so that
the platform, `verify_decisions` and anyone with an export count the same result.

- Quorum: members taking part (a ballot on the question, or present) against the rules'
  number and percentage of the roll (whichever is greater, or less, as the rules say).
- Votes cast: for + against (+ abstentions only if the rules count them).
- Ordinary resolution and s.111 confirmation: more than half of the votes cast.
- Special resolution: at least the rules' percentage of the votes cast (default 75).
- s.111 first meeting: at least two thirds of the votes cast.
- Election: the seats go to the most votes; a tie for the last seat is drawn by lot, and the
  draw (who was tied, who was drawn) is part of the result.
"""

import math
import secrets
from collections import Counter
from decimal import Decimal


def quorum_needed(*, roll_size: int, members: int, percent: Decimal, rule: str) -> int:
    by_percent = math.ceil(Decimal(roll_size) * Decimal(percent) / 100)
    return max(members, by_percent) if rule == "greater" else min(members, by_percent)


def count(
    *, kind: str, rules: dict, roll_size: int, present: int, ballots, seats: int = 1, drawn=None
) -> dict:
    """The result of one question. `ballots` is (receipt hash or name, choice) pairs, a choice
    being "for"/"against"/"abstain" or, for an election, a list of candidate ids; `present` the
    members recorded present who have no ballot. `drawn`, for a recount, is the lot already drawn."""
    ballots = list(ballots)
    taking_part = len(ballots) + present
    needed = quorum_needed(
        roll_size=roll_size,
        members=rules["quorum_members"],
        percent=Decimal(rules["quorum_percent"]),
        rule=rules["quorum_rule"],
    )
    result = {
        "roll": roll_size,
        "ballots": len(ballots),
        "present_without_ballot": present,
        "taking_part": taking_part,
        "turnout_percent": f"{(Decimal(taking_part) * 100 / roll_size if roll_size else Decimal(0)):.1f}",
        "quorum_needed": needed,
        "quorate": taking_part >= needed,
    }
    if kind == "election":
        return {**result, **_election(ballots, seats, drawn, quorate=result["quorate"])}
    tally = Counter(choice for _, choice in ballots)
    votes_for, against, abstain = tally["for"], tally["against"], tally["abstain"]
    cast = votes_for + against + (abstain if rules["abstentions_are_cast"] else 0)
    if kind == "special":
        threshold = Decimal(rules["special_threshold_percent"])
        words, reached = (
            f"at least {threshold.normalize():f}% of votes cast",
            votes_for * 100 >= threshold * cast,
        )
    elif kind == "s111":
        words, reached = "at least two thirds of votes cast", votes_for * 3 >= 2 * cast
    else:
        words, reached = "more than half of votes cast", votes_for * 2 > cast
    return {
        **result,
        "for": votes_for,
        "against": against,
        "abstain": abstain,
        "cast": cast,
        "threshold": words,
        "passed": bool(result["quorate"] and cast > 0 and reached),
    }


def _election(ballots, seats: int, drawn, *, quorate: bool) -> dict:
    votes = Counter()
    for _, choice in ballots:
        votes.update(set(choice))
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    if len(ranked) <= seats:
        elected, tied, lot = [c for c, _ in ranked], [], []
    else:
        boundary = ranked[seats - 1][1]
        sure = [c for c, n in ranked if n > boundary]
        tied = sorted(c for c, n in ranked if n == boundary)
        places = seats - len(sure)
        if len(tied) > places:
            lot = list(drawn) if drawn is not None else secrets.SystemRandom().sample(tied, places)
        else:
            lot, tied = [], []
        elected = sure + (lot if tied else [c for c, n in ranked if n == boundary])
    return {
        "votes": {str(c): n for c, n in sorted(votes.items())},
        "seats": seats,
        "elected": sorted(elected) if quorate else [],
        "tied_for_last_seat": tied,
        "drawn_by_lot": sorted(lot),
        "passed": quorate and bool(elected),
    }
