"""A member's dashboard shows their meetings to come, the ballots still waiting for their vote
and members' proposals to second, with the way to the meetings screen; an investor-only holder's
shows none of it."""

from django.urls import reverse

from governance.services.members import propose
from governance.services.voting import vote
from tests import factories
from tests.builders import called_meeting


def logged_in(client, holder):
    holder.user = factories.UserFactory(email=holder.email)
    holder.save()
    client.force_login(holder.user)
    return client


def dashboard(client) -> str:
    response = client.get(reverse("account:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_a_member_sees_the_meeting_the_ballots_left_to_cast_and_proposals_to_second(client, society, members):
    meeting = called_meeting(
        society=society,
        title="AGM 2026",
        questions=[("ordinary", "Approve the accounts"), ("special", "Change the rules")],
    )
    vote(question=meeting.questions.get(number=1), holder=members[0], choice="for")
    vote(question=meeting.questions.get(number=2), holder=members[1], choice="for")  # another's vote
    propose(society=society, holder=members[2], title="Plant an orchard", text="That…")

    page = dashboard(logged_in(client, members[0]))
    assert "Meetings and votes" in page and "AGM 2026" in page
    assert "You have 1 ballot to cast." in page
    assert "1 member&#x27;s proposal to second." in page
    assert f'href="{reverse("governance:ballots")}"' in page


def test_a_member_who_has_voted_on_everything_is_told_so(client, society, members):
    meeting = called_meeting(society=society)
    vote(question=meeting.questions.get(), holder=members[0], choice="against")
    page = dashboard(logged_in(client, members[0]))
    assert "No ballot is waiting for your vote." in page and "Annual general meeting" in page


def test_an_investor_only_holder_has_no_meetings_on_their_dashboard(client, society, members, investor_only):
    called_meeting(society=society)
    page = dashboard(logged_in(client, investor_only))
    assert "Your investments" in page
    assert "Meetings and votes" not in page and reverse("governance:ballots") not in page
