"""A general meeting from call to result, in a real browser, on a desktop and on a phone: the
secretary calls an AGM with a resolution and an election in the admin and sends notice; a member
gets the notice by email, votes online and is given receipts; the secretary closes the ballots;
the member finds the result and their own vote, by its receipt, on the public decision record."""

import datetime
import re
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from cms.management.commands.load_demo import BOARD_PASSWORD
from governance.models import Ballot, Meeting, Question
from governance.services.meetings import stand
from governance.services.voting import vote
from shares.models import Holder
from tests.browser import helpers
from tests.browser.helpers import check_accessibility, sent_mail
from tests.browser.test_board_setup import save
from tests.browser.test_journeys import Journey

DEVICES = ["desktop", "phone"]
SOCIETY = "Riverside Community Energy Ltd"
SLUG = "riverside-energy"
MEETING = "Annual general meeting 2026"
RESOLUTION = "Approve the accounts"
ELECTION = "Elect a director"


@pytest.fixture(params=DEVICES)
def screen(request) -> str:
    return request.param


@pytest.fixture
def screen_page(request, screen) -> Page:
    return request.getfixturevalue("page" if screen == "desktop" else "phone")


def call_the_agm(journey: Journey) -> Meeting:
    """The secretary creates the meeting and its agenda in the admin, and sends the notice."""
    page = journey.page
    helpers.log_in_to_the_admin(page, "sam.secretary", BOARD_PASSWORD)
    starts = timezone.localtime() + datetime.timedelta(days=21)
    page.goto("/admin/meeting/new/")
    page.locator("#id_society").select_option(label=SOCIETY)
    page.locator("#id_kind").select_option(label="Annual general meeting")
    page.locator("#id_title").fill(MEETING)
    page.locator("#id_starts_at").fill(starts.strftime("%Y-%m-%d %H:%M"))
    page.locator("#id_record_date").fill(timezone.localdate().isoformat())
    page.locator("#id_location").fill("The Old Mill, Hebden Bridge")
    save(page)
    meeting = Meeting.objects.get(title=MEETING)

    for kind, title, text in (
        ("Ordinary resolution", RESOLUTION, "That the accounts for the year to 31 March 2026 be approved."),
        ("Election of directors", ELECTION, "One seat on the board, for three years."),
    ):
        page.goto("/admin/question/new/")
        page.locator("#id_meeting").select_option(value=str(meeting.pk))
        page.locator("#id_kind").select_option(label=kind)
        page.locator("#id_title").fill(title)
        page.locator("#id_text").fill(text)
        save(page)
        expect(page.locator(".messages, .w-message").first).to_be_visible()
    assert list(meeting.questions.values_list("title", flat=True)) == [RESOLUTION, ELECTION]

    page.goto(f"/admin/meeting/action/send_notice/{meeting.pk}/")
    expect(page.get_by_text("every member on the register that day, once")).to_be_visible()
    journey.step("send-notice")
    check_accessibility(page)
    page.get_by_role("button", name="Send notice").click()
    expect(page.get_by_text(f"Notice of {MEETING} is being sent.")).to_be_visible()
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CALLED
    return meeting


def vote_online(journey: Journey, live_site, member: Holder) -> dict[str, str]:
    """The member follows the notice's link, votes on both questions and keeps the receipts."""
    page = journey.page
    (notice,) = sent_mail(lambda m: m.to == [member.email] and m.subject.startswith(f"Notice of {MEETING}"))
    assert RESOLUTION in notice.body and ELECTION in notice.body
    assert [name for name, _, kind in notice.attachments] == ["meeting.ics"]
    vote_link = re.search(r"https?://\S+/account/meetings/", notice.body).group(0)

    live_site.log_in(page.context, member.user)
    page.goto("/account/")
    panel = page.locator("section", has=page.get_by_role("heading", name="Meetings and votes"))
    expect(panel).to_contain_text(MEETING)
    expect(panel).to_contain_text("You have 3 ballots to cast.")  # these two and the demo's open one
    journey.step("dashboard-meetings")
    check_accessibility(page)

    page.goto(urlparse(vote_link).path)
    receipts = {}
    for title, choose in ((RESOLUTION, "For"), (ELECTION, member.name)):
        ballot = page.locator("form.ballot", has_text=title)
        ballot.get_by_label(choose, exact=True).check()
        if title == RESOLUTION:
            journey.step("ballot")
        ballot.get_by_role("button", name="Vote").click()
        status = page.get_by_role("status").filter(has_text="Your receipt code is").first
        expect(status).to_contain_text(f"Your vote on '{title}' is recorded.")
        receipts[title] = re.search(r"Your receipt code is ([0-9A-F]+)", status.inner_text()).group(1)
    expect(page.locator("form.ballot", has_text=RESOLUTION)).to_contain_text(receipts[RESOLUTION])
    journey.step("voted")
    check_accessibility(page)
    assert {
        b.receipt_code for b in Ballot.objects.filter(voter__holder=member, question__meeting__title=MEETING)
    } == set(receipts.values())
    return receipts


def close_the_ballots(journey: Journey, meeting: Meeting) -> None:
    page = journey.page
    helpers.log_in_to_the_admin(page, "sam.secretary", BOARD_PASSWORD)
    page.goto(f"/admin/meeting/action/close_ballots/{meeting.pk}/")
    page.get_by_role("button", name="Close the ballots and count").click()
    expect(page.get_by_text("2 ballot(s) closed and counted")).to_be_visible()
    assert not Question.objects.filter(meeting=meeting, state=Question.State.OPEN).exists()


def find_the_result(journey: Journey, live_site, member: Holder, receipt: str) -> None:
    page = journey.page
    live_site.log_in(page.context, member.user)
    page.goto("/account/meetings/")
    receipts = page.locator("section", has=page.get_by_role("heading", name="Your receipts"))
    expect(receipts.locator("li", has_text=RESOLUTION)).to_contain_text("counted")

    page.goto(f"/decisions/{SLUG}/")
    entry = page.locator("ol.decisions li", has_text=f"Ordinary resolution '{RESOLUTION}' passed")
    journey.step("decision-record")
    check_accessibility(page)
    entry.get_by_role("link").click()
    expect(page.get_by_role("heading", name=RESOLUTION)).to_be_visible()
    page.get_by_label("Your receipt code").fill(receipt)
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status").filter(has_text="Your vote was counted")).to_contain_text("for")
    journey.step("my-vote-found")
    check_accessibility(page)

    page.goto(f"/decisions/{SLUG}/")
    page.locator("ol.decisions li", has_text=f"{ELECTION}: the members elected {member.name}").get_by_role(
        "link"
    ).click()
    expect(page.get_by_text(member.name).first).to_be_visible()


def test_the_secretary_calls_an_agm_a_member_votes_and_finds_their_vote_in_the_result(
    demo_site, screen, screen_page
):
    journey = Journey(screen_page, f"meeting-{screen}")
    mail.outbox.clear()  # the demo's own founding offer emailed its certificates
    meeting = call_the_agm(journey)
    member = Holder.objects.get(email="alice@example.org")
    election = meeting.questions.get(title=ELECTION)
    stand(question=election, holder=member, statement="Ten years on the parish energy group.")
    stand(question=election, holder=Holder.objects.get(email="bilal@example.org"))

    receipts = vote_online(journey, demo_site, member)
    # Two other members vote too, so that the meeting is quorate.
    resolution = meeting.questions.get(title=RESOLUTION)
    alice, bilal = election.candidates.order_by("member__holder__name")
    for email, choice, candidate in (
        ("bilal@example.org", "for", bilal),
        ("dev@example.org", "against", alice),
    ):
        voter = Holder.objects.get(email=email)
        vote(question=resolution, holder=voter, choice=choice)
        vote(question=election, holder=voter, candidates=[candidate.pk])
    close_the_ballots(journey, meeting)
    find_the_result(journey, demo_site, member, receipts[RESOLUTION])
