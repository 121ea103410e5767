"""A board page whose form a role could never save is not offered to that role: it is sent back
to the admin's home with who may, and its society list holds only societies where the role may."""

import pytest
from django.contrib.messages import get_messages

from capital.services import appoint_board_member
from tests import factories
from tests.builders import board_seat

pytestmark = pytest.mark.django_db

PAGES = {
    "/admin/board/appoint/": {"director"},
    "/admin/bank-statements/import/": {"director", "treasurer"},
    "/admin/runs/start/": {"director", "treasurer"},
    "/admin/surplus/start/": {"director", "treasurer"},
    "/admin/surplus/contributions/": {"director", "secretary", "treasurer"},
    "/admin/documents/bulk/": {"director", "secretary"},
}

# A run needs a class with a return schedule, a surplus split the society's surplus rules.
LISTS_NEEDING_MORE = {"/admin/runs/start/", "/admin/surplus/start/"}


@pytest.mark.parametrize("role", ["director", "secretary", "treasurer"])
@pytest.mark.parametrize("url", PAGES)
def test_each_board_form_opens_only_for_the_roles_that_can_save_it(client, society, url, role):
    client.force_login(board_seat(society=society, role=role))
    response = client.get(url)
    if role in PAGES[url]:
        assert response.status_code == 200, (url, role)
        if url not in LISTS_NEEDING_MORE:
            assert society.name in response.content.decode()
    else:
        assert (response.status_code, response["Location"]) == (302, "/admin/"), (url, role)
        said = [str(message) for message in get_messages(response.wsgi_request)]
        assert any(text.startswith("Only a ") and text.endswith(" may do that.") for text in said), said
        assert client.post(url, {"society": society.pk})["Location"] == "/admin/"


def test_a_society_where_the_role_may_not_act_is_not_in_the_list(client, society):
    other_society = factories.SocietyFactory()
    treasurer = board_seat(society=society, role="treasurer")
    appoint_board_member(society=other_society, user=treasurer, role="secretary")
    client.force_login(treasurer)
    page = client.get("/admin/bank-statements/import/").content.decode()
    assert society.name in page and other_society.name not in page
