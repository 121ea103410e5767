"""The board's admin: each board sees and changes only its own society."""

import pytest

from capital.models import Offer, ShareClass
from investors.models import Application
from shares.models import Holding, LedgerEntry
from tests import factories
from tests.admin_pages import refused, sent_to_log_in, sent_to_their_dashboard
from tests.builders import board_seat, close_and_allocate, paid_application

OBJECT_VIEWS = ["edit", "inspect", "history", "usage", "copy", "delete"]


@pytest.fixture
def two_boards(db):
    """Two societies, each with a director and an allocated offer."""
    boards = []
    for _ in range(2):
        offer = factories.OpenOfferFactory()
        director = board_seat(society=offer.society, role="director")
        paid_application(offer=offer, shares=1000)
        close_and_allocate(offer=offer)
        boards.append((offer, director))
    return boards


def rows_of(offer):
    society = offer.society
    return {
        "society": society,
        "shareclass": offer.share_class,
        "offer": offer,
        "ledgerentry": LedgerEntry.objects.get(society=society),
        "holding": Holding.objects.get(share_class__society=society),
        "holder": Holding.objects.get(share_class__society=society).holder,
        "application": Application.objects.get(offer=offer),
        "auditentry": society.audit_entries.first(),
        "certificate": society.certificates.first(),
    }


def test_a_board_lists_only_its_own_society(client, two_boards):
    (ours, director), (theirs, _) = two_boards
    client.force_login(director)
    for name, row in rows_of(ours).items():
        response = client.get(f"/admin/{name}/")
        assert response.status_code == 200, name
        html = response.content.decode()
        assert f"/admin/{name}/inspect/{row.pk}/" in html, name
        assert f"/admin/{name}/inspect/{rows_of(theirs)[name].pk}/" not in html, name


@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_another_society_rows_are_not_found_by_address(client, two_boards, view):
    (_, director), (theirs, _) = two_boards
    client.force_login(director)
    for name, row in rows_of(theirs).items():
        response = client.get(f"/admin/{name}/{view}/{row.pk}/")
        # A row outside the board's societies does not exist for it, on every view: even the
        # edit page of a row nobody edits here (which refuses the board's own rows) says 404.
        assert response.status_code == 404, (name, view, response.status_code)


def test_a_board_inspects_its_own_rows(client, two_boards):
    (ours, director), _ = two_boards
    client.force_login(director)
    for name, row in rows_of(ours).items():
        assert client.get(f"/admin/{name}/inspect/{row.pk}/").status_code == 200, name


def test_the_register_and_applications_cannot_be_edited_in_the_admin(client, two_boards):
    (ours, director), _ = two_boards
    client.force_login(director)
    rows = rows_of(ours)
    for name in ("ledgerentry", "holding", "holder", "application", "auditentry"):
        assert refused(client.get(f"/admin/{name}/edit/{rows[name].pk}/")), name
        assert refused(client.get(f"/admin/{name}/new/")), name


@pytest.mark.parametrize("url", ["/admin/offer/", "/admin/offer/edit/1/", "/admin/ledgerentry/"])
def test_investors_and_anonymous_visitors_are_kept_out(client, two_boards, url):
    assert sent_to_log_in(client.get(url))
    client.force_login(factories.UserFactory())  # an investor: to their own pages
    assert sent_to_their_dashboard(client.get(url))


def share_class_form(society, **rights):
    data = {
        "society": society.pk,
        "name": "Patient capital shares",
        "kind": "investor",
        "nominal_value_0": "1.00",
        "nominal_value_1": "GBP",
        "membership_minimum_shares": "1",
        "withdrawal_notice_days": "90",
    }
    data.update(dict.fromkeys(rights, "on"))
    return data


def test_admin_form_refuses_an_investor_class_with_votes_and_saves_nothing(client, two_boards):
    (ours, director), _ = two_boards
    client.force_login(director)
    response = client.post(
        "/admin/shareclass/new/", share_class_form(ours.society, confers_membership=True, carries_votes=True)
    )
    assert response.status_code == 200
    assert "never gives control" in response.content.decode()
    assert not ShareClass.objects.filter(name="Patient capital shares").exists()


def test_admin_form_creates_an_investor_class_without_control_through_the_service(client, two_boards):
    (ours, director), _ = two_boards
    client.force_login(director)
    response = client.post("/admin/shareclass/new/", share_class_form(ours.society))
    assert response.status_code == 302
    created = ShareClass.objects.get(name="Patient capital shares")
    assert created.society == ours.society
    assert ours.society.audit_entries.filter(action="share_class.created", actor=director).exists()


def test_admin_form_will_not_create_a_class_in_another_society(client, two_boards):
    (_, director), (theirs, _) = two_boards
    client.force_login(director)
    response = client.post("/admin/shareclass/new/", share_class_form(theirs.society))
    assert response.status_code == 200
    assert not ShareClass.objects.filter(name="Patient capital shares").exists()


def test_an_open_offer_terms_cannot_be_changed_in_the_admin(client, db):
    offer = factories.OpenOfferFactory()
    director = board_seat(society=offer.society, role="director")
    client.force_login(director)
    form = client.get(f"/admin/offer/edit/{offer.pk}/").context["form"]
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        {
            "share_class": offer.share_class_id,
            "opens_at": offer.opens_at.strftime("%Y-%m-%d %H:%M"),
            "closes_at": offer.closes_at.strftime("%Y-%m-%d %H:%M"),
            "maximum_target_0": "99999.00",
            "maximum_target_1": "GBP",
        }
    )
    for name in ("price_per_share", "minimum_target", "minimum_per_investor", "maximum_per_investor"):
        data[f"{name}_0"], data[f"{name}_1"] = str(getattr(offer, name).amount), "GBP"
    data["reservation_period"] = "7 00:00:00"
    response = client.post(f"/admin/offer/edit/{offer.pk}/", data)
    assert "cannot change once it has opened" in response.content.decode()
    assert Offer.objects.get(pk=offer.pk).maximum_target == offer.maximum_target


@pytest.mark.parametrize("name", ["offer", "shareclass", "society"])
def test_there_is_no_copy_view_that_could_save_over_a_row(client, two_boards, name):
    (ours, director), _ = two_boards
    client.force_login(director)
    row = rows_of(ours)[name]
    assert client.post(f"/admin/{name}/copy/{row.pk}/", {"title": "x", "name": "x"}).status_code == 404


def test_society_edits_go_through_the_service_and_a_treasurer_cannot_make_them(client, two_boards):
    (ours, _), _ = two_boards
    treasurer = board_seat(society=ours.society, role="treasurer")
    client.force_login(treasurer)
    data = {
        "name": "Renamed",
        "slug": ours.society.slug,
        "legal_form": "cbs",
        "registration_number": "RS1",
        "registered_office": "Here",
        "financial_year_end_day": "31",
        "financial_year_end_month": "3",
        "currency": "GBP",
        "individual_withdrawable_limit": "100000.00",
        "minimum_member_age": "16",
    }
    response = client.post(f"/admin/society/edit/{ours.society.pk}/", data, follow=True)
    assert "Only a director or secretary may change this" in response.content.decode()
    ours.society.refresh_from_db()
    assert ours.society.name != "Renamed"
