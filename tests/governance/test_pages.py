"""The public decision record (pages and API), and a member's ballot screen (form and API)."""

import json

import pytest
from django.urls import reverse

from governance.models import Ballot, DecisionEntry
from governance.services.closing import close_question
from governance.services.voting import vote
from tests import factories
from tests.builders import called_meeting


@pytest.fixture
def meeting(society, members):
    return called_meeting(society=society, questions=[("ordinary", "Approve the accounts")])


@pytest.fixture
def closed(meeting, members):
    question = meeting.questions.get()
    codes = [
        vote(question=question, holder=m, choice="for" if n < 7 else "against").receipt_code
        for n, m in enumerate(members)
    ]
    close_question(question=question)
    return DecisionEntry.objects.get(question=question), codes


def test_the_record_lists_decisions_newest_first_and_filters_by_kind(client, society, director, closed):
    entry, _ = closed
    response = client.get(f"/decisions/{society.slug}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert entry.sequence == 2
    assert text.index("#2<") < text.index("#1<")  # newest first: the director's seat came first
    resolutions = client.get(f"/decisions/{society.slug}/?kind=resolution").content.decode()
    assert "Approve the accounts" in resolutions and "appointed director" not in resolutions


def test_a_decision_page_shows_the_result_receipts_and_hashes_and_finds_my_vote(client, society, closed):
    entry, codes = closed
    page = client.get(f"/decisions/{society.slug}/{entry.sequence}/", {"receipt": codes[8]}).content.decode()
    assert "Passed" in page and entry.entry_hash in page
    assert page.count("<tr><td><code>") == 10
    assert "Your vote was counted: <strong>against</strong>" in page
    assert "Member 8" not in page
    wrong = client.get(f"/decisions/{society.slug}/{entry.sequence}/", {"receipt": "NOPE"}).content.decode()
    assert "No counted ballot has that receipt code" in wrong


def test_the_api_gives_the_record_with_its_head(client, society, closed):
    entry, _ = closed
    body = client.get(f"/api/v1/societies/{society.slug}/decisions/", {"kind": "resolution"}).json()
    assert body["count"] == 1
    assert body["head"].endswith(entry.entry_hash)
    assert body["decisions"][0]["entry_hash"] == entry.entry_hash
    assert len(body["decisions"][0]["data"]["ballots"]) == 10
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/societies/{slug}/decisions/" in schema["paths"]


def test_a_member_votes_from_their_screen_and_gets_a_receipt(client, meeting, members):
    user = factories.UserFactory()
    members[0].user = user
    members[0].save()
    client.force_login(user)
    question = meeting.questions.get()
    assert "Approve the accounts" in client.get(reverse("governance:ballots")).content.decode()
    page = client.post(
        reverse("governance:vote", args=[question.pk]), {"choice": "abstain"}, follow=True
    ).content.decode()
    ballot = Ballot.objects.get(question=question)
    assert ballot.choice == "abstain" and ballot.receipt_code in page


def test_an_investor_only_holder_is_refused_by_the_form_and_the_api(client, meeting, investor_only):
    user = factories.UserFactory()
    investor_only.user = user
    investor_only.save()
    client.force_login(user)
    question = meeting.questions.get()
    page = client.post(
        reverse("governance:vote", args=[question.pk]), {"choice": "for"}, follow=True
    ).content.decode()
    assert "Investor shares never carry a vote" in page
    response = client.post(
        f"/api/v1/questions/{question.pk}/vote",
        json.dumps({"choice": "for"}),
        content_type="application/json",
    )
    assert response.status_code == 403 and "never carry a vote" in response.json()["detail"]
    assert not Ballot.objects.exists()


def test_the_api_takes_a_members_vote(client, meeting, members):
    user = factories.UserFactory()
    members[1].user = user
    members[1].save()
    client.force_login(user)
    question = meeting.questions.get()
    response = client.post(
        f"/api/v1/questions/{question.pk}/vote",
        json.dumps({"choice": "for"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert Ballot.objects.get(question=question).receipt_code == response.json()["receipt_code"]


def test_a_members_receipt_links_to_their_vote_in_the_published_result(client, meeting, members):
    question = meeting.questions.get()
    ballot = vote(question=question, holder=members[0], choice="against")
    close_question(question=question)
    members[0].user = factories.UserFactory(email=members[0].email)
    members[0].save()
    client.force_login(members[0].user)
    entry = DecisionEntry.objects.get(question=question)
    link = f"/decisions/{meeting.society.slug}/{entry.sequence}/?receipt={ballot.receipt_code}#receipts"
    assert f'href="{link}"' in client.get(reverse("governance:ballots")).content.decode()
    found = client.get(link.split("#")[0]).content.decode()
    assert "Your vote was counted: <strong>against</strong>" in found
