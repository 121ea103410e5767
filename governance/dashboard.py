"""The member's meetings on their dashboard: meetings to come, ballots still to cast and
proposals to second, with the way to the full screen (`/account/meetings/`)."""

from django.db.models import Count, Q

from capital.models import Society
from governance.models import Ballot, Meeting, Proposal, Question
from shares.member_panels import MemberPanel
from shares.models import Holding

CALLED = (Meeting.State.CALLED, Meeting.State.HELD)


def meetings_panel(holder) -> MemberPanel | None:
    """Shown to a member (a holder of a membership class) and to anyone on a called meeting's
    roll; an investor-only holder, who never votes, is not shown it. Two queries, however many
    meetings and societies."""
    member_of = Holding.objects.filter(
        holder=holder, shares__gt=0, share_class__confers_membership=True
    ).values("share_class__society")
    voted = Ballot.objects.filter(voter__holder=holder).values("question")
    meetings = list(
        Meeting.objects.filter(roll__holder=holder, state__in=CALLED)
        .select_related("society")
        .annotate(
            to_cast=Count(
                "questions",
                filter=Q(questions__state=Question.State.OPEN) & ~Q(questions__in=voted),
                distinct=True,
            )
        )
        .order_by("starts_at")
    )
    to_second = Proposal.objects.filter(state=Proposal.State.SECONDING).exclude(
        Q(proposer=holder) | Q(seconders__member=holder)
    )
    societies = Society.objects.filter(pk__in=member_of).aggregate(
        member_of=Count("pk", distinct=True),
        proposals=Count("proposals", filter=Q(proposals__in=to_second), distinct=True),
    )
    if not meetings and not societies["member_of"]:
        return None
    return MemberPanel(
        template="governance/_dashboard.html",
        context={
            "meetings": meetings,
            "ballots_to_cast": sum(m.to_cast for m in meetings),
            "proposals_to_second": societies["proposals"],
        },
    )
