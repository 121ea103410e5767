"""Nominations (s.37): a member nominates people to receive their property on death, changes or
revokes it; the society keeps the nominations book (an admin list and a PDF)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core import mail

from investors.errors import NominationError
from investors.models import Nomination
from investors.nominations.book import nominations_book_pdf
from investors.nominations.services import (
    NomineeDetails,
    make_nomination,
    nomination_in_force,
    revoke_nomination,
)
from tests import factories
from tests.admin_pages import refused
from tests.builders import board_seat, issue, pdf_text

State = Nomination.State
BORN = datetime.date(1995, 7, 1)


def nominee(name="Nia Nominee", percent="100", relationship="child", **fields):
    return NomineeDetails(
        name=name,
        postal_address="3 Hill Road, Todmorden",
        relationship=relationship,
        percent=D(percent),
        date_of_birth=BORN,
        **fields,
    )


@pytest.fixture
def member(community_class):
    holder = factories.HolderFactory(name="Meg Member", user=factories.UserFactory())
    issue(holder=holder, share_class=community_class, shares=200)
    return holder


def test_a_member_nominates_two_people_and_a_new_nomination_replaces_the_old(
    society, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = make_nomination(
            holder=member,
            society=society,
            nominees=[nominee("Nia", "60"), nominee("Ned", "40")],
            by=member.user,
        )
    assert [(n.name, n.percent) for n in first.nominees.all()] == [("Nia", D("60.00")), ("Ned", D("40.00"))]
    assert "£5,000.00 in all will pass to" in mail.outbox[-1].body and "- Nia, 60%" in mail.outbox[-1].body
    second = make_nomination(holder=member, society=society, nominees=[nominee("Ola")], by=member.user)
    first.refresh_from_db()
    assert first.state == State.SUPERSEDED and first.ended_at is not None
    assert nomination_in_force(member, society) == second
    revoke_nomination(nomination=second, by=member.user)
    assert nomination_in_force(member, society) is None


@pytest.mark.parametrize(
    ("nominees", "message"),
    [
        ([nominee(percent="60"), nominee(percent="30")], "add up to 90%; they must make 100%"),
        ([], "from one to 5 people"),
        ([nominee(percent="100.005")], "as a percentage"),
        ([nominee(relationship="other", is_officer_or_employee=True)], "officers or employees unless"),
        ([nominee(name=" ")], "give their name and postal address"),
    ],
)
def test_a_nomination_that_the_law_or_arithmetic_refuses_is_not_recorded(society, member, nominees, message):
    with pytest.raises(NominationError, match=message):
        make_nomination(holder=member, society=society, nominees=nominees, by=member.user)
    assert not Nomination.objects.exists()


def test_an_officer_may_be_nominated_by_a_close_relative(society, member):
    made = make_nomination(
        holder=member, society=society, nominees=[nominee(relationship="spouse", is_officer_or_employee=True)]
    )
    assert made.nominees.get().is_officer_or_employee


def test_only_a_person_holding_shares_nominates_and_only_their_own(society, member, community_class):
    with pytest.raises(NominationError, match="hold no shares"):
        make_nomination(holder=factories.HolderFactory(), society=society, nominees=[nominee()])
    organisation = factories.HolderFactory(kind="organisation", date_of_birth=None)
    issue(holder=organisation, share_class=community_class, shares=10)
    with pytest.raises(NominationError, match="is a person"):
        make_nomination(holder=organisation, society=society, nominees=[nominee()])
    with pytest.raises(NominationError, match="your own"):
        make_nomination(holder=member, society=society, nominees=[nominee()], by=factories.UserFactory())


def test_the_member_nominates_on_their_page(client, society, member):
    url = f"/account/nominations/{society.pk}/"
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(member.user)
    assert "up to £5,000.00 in all" in client.get(url).content.decode()
    form = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "5",
        "form-0-name": "Nia",
        "form-0-postal_address": "3 Hill Road",
        "form-0-date_of_birth": "1995-07-01",
        "form-0-relationship": "child",
        "form-0-percent": "70",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and "add up to 70%" in refused.content.decode()
    assert not Nomination.objects.exists()
    saved = client.post(
        url,
        {
            **form,
            "form-1-name": "Ned",
            "form-1-postal_address": "4 Hill Road",
            "form-1-date_of_birth": "1997-01-01",
            "form-1-relationship": "child",
            "form-1-percent": "30",
        },
    )
    assert saved.status_code == 302
    assert Nomination.objects.get().nominees.count() == 2
    assert "In force now" in client.get(url).content.decode()


def test_nominee_forms_left_empty_on_the_page_are_ignored_as_a_browser_sends_them(client, society, member):
    url = f"/account/nominations/{society.pk}/"
    client.force_login(member.user)
    page = client.get(url).content.decode()
    assert '<option value="" selected>Choose one</option>' in page, "no relationship is chosen for anyone"
    # A browser sends every field of every form, the empty ones blank and each select's chosen option.
    fields = ("name", "postal_address", "date_of_birth", "email", "relationship", "percent")
    form = {"form-TOTAL_FORMS": "4", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "1"}
    form |= {"form-MAX_NUM_FORMS": "5"}
    form |= {f"form-{index}-{field}": "" for index in range(4) for field in fields}
    form |= {
        "form-0-name": "Nia",
        "form-0-postal_address": "3 Hill Road",
        "form-0-date_of_birth": "1995-07-01",
        "form-0-relationship": "child",
        "form-0-percent": "100",
    }
    saved = client.post(url, form)
    assert saved.status_code == 302, saved.content.decode()
    assert list(Nomination.objects.get().nominees.values_list("name", flat=True)) == ["Nia"]

    form |= {"form-0-relationship": "", "form-1-name": "Ned"}
    refused_page = client.post(url, form)
    assert refused_page.status_code == 200
    assert refused_page.content.decode().count("This field is required.") == 5, (
        "Nia's missing relationship, and Ned's address, date of birth, relationship and share"
    )


def test_the_secretary_downloads_the_nominations_book(client, society, member):
    make_nomination(holder=member, society=society, nominees=[nominee("Nia", "50"), nominee("Ned", "50")])
    revoked = make_nomination(holder=member, society=society, nominees=[nominee("Ola")])
    revoke_nomination(nomination=revoked)
    text = pdf_text(nominations_book_pdf(society))
    assert "Nominations book" in text and "s.37" in text
    assert "meg member · replaced by a later nomination" in text.lower(), "headings are in capitals"
    assert "Nia" in text and "50%" in text and "revoked by the member" in text.lower()

    url = f"/admin/nominations/{society.pk}/book.pdf"
    client.force_login(board_seat(society=society, role="treasurer"))
    assert refused(client.get(url)), "the treasurer's role does not include the book"
    client.force_login(board_seat(society=society, role="secretary"))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"/admin/society/inspect/{society.pk}/" in client.get("/admin/society/").content.decode()
    assert url in client.get(f"/admin/society/inspect/{society.pk}/").content.decode()
    client.force_login(board_seat(society=factories.SocietyFactory(), role="secretary"))
    assert client.get(url).status_code == 404


def test_the_boards_nominations_book_page_lists_each_nomination_with_its_nominees(client, society, member):
    make_nomination(holder=member, society=society, nominees=[nominee("Nia", "60"), nominee("Ned", "40")])
    client.force_login(board_seat(society=society, role="secretary"))
    page = client.get("/admin/nomination/").content.decode()
    assert "<h1" in page and "Nominations book" in page.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "Nia (60%); Ned (40%)" in page and "Meg Member" in page
