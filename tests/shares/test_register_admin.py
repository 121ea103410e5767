"""The register page in the board's admin: verify it, download it, for the society's board only."""

from capital.models import SocietyRole
from shares.models import LedgerEntry
from tests import factories
from tests.builders import board_seat

Role = SocietyRole.Role


def test_the_register_page_verifies_and_downloads_for_the_board_only(
    client, profit_class, django_capture_on_commit_callbacks
):
    society = profit_class.society
    client.force_login(board_seat(society=society, role=Role.SECRETARY))
    page = client.post("/admin/register/", {"society": society.slug}).content.decode()
    head = LedgerEntry.objects.filter(society=society).order_by("-sequence").first()
    assert "The register checks out: 2 entries" in page and f"2:{head.entry_hash}" in page

    register = client.get(f"/admin/register/{society.slug}/register.csv")
    assert register.status_code == 200 and "A" in register.content.decode()
    ledger = client.get(f"/admin/register/{society.slug}/ledger.csv")
    assert head.entry_hash in ledger.content.decode()
    for download in (register, ledger):  # as Excel opens them: UTF-8, by the byte-order mark
        assert download["Content-Type"] == "text/csv; charset=utf-8"
        assert download.content.startswith(b"\xef\xbb\xbf")
    # The PDF is made by a background job (tests/investors/documents/test_register_pdf_job.py).
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(f"/admin/register/{society.slug}/register.pdf")
    assert started.status_code == 302
    pdf = client.get(started["Location"] + "register.pdf")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")

    client.force_login(board_seat(society=factories.SocietyFactory(), role=Role.DIRECTOR))
    for url in ("register.csv", "register.pdf", "ledger.csv"):
        assert client.get(f"/admin/register/{society.slug}/{url}").status_code == 404
    assert client.post(f"/admin/register/{society.slug}/register.pdf").status_code == 404
    assert client.get(started["Location"]).status_code == 404
    assert client.post("/admin/register/", {"society": society.slug}).status_code == 404
