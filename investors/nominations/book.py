"""The nominations book as a PDF: every nomination the society has recorded, in force first,
with its nominees and their shares, through the register's PDF renderer."""

from django.utils import timezone

from capital.models import Society
from capital.money import format_money
from investors.models.nominations import STATUTORY_NOMINATION_LIMIT
from investors.nominations.services import nominations_book
from shares.documents import render_pdf, society_logo_uri


def nominations_book_pdf(society: Society) -> bytes:
    return render_pdf(
        "pdf/nominations_book.html",
        {
            "society": society,
            "logo": society_logo_uri(society),
            "nominations": list(nominations_book(society)),
            "limit": format_money(society.money(STATUTORY_NOMINATION_LIMIT)),
            "issued_on": timezone.localdate(),
        },
    )
