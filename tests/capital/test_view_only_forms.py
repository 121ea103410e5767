"""A board role is offered only the forms it may save: a treasurer reads the society, its share
classes, offers and return schedules, with no "Edit" or "Add" link and no form that would be
refused on saving; the roles that may save them get the forms."""

import pytest

from capital.models import Society
from governance.models import GovernanceRules
from tests import factories
from tests.builders import board_seat, surplus_rules, with_schedule

pytestmark = pytest.mark.django_db

# Each admin form, and the roles that may save it (capital.permissions.ACTION_ROLES).
FORMS = {
    "society": {"director", "secretary"},
    "shareclass": {"director", "secretary"},
    "returnschedule": {"director", "secretary"},
    "offer": {"director", "secretary"},
    "surplusrules": {"director"},
    "governancerules": {"director", "secretary"},
}
ROLES = ["director", "secretary", "treasurer"]


@pytest.fixture
def rows():
    offer = factories.OpenOfferFactory()
    society = offer.society
    investor_shares = with_schedule(share_class=factories.InvestorClassFactory(society=society))
    return {
        "society": society,
        "shareclass": offer.share_class,
        "returnschedule": investor_shares.return_schedule,
        "offer": offer,
        "surplusrules": surplus_rules(society=society),
        "governancerules": GovernanceRules.objects.create(society=society),
    }


def society_of(rows) -> Society:
    return rows["society"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(FORMS))
def test_the_list_links_to_the_form_and_offers_to_add_only_for_a_role_that_may_save(
    client, rows, model, role
):
    client.force_login(board_seat(society=society_of(rows), role=role))
    row = rows[model]

    listing = client.get(f"/admin/{model}/").content.decode()

    may_save = role in FORMS[model]
    assert (f"/admin/{model}/edit/{row.pk}/" in listing) is may_save
    if model != "society":  # societies are registered by the platform, never added by a board
        assert (f'href="/admin/{model}/new/"' in listing) is may_save


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", [name for name in FORMS if name != "governancerules"])
def test_the_row_to_read_offers_edit_only_to_a_role_that_may_save(client, rows, model, role):
    client.force_login(board_seat(society=society_of(rows), role=role))
    row = rows[model]

    response = client.get(f"/admin/{model}/inspect/{row.pk}/")

    assert response.status_code == 200
    assert (f"/admin/{model}/edit/{row.pk}/" in response.content.decode()) is (role in FORMS[model])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(FORMS))
def test_the_edit_form_opens_only_for_a_role_that_may_save_it(client, rows, model, role):
    client.force_login(board_seat(society=society_of(rows), role=role))
    row = rows[model]

    response = client.get(f"/admin/{model}/edit/{row.pk}/")

    if role in FORMS[model]:
        assert response.status_code == 200
        assert "form" in response.context
    else:  # sent to read the row (or the list, where the row has no page of its own)
        assert response.status_code == 302
        expected = f"/admin/{model}/" if model == "governancerules" else f"/admin/{model}/inspect/{row.pk}/"
        assert response["Location"] == expected


def test_a_treasurer_is_told_who_may_change_the_society_and_it_stays_as_it_was(client, rows):
    society = society_of(rows)
    client.force_login(board_seat(society=society, role="treasurer"))

    response = client.post(f"/admin/society/edit/{society.pk}/", {"name": "Renamed"}, follow=True)

    assert response.redirect_chain == [(f"/admin/society/inspect/{society.pk}/", 302)]
    assert "Only a director or secretary may change this" in response.content.decode()
    society.refresh_from_db()
    assert society.name != "Renamed"
    assert not society.audit_entries.filter(action="society.changed").exists()


def test_a_treasurer_gets_no_form_to_add_a_share_class(client, rows):
    client.force_login(board_seat(society=society_of(rows), role="treasurer"))

    response = client.get("/admin/shareclass/new/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/shareclass/"


def test_the_add_form_offers_only_the_societies_where_the_role_may_save(client, rows):
    other = factories.SocietyFactory()
    user = board_seat(society=society_of(rows), role="secretary")
    factories.SocietyRoleFactory(society=other, user=user, role="treasurer")
    client.force_login(user)

    form = client.get("/admin/shareclass/new/").context["form"]

    assert list(form.fields["society"].queryset) == [society_of(rows)]
