"""Capital's actions in the board's admin (open and close an offer, give and take board seats),
each behind a confirmation that says what will happen, each only for the roles allowed and only on
the board's own society's rows."""

import datetime

import pytest
from django.contrib.auth.models import Group

from capital.errors import CapitalError
from capital.models import Offer, SocietyRole
from capital.services import BOARD_GROUP, appoint_board_member
from tests import factories
from tests.admin_pages import action_url, refused, sent_to_log_in, sent_to_their_dashboard
from tests.builders import board_seat, ready_to_open

Role = SocietyRole.Role


def test_an_action_that_no_longer_applies_changes_nothing(client, closed_offer):
    client.force_login(board_seat(society=closed_offer.society, role=Role.DIRECTOR))
    url = action_url("offer", "open", closed_offer.pk)
    assert "does not apply" in client.get(url).content.decode()
    response = client.post(url)
    assert response.status_code == 200 and "no longer applies" in response.content.decode()
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.CLOSED


def test_a_refusal_is_shown_on_the_page_and_changes_nothing(client, community_class):
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    offer = factories.OpenOfferFactory(
        share_class=community_class,
        state=Offer.State.DRAFT,
        opens_at=past,
        closes_at=past + datetime.timedelta(1),
    )
    client.force_login(board_seat(society=offer.society, role=Role.SECRETARY))
    response = client.post(action_url("offer", "open", offer.pk))
    assert response.status_code == 200 and "closing time has passed" in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == Offer.State.DRAFT


def test_a_secretary_opens_and_closes_an_offer(client, community_class):
    offer = factories.OpenOfferFactory(share_class=community_class, state=Offer.State.DRAFT)
    ready_to_open(offer=offer)
    client.force_login(board_seat(society=offer.society, role=Role.SECRETARY))
    assert client.post(action_url("offer", "open", offer.pk)).status_code == 302
    offer.refresh_from_db()
    assert offer.state == Offer.State.OPEN
    assert "stops taking applications" in client.get(action_url("offer", "close", offer.pk)).content.decode()
    assert client.post(action_url("offer", "close", offer.pk)).status_code == 302
    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED


def test_board_seats_are_appointed_by_email_and_the_last_director_stays(client, society):
    director = board_seat(society=society, role=Role.DIRECTOR)
    newcomer = factories.UserFactory(email="newcomer@example.org")
    client.force_login(director)
    response = client.post(
        "/admin/board/appoint/", {"society": society.pk, "email": "NEWCOMER@example.org", "role": "treasurer"}
    )
    assert response.status_code == 302 and client.get(response["Location"]).status_code == 200
    new_seat = SocietyRole.objects.get(user=newcomer)
    assert new_seat.role == Role.TREASURER and newcomer.groups.filter(name=BOARD_GROUP).exists()

    unknown = client.post(
        "/admin/board/appoint/", {"society": society.pk, "email": "nobody@example.org", "role": "director"}
    )
    assert "No active account" in unknown.content.decode()

    assert client.post(action_url("societyrole", "remove", new_seat.pk)).status_code == 302
    assert not SocietyRole.objects.filter(user=newcomer).exists()
    assert not newcomer.groups.filter(name=BOARD_GROUP).exists()

    own_seat = SocietyRole.objects.get(user=director)
    response = client.post(action_url("societyrole", "remove", own_seat.pk))
    assert response.status_code == 200 and "last director" in response.content.decode()
    assert SocietyRole.objects.filter(pk=own_seat.pk).exists()
    assert Group.objects.get(name=BOARD_GROUP).user_set.filter(pk=director.pk).exists()


NEW_ADMIN_URLS = [
    "/admin/runs/start/",
    "/admin/register/",
    "/admin/board/appoint/",
    "/admin/documents/bulk/",
    "/admin/distributionrun/",
    "/admin/societyrole/",
]


@pytest.mark.parametrize("url", NEW_ADMIN_URLS)
def test_investors_and_visitors_are_kept_out_of_every_board_page(client, url, society):
    assert sent_to_log_in(client.get(url))
    client.force_login(factories.UserFactory())  # an investor
    response = client.get(url)
    assert sent_to_their_dashboard(response) and society.name not in response.content.decode()


def test_a_secretary_cannot_appoint_anyone_least_of_all_themselves_a_director(client, society):
    secretary = board_seat(society=society, role=Role.SECRETARY)
    client.force_login(secretary)
    response = client.post(
        "/admin/board/appoint/", {"society": society.pk, "email": secretary.email, "role": "director"}
    )
    assert refused(response), "the page is not offered to a role that may appoint no one"
    # A director elsewhere is offered the page, but not this society.
    appoint_board_member(society=factories.SocietyFactory(), user=secretary, role=Role.DIRECTOR)
    response = client.post(
        "/admin/board/appoint/", {"society": society.pk, "email": secretary.email, "role": "director"}
    )
    assert response.status_code == 200 and "valid choice" in response.content.decode()
    assert not SocietyRole.objects.filter(society=society, user=secretary, role=Role.DIRECTOR).exists()
    with pytest.raises(CapitalError, match="Only a director"):
        appoint_board_member(society=society, user=secretary, role=Role.DIRECTOR, by=secretary)


def test_every_board_role_opens_the_lists_its_menu_leads_to(client, society):
    for role in Role:
        client.force_login(board_seat(society=society, role=role))
        for url in ("/admin/distributionrun/", "/admin/withdrawalrequest/", "/admin/societyrole/"):
            assert client.get(url).status_code == 200, (role, url)
