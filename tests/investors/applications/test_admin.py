"""Applications in the board's admin: "Allocate" on capital's offer admin (added through its
registry), a bank payment the treasurer records, the applications export."""

import csv
import io

from capital.models import AuditEntry, Offer, SocietyRole
from capital.services import close_offer
from investors.models import Application
from shares.models import LedgerEntry
from tests import factories
from tests.admin_pages import action_url, refused, sent_to_log_in, sent_to_their_dashboard
from tests.builders import board_seat, paid_application, unpaid_application

Role = SocietyRole.Role


def test_a_director_allocates_after_reading_what_will_happen(client, closed_offer):
    director = board_seat(society=closed_offer.society, role=Role.DIRECTOR)
    client.force_login(director)
    inspect = client.get(f"/admin/offer/inspect/{closed_offer.pk}/").content.decode()
    url = action_url("offer", "allocate", closed_offer.pk)
    assert url in inspect

    page = client.get(url).content.decode()
    assert "1,000 shares (£1,000.00) will be issued to 2 applicants" in page
    assert "1 unpaid application may still be paid" in page  # applied today: its time runs on
    assert "0 unpaid applications will be cancelled" in page
    assert LedgerEntry.objects.count() == 0, "the confirmation page changes nothing"

    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == f"/admin/offer/inspect/{closed_offer.pk}/"
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.ALLOCATED and LedgerEntry.objects.count() == 2
    assert AuditEntry.objects.filter(action="offer.allocated", actor=director).exists()


def test_the_preview_says_when_the_offer_will_fail(client, open_offer):
    paid_application(offer=open_offer, shares=10)
    close_offer(offer=open_offer)
    client.force_login(board_seat(society=open_offer.society, role=Role.DIRECTOR))
    page = client.get(action_url("offer", "allocate", open_offer.pk)).content.decode()
    assert "below the minimum target" in page and "the offer fails" in page


def test_only_a_director_may_allocate(client, closed_offer):
    secretary = board_seat(society=closed_offer.society, role=Role.SECRETARY)
    client.force_login(secretary)
    url = action_url("offer", "allocate", closed_offer.pk)
    assert url not in client.get(f"/admin/offer/inspect/{closed_offer.pk}/").content.decode()
    for response in (client.get(url), client.post(url)):
        assert refused(response)
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.CLOSED


def test_another_society_board_investors_and_visitors_cannot_act(client, closed_offer):
    url = action_url("offer", "allocate", closed_offer.pk)
    assert sent_to_log_in(client.post(url))
    client.force_login(factories.UserFactory())  # an investor
    assert sent_to_their_dashboard(client.post(url))
    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    assert client.post(url).status_code == 404
    closed_offer.refresh_from_db()
    assert closed_offer.state == Offer.State.CLOSED


def test_a_treasurer_records_a_bank_payment_once(client, open_offer):
    application = unpaid_application(offer=open_offer, shares=300)
    client.force_login(board_seat(society=open_offer.society, role=Role.TREASURER))
    url = action_url("application", "bank-payment", application.pk)
    page = client.get(url).content.decode()
    assert application.payment_reference in page and 'value="300.00"' in page

    response = client.post(
        url, {"amount": "300.00", "bank_reference": "LINE-77", "received_on": "2026-11-20"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.PAID and application.payments.count() == 1

    other = unpaid_application(offer=open_offer, shares=10)
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
    paid_application(offer=other_offer, shares=100)
    client.force_login(board_seat(society=closed_offer.society, role=Role.SECRETARY))
    response = client.get("/admin/application/?export=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    ours = set(Application.objects.filter(offer=closed_offer).values_list("payment_reference", flat=True))
    assert {row["Payment reference"] for row in rows} == ours


def test_applications_export_writes_a_holder_name_as_text_not_a_formula(client, open_offer):
    holder = factories.HolderFactory(name="=cmd|'/c calc'!A1")
    paid_application(offer=open_offer, shares=10, holder=holder)
    client.force_login(board_seat(society=open_offer.society, role=Role.SECRETARY))
    response = client.get("/admin/application/?export=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row["Holder"] for row in rows] == ["'" + str(holder)]


def test_applications_export_opens_in_a_spreadsheet_as_utf8(client, open_offer):
    """Excel reads a CSV as UTF-8 only behind a byte-order mark; the header says so too."""
    holder = factories.HolderFactory(name="Zoë Brontë")
    paid_application(offer=open_offer, shares=10, holder=holder)
    client.force_login(board_seat(society=open_offer.society, role=Role.SECRETARY))
    response = client.get("/admin/application/?export=csv")
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["Holder"] for row in rows] == ["Zoë Brontë"]
