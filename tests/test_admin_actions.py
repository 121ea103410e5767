"""The board's actions in the admin: each behind a confirmation that says what will happen,
each only for the roles allowed and only on the board's own society's rows."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group

from capital.errors import CapitalError
from capital.models import AuditEntry, Offer, SocietyRole
from capital.services import BOARD_GROUP, appoint_board_member, close_offer
from investors.applications.services import apply_for_shares
from investors.models import Application, DistributionRun
from shares.models import LedgerEntry
from tests import factories
from tests.test_allocation import apply_and_pay
from tests.test_distribution_runs import seed, with_schedule

Role = SocietyRole.Role
BANK = Application.PaymentMethod.BANK_TRANSFER


def seat(society, role):
    user = factories.UserFactory()
    appoint_board_member(society=society, user=user, role=role)
    return user


@pytest.fixture
def closed_offer(open_offer):
    """A closed first-come offer with two paid applications and one unpaid."""
    apply_and_pay(open_offer, 600)
    apply_and_pay(open_offer, 400)
    apply_for_shares(offer=open_offer, holder=factories.HolderFactory(), payment_method=BANK, shares=50)
    return close_offer(offer=open_offer)


def refused(response) -> bool:
    """The admin answers a permission it refuses with a redirect to its dashboard (or a 403)."""
    return response.status_code == 403 or (response.status_code == 302 and response["Location"] == "/admin/")


def action_url(model, name, pk):
    return f"/admin/{model}/action/{name}/{pk}/"


def test_a_director_allocates_after_reading_what_will_happen(client, closed_offer):
    director = seat(closed_offer.society, Role.DIRECTOR)
    client.force_login(director)
    inspect = client.get(f"/admin/offer/inspect/{closed_offer.pk}/").content.decode()
    url = action_url("offer", "allocate", closed_offer.pk)
    assert url in inspect

    page = client.get(url).content.decode()
    assert "1,000 shares (£1,000.00) will be issued to 2 applicants" in page
    assert "1 unpaid application will be cancelled" in page
    assert LedgerEntry.objects.count() == 0, "the confirmation page changes nothing"

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == f"/admin/offer/inspect/{closed_offer.pk}/"
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.ALLOCATED and LedgerEntry.objects.count() == 2
    assert AuditEntry.objects.filter(action="offer.allocated", actor=director).exists()


def test_the_preview_says_when_the_offer_will_fail(client, open_offer):
    apply_and_pay(open_offer, 10)
    close_offer(offer=open_offer)
    client.force_login(seat(open_offer.society, Role.DIRECTOR))
    page = client.get(action_url("offer", "allocate", open_offer.pk)).content.decode()
    assert "below the minimum target" in page and "the offer fails" in page


def test_only_a_director_may_allocate(client, closed_offer):
    secretary = seat(closed_offer.society, Role.SECRETARY)
    client.force_login(secretary)
    url = action_url("offer", "allocate", closed_offer.pk)
    assert url not in client.get(f"/admin/offer/inspect/{closed_offer.pk}/").content.decode()
    for response in (client.get(url), client.post(url)):
        assert refused(response)
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.CLOSED


def test_another_society_board_investors_and_visitors_cannot_act(client, closed_offer):
    url = action_url("offer", "allocate", closed_offer.pk)
    response = client.post(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(factories.UserFactory())  # an investor
    assert client.post(url).status_code in (302, 403)
    client.force_login(seat(factories.SocietyFactory(), Role.DIRECTOR))
    assert client.post(url).status_code == 404
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.CLOSED


def test_an_action_that_no_longer_applies_changes_nothing(client, closed_offer):
    client.force_login(seat(closed_offer.society, Role.DIRECTOR))
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
    client.force_login(seat(offer.society, Role.SECRETARY))
    response = client.post(action_url("offer", "open", offer.pk))
    assert response.status_code == 200 and "closing time has passed" in response.content.decode()
    offer.refresh_from_db()
    assert offer.state == Offer.State.DRAFT


def test_a_secretary_opens_and_closes_an_offer(client, community_class):
    offer = factories.OpenOfferFactory(share_class=community_class, state=Offer.State.DRAFT)
    client.force_login(seat(offer.society, Role.SECRETARY))
    assert client.post(action_url("offer", "open", offer.pk)).status_code == 302
    offer.refresh_from_db()
    assert offer.state == Offer.State.OPEN
    assert "stops taking applications" in client.get(action_url("offer", "close", offer.pk)).content.decode()
    assert client.post(action_url("offer", "close", offer.pk)).status_code == 302
    offer.refresh_from_db()
    assert offer.state == Offer.State.CLOSED


def test_a_treasurer_records_a_bank_payment_once(client, open_offer):
    application = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method=BANK, shares=300
    )
    client.force_login(seat(open_offer.society, Role.TREASURER))
    url = action_url("application", "bank-payment", application.pk)
    page = client.get(url).content.decode()
    assert application.payment_reference in page and 'value="300.00"' in page

    response = client.post(
        url, {"amount": "300.00", "bank_reference": "LINE-77", "received_on": "2026-11-20"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.PAID and application.payments.count() == 1

    other = apply_for_shares(
        offer=open_offer, holder=factories.HolderFactory(), payment_method=BANK, shares=10
    )
    response = client.post(
        action_url("application", "bank-payment", other.pk),
        {"amount": "10.00", "bank_reference": "LINE-77", "received_on": "2026-11-20"},
    )
    assert (
        response.status_code == 200
        and "LINE-77 is already recorded for application" in response.content.decode()
    )
    other.refresh_from_db()
    assert other.state == Application.State.AWAITING_PAYMENT


def test_applications_export_holds_only_the_board_society(client, closed_offer):
    other_offer = factories.OpenOfferFactory()
    apply_and_pay(other_offer, 100)
    client.force_login(seat(closed_offer.society, Role.SECRETARY))
    response = client.get("/admin/application/?export=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    ours = set(Application.objects.filter(offer=closed_offer).values_list("payment_reference", flat=True))
    assert {row["Payment reference"] for row in rows} == ours


@pytest.fixture
def profit_class(society, investor_class):
    with_schedule(investor_class, grace_years=0, cap_multiple=D("1.5"))
    seed(investor_class, ("A", "10000"), ("B", "7000"))
    return investor_class


def test_a_run_is_started_read_approved_by_a_director_and_paid_by_the_treasurer(client, profit_class):
    society = profit_class.society
    treasurer, director = seat(society, Role.TREASURER), seat(society, Role.DIRECTOR)
    client.force_login(treasurer)
    response = client.post(
        "/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "40000"}
    )
    run = DistributionRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/distributionrun/inspect/{run.pk}/"
    approve = action_url("distributionrun", "approve", run.pk)
    assert refused(client.get(approve)), "a treasurer does not approve"

    client.force_login(director)
    page = client.get(approve).content.decode()
    assert "Pool £10,000.00: £10,000.00 paid to 2 of 2 holdings" in page
    assert client.post(approve).status_code == 302
    run.refresh_from_db()
    assert run.state == DistributionRun.State.APPROVED

    client.force_login(treasurer)
    payment_file = client.get(f"/admin/runs/{run.pk}/payment-file/")
    amounts = [D(row["amount"]) for row in csv.DictReader(io.StringIO(payment_file.content.decode()))]
    assert payment_file.status_code == 200 and sum(amounts) == D("10000.00") and len(amounts) == 2
    paid = client.post(action_url("distributionrun", "mark-paid", run.pk), {"paid_on": "2026-11-20"})
    assert paid.status_code == 302
    run.refresh_from_db()
    assert run.state == DistributionRun.State.PAID and run.paid_on == datetime.date(2026, 11, 20)


def test_a_run_form_refusal_is_shown_and_nothing_is_made(client, profit_class):
    client.force_login(seat(profit_class.society, Role.TREASURER))
    response = client.post(
        "/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "declared_rate_percent": "3"}
    )
    assert response.status_code == 200 and "declare the surplus" in response.content.decode()
    assert DistributionRun.objects.count() == 0


def test_another_society_cannot_see_or_pay_a_run(client, profit_class):
    director = seat(profit_class.society, Role.DIRECTOR)
    client.force_login(director)
    client.post("/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "40000"})
    run = DistributionRun.objects.get()
    client.force_login(seat(factories.SocietyFactory(), Role.DIRECTOR))
    assert client.get(f"/admin/distributionrun/inspect/{run.pk}/").status_code == 404
    assert client.post(action_url("distributionrun", "approve", run.pk)).status_code == 404
    assert client.get(f"/admin/runs/{run.pk}/payment-file/").status_code == 404
    response = client.post("/admin/runs/start/", {"share_class": profit_class.pk, "year": 1, "surplus": "1"})
    assert "valid choice" in response.content.decode()
    run.refresh_from_db()
    assert run.state == DistributionRun.State.DRAFT and run.surplus.amount == D("40000")


def test_the_register_page_verifies_and_downloads_for_the_board_only(client, profit_class):
    society = profit_class.society
    client.force_login(seat(society, Role.SECRETARY))
    page = client.post("/admin/register/", {"society": society.slug}).content.decode()
    head = LedgerEntry.objects.filter(society=society).order_by("-sequence").first()
    assert "The register checks out: 2 entries" in page and f"2:{head.entry_hash}" in page

    register = client.get(f"/admin/register/{society.slug}/register.csv")
    assert register.status_code == 200 and "A" in register.content.decode()
    ledger = client.get(f"/admin/register/{society.slug}/ledger.csv").content.decode()
    assert head.entry_hash in ledger
    pdf = client.get(f"/admin/register/{society.slug}/register.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    client.force_login(seat(factories.SocietyFactory(), Role.DIRECTOR))
    for url in ("register.csv", "register.pdf", "ledger.csv"):
        assert client.get(f"/admin/register/{society.slug}/{url}").status_code == 404
    assert client.post("/admin/register/", {"society": society.slug}).status_code == 404


def test_board_seats_are_appointed_by_email_and_the_last_director_stays(client, society):
    director = seat(society, Role.DIRECTOR)
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
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(factories.UserFactory())
    response = client.get(url)
    assert response.status_code in (302, 403) and society.name not in response.content.decode()


def test_a_secretary_cannot_appoint_anyone_least_of_all_themselves_a_director(client, society):
    secretary = seat(society, Role.SECRETARY)
    client.force_login(secretary)
    response = client.post(
        "/admin/board/appoint/", {"society": society.pk, "email": secretary.email, "role": "director"}
    )
    assert response.status_code in (200, 302) and "valid choice" in response.content.decode()
    assert not SocietyRole.objects.filter(user=secretary, role=Role.DIRECTOR).exists()
    with pytest.raises(CapitalError, match="Only a director"):
        appoint_board_member(society=society, user=secretary, role=Role.DIRECTOR, by=secretary)


def test_every_board_role_opens_the_lists_its_menu_leads_to(client, society):
    for role in Role:
        client.force_login(seat(society, role))
        for url in ("/admin/distributionrun/", "/admin/withdrawalrequest/", "/admin/societyrole/"):
            assert client.get(url).status_code == 200, (role, url)
