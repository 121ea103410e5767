"""Members propose, second, requisition and sign on their meetings screen and through the API;
an investor-only holder is refused by the form and by the API, and nothing is written."""

import json

import pytest
from django.urls import reverse

from governance.models import Ballot, Candidate, GovernanceRules, Proposal, Requisition, Seconder, Signature
from governance.services.meetings import stand
from governance.services.members import propose, start_requisition
from governance.services.voting import vote
from tests import factories
from tests.builders import called_meeting


def as_user(client, holder):
    holder.user = factories.UserFactory(email=holder.email)
    holder.save()
    client.force_login(holder.user)
    return client


def post_json(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def page_after(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def member(client, members):
    return as_user(client, members[0])


@pytest.fixture
def investor(client, investor_only):
    return as_user(client, investor_only)


def test_a_member_proposes_on_their_meetings_screen(member, society, members):
    screen = page_after(member.get(reverse("governance:ballots")))
    assert "Propose a resolution" in screen and "Requisition a special general meeting" in screen
    page = page_after(
        member.post(
            reverse("governance:propose"),
            {"society": society.pk, "kind": "special", "title": "Plant an orchard", "text": "That we plant…"},
            follow=True,
        )
    )
    proposal = Proposal.objects.get()
    assert (proposal.proposer, proposal.kind, proposal.state) == (members[0], "special", "seconding")
    assert "now waits for other members to second it" in page


def test_the_api_takes_a_proposal_and_its_seconds(client, society, members):
    as_user(client, members[0])
    response = post_json(
        client, f"/api/v1/societies/{society.slug}/proposals", {"title": "Plant an orchard", "text": "That…"}
    )
    assert response.status_code == 200, response.content
    proposal_id = response.json()["id"]
    for n, seconder in enumerate(members[1:3], start=1):
        as_user(client, seconder)
        response = post_json(client, f"/api/v1/proposals/{proposal_id}/second")
        assert response.status_code == 200 and response.json()["seconders"] == n
    assert response.json()["state"] == "seconded"


def test_an_investor_only_holder_cannot_propose_by_the_form_or_the_api(investor, society):
    assert "Propose a resolution" not in page_after(investor.get(reverse("governance:ballots")))
    page = page_after(
        investor.post(
            reverse("governance:propose"),
            {"society": society.pk, "kind": "ordinary", "title": "Pay investors more", "text": "That…"},
            follow=True,
        )
    )
    assert "only members propose" in page and "Investor shares never carry a vote" in page
    response = post_json(
        investor,
        f"/api/v1/societies/{society.slug}/proposals",
        {"title": "Pay investors more", "text": "That…"},
    )
    assert response.status_code == 403 and "never carry a vote" in response.json()["detail"]
    assert not Proposal.objects.exists()


def test_an_investor_only_holder_cannot_second_by_the_form_or_the_api(investor, society, members):
    proposal = propose(society=society, holder=members[0], title="Plant an orchard", text="That…")
    page = page_after(investor.post(reverse("governance:second", args=[proposal.pk]), follow=True))
    assert "Investor shares never carry a vote" in page
    response = post_json(investor, f"/api/v1/proposals/{proposal.pk}/second")
    assert response.status_code == 403 and "never carry a vote" in response.json()["detail"]
    assert not Seconder.objects.exists()


def test_members_requisition_a_meeting_by_the_form_and_sign_it_by_the_api(client, society, members):
    as_user(client, members[0])
    page = page_after(
        client.post(
            reverse("governance:requisition"),
            {"society": society.pk, "purpose": "To decide on the new building."},
            follow=True,
        )
    )
    assert "Your requisition is signed" in page
    requisition = Requisition.objects.get()
    as_user(client, members[1])
    assert "To decide on the new building." in page_after(client.get(reverse("governance:ballots")))
    response = post_json(client, f"/api/v1/requisitions/{requisition.pk}/sign")
    assert response.status_code == 200 and response.json()["signatures"] == 2
    as_user(client, members[2])
    page_after(client.post(reverse("governance:sign", args=[requisition.pk]), follow=True))
    assert requisition.signatures.count() == 3


def test_an_investor_only_holder_cannot_requisition_or_sign_by_the_form_or_the_api(
    investor, society, members
):
    page = page_after(
        investor.post(
            reverse("governance:requisition"), {"society": society.pk, "purpose": "To sell up."}, follow=True
        )
    )
    assert "only members propose, second and requisition" in page
    response = post_json(
        investor, f"/api/v1/societies/{society.slug}/requisitions", {"purpose": "To sell up."}
    )
    assert response.status_code == 403 and "never carry a vote" in response.json()["detail"]
    assert not Requisition.objects.exists()

    requisition = start_requisition(society=society, holder=members[0], purpose="To decide on the building.")
    page = page_after(investor.post(reverse("governance:sign", args=[requisition.pk]), follow=True))
    assert "Investor shares never carry a vote" in page
    response = post_json(investor, f"/api/v1/requisitions/{requisition.pk}/sign")
    assert response.status_code == 403 and "never carry a vote" in response.json()["detail"]
    assert Signature.objects.filter(requisition=requisition).count() == 1


def test_a_member_stands_for_election_on_their_meetings_screen(client, society, members, investor_only):
    election = called_meeting(society=society, questions=[("election", "Elect directors", 2)]).questions.get()
    as_user(client, members[0])
    assert "Stand for election" in page_after(client.get(reverse("governance:ballots")))
    stand_url = reverse("governance:stand", args=[election.pk])
    page = page_after(client.post(stand_url, {"statement": "I fix bikes."}, follow=True))
    assert "You stand in &#x27;Elect directors&#x27;" in page and "Stand for election" not in page
    assert [(c.member.holder, c.statement) for c in Candidate.objects.all()] == [(members[0], "I fix bikes.")]

    as_user(client, investor_only)
    page = page_after(client.post(stand_url, follow=True))
    assert "Only a member on the roll at the record date may stand" in page
    assert Candidate.objects.count() == 1


def test_once_a_member_has_voted_in_an_election_the_screen_offers_no_one_to_stand(client, society, members):
    election = called_meeting(society=society, questions=[("election", "Elect directors", 2)]).questions.get()
    candidate = stand(question=election, holder=members[0])
    vote(question=election, holder=members[1], candidates=[candidate.pk])
    as_user(client, members[2])
    assert "Stand for election" not in page_after(client.get(reverse("governance:ballots")))
    page = page_after(client.post(reverse("governance:stand", args=[election.pk]), follow=True))
    assert "already voted in this election" in page and election.candidates.count() == 1


def test_a_member_appoints_a_proxy_who_votes_for_them(client, society, members, investor_only):
    rules = GovernanceRules.of(society)
    rules.proxies_allowed = True
    rules.save()
    meeting = called_meeting(society=society)
    question = meeting.questions.get()
    appoint = reverse("governance:appoint-proxy", args=[meeting.pk])

    as_user(client, members[1])
    page = page_after(client.post(appoint, {"email": investor_only.email}, follow=True))
    assert "No member on this meeting&#x27;s roll has that email address" in page
    page = page_after(client.post(appoint, {"email": members[0].email.upper()}, follow=True))
    assert "Member 0 is your proxy" in page and "Your proxy: Member 0." in page

    entry = meeting.roll.get(holder=members[1])
    as_user(client, members[0])
    assert "For Member 1 · 1. Approve the accounts" in page_after(client.get(reverse("governance:ballots")))
    url = reverse("governance:vote-as-proxy", args=[question.pk, entry.pk])
    page = page_after(client.post(url, {"choice": "against"}, follow=True))
    assert "Your vote for Member 1 on &#x27;Approve the accounts&#x27; is recorded." in page
    ballot = Ballot.objects.get(question=question)
    assert (ballot.voter, ballot.choice, ballot.method) == (entry, "against", "proxy")

    as_user(client, members[2])  # not Member 1's proxy
    page = page_after(client.post(url, {"choice": "for"}, follow=True))
    assert "You are not Member 1&#x27;s proxy" in page
    assert Ballot.objects.get(question=question).choice == "against"
