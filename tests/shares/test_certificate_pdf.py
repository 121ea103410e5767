"""The certificate PDF: its text, its QR target, and who may download it."""

import base64
import io
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from django.core.management import call_command
from PIL import Image as PillowImage
from pypdf import PdfReader
from wagtail.images.models import Image
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from shares.documents import StaticOnlyFetcher, certificate_pdf, society_logo_uri, static_file_uri
from shares.models import Certificate
from shares.services.register import issue_shares
from tests import factories
from tests.builders import board_seat, pdf_text
from tests.factories import gbp


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


def test_an_encoded_way_out_of_the_static_files_is_refused_and_a_static_file_still_served():
    static = Path(static_file_uri("css/site.css").removeprefix("file://")).parent
    fetcher = StaticOnlyFetcher()
    for url in (
        f"file://{static}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"file://{static}/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "file://elsewhere/etc/passwd",
    ):
        with pytest.raises(ValueError, match="only use our static files"):
            fetcher.fetch(url)
    served = fetcher.fetch(static_file_uri("css/site.css"))
    assert served.read().strip()


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
    secretary = board_seat(society=certificate.society, role="secretary")
    client.force_login(secretary)
    assert client.get(url(certificate)).status_code == 200


def test_other_investors_other_boards_and_visitors_cannot(client, certificate):
    assert client.get(url(certificate)).status_code == 302  # to the login page
    client.force_login(factories.UserFactory())
    assert client.get(url(certificate)).status_code == 404
    other_director = board_seat(society=factories.SocietyFactory(), role="director")
    client.force_login(other_director)
    assert client.get(url(certificate)).status_code == 404
    assert client.get(f"/documents/certificates/{certificate.society.slug}/999.pdf").status_code == 404


# --- The society's logo ----------------------------------------------------------------------------


def stored_logo(kind="PNG", size=(600, 200)) -> Image:
    picture = PillowImage.new("RGB", size, (47, 93, 58))
    buffer = io.BytesIO()
    picture.save(buffer, format=kind)
    return Image.objects.create(title="Logo", file=ImageFile(buffer, name=f"logo.{kind.lower()}"))


def test_the_certificate_shows_the_societys_logo_and_still_fits_one_page(certificate):
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(certificate_pdf(certificate))).pages) == 0
    certificate.society.logo = stored_logo()
    certificate.society.save()
    reader = PdfReader(io.BytesIO(certificate_pdf(certificate)))
    assert len(reader.pages) == 1
    (image,) = reader.pages[0].images
    assert image.image.size == (600, 200)
    assert "Alice Moss" in pdf_text(certificate_pdf(certificate))


def test_the_logo_is_read_through_its_storage_as_png_or_jpeg_only(society):
    assert society_logo_uri(society) is None
    for kind, media_type in (("PNG", "image/png"), ("JPEG", "image/jpeg")):
        society.logo = stored_logo(kind)
        assert society_logo_uri(society).startswith(f"data:{media_type};base64,")
    society.logo = stored_logo("GIF")
    assert society_logo_uri(society) is None


def test_a_very_large_logo_is_made_smaller_before_it_is_embedded(society):
    society.logo = stored_logo(size=(4000, 1000))
    data = base64.b64decode(society_logo_uri(society).split(",", 1)[1])
    assert PillowImage.open(io.BytesIO(data)).size == (1200, 300)


def test_a_broken_or_missing_logo_file_leaves_the_logo_out(certificate):
    logo = stored_logo()
    certificate.society.logo = logo
    certificate.society.save()
    with open(logo.file.path, "r+b") as stored:
        stored.truncate(logo.file.size // 2)  # a PNG cut short: its header is fine, its pixels are not
    assert society_logo_uri(certificate.society) is None
    jpeg = stored_logo("JPEG")
    with open(jpeg.file.path, "r+b") as stored:
        stored.truncate(jpeg.file.size - 10)
    assert society_logo_uri(factories.SocietyFactory(logo=jpeg)) is None
    reader = PdfReader(io.BytesIO(certificate_pdf(certificate)))
    assert len(reader.pages) == 1 and not reader.pages[0].images
    logo.file.storage.delete(logo.file.name)
    assert society_logo_uri(certificate.society) is None
    assert "Alice Moss" in pdf_text(certificate_pdf(certificate))
