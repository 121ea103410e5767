"""The certificate PDF: its text, its QR target, and who may download it."""

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from capital.services import appoint_board_member
from shares.documents import StaticOnlyFetcher, certificate_pdf
from shares.models import Certificate
from shares.services.register import issue_shares
from tests import factories
from tests.factories import gbp


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def certificate(investor_class):
    holder = factories.HolderFactory(name="Alice Moss", user=factories.UserFactory())
    issue_shares(
        society=investor_class.society,
        holder=holder,
        share_class=investor_class,
        shares=2500,
        amount=gbp(2500),
    )
    return Certificate.objects.select_related("society", "share_class", "holder", "ledger_entry").get()


def test_the_certificate_states_the_holding_the_rights_and_how_to_check_it(certificate, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://shares.example.coop"
    data = certificate_pdf(certificate)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(pdf_text(data).split())
    for expected in (
        certificate.society.name,
        f"Registered number {certificate.society.registration_number}",
        f"Certificate No. {certificate.number}",
        "Alice Moss",
        "2500 Investor shares",
        "£1.00 each, fully paid",
        "no vote and no control right",
        "Director Director Secretary",
        f"https://shares.example.coop/verify/{certificate.verification_token}/",
    ):
        assert expected in text, expected
    assert certificate.entry_hash in text.replace(" ", "")


def test_a_member_class_certificate_says_one_member_one_vote(community_class, holder):
    issue_shares(
        society=community_class.society, holder=holder, share_class=community_class, shares=10, amount=gbp(10)
    )
    text = " ".join(pdf_text(certificate_pdf(Certificate.objects.get())).split())
    assert "one vote however many shares are held" in text and "no control right" not in text


def test_documents_fetch_nothing_but_our_static_files():
    fetcher = StaticOnlyFetcher()
    for url in ("https://example.org/logo.png", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="only use our static files"):
            fetcher.fetch(url)


def test_a_document_asking_for_a_remote_image_fails_instead_of_printing_a_gap():
    html = HTML(string='<p>Logo: <img src="https://example.org/x.png"></p>', url_fetcher=StaticOnlyFetcher())
    with pytest.raises(FatalURLFetchingError, match="example.org"):
        html.write_pdf()


def test_the_command_writes_one_certificate(certificate, tmp_path):
    out = tmp_path / "certificate.pdf"
    call_command(
        "certificate_pdf", certificate.society.slug, str(certificate.number), str(out), stdout=io.StringIO()
    )
    assert "Alice Moss" in pdf_text(out.read_bytes())


def url(certificate):
    return f"/documents/certificates/{certificate.society.slug}/{certificate.number}.pdf"


def test_the_holder_and_the_board_download_it(client, certificate):
    client.force_login(certificate.holder.user)
    response = client.get(url(certificate))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "Alice Moss" in pdf_text(response.content)
    secretary = factories.UserFactory()
    appoint_board_member(society=certificate.society, user=secretary, role="secretary")
    client.force_login(secretary)
    assert client.get(url(certificate)).status_code == 200


def test_other_investors_other_boards_and_visitors_cannot(client, certificate):
    assert client.get(url(certificate)).status_code == 302  # to the login page
    client.force_login(factories.UserFactory())
    assert client.get(url(certificate)).status_code == 404
    other_director = factories.UserFactory()
    appoint_board_member(society=factories.SocietyFactory(), user=other_director, role="director")
    client.force_login(other_director)
    assert client.get(url(certificate)).status_code == 404
    assert client.get(f"/documents/certificates/{certificate.society.slug}/999.pdf").status_code == 404
