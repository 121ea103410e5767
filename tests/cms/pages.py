"""Building the public site's pages in tests, and reading them as a visitor does."""

import datetime
import re
from decimal import Decimal
from html import unescape

from django.utils import timezone

from capital.models import ReturnSchedule
from cms.models import HomePage, OfferPage, SocietyPage


def home_page() -> HomePage:
    return HomePage.objects.get()


def add_society_page(society, **fields) -> SocietyPage:
    return home_page().add_child(
        instance=SocietyPage(title=society.name, slug=society.slug, society=society, **fields)
    )


def add_offer_page(society_page, offer, **fields) -> OfferPage:
    return society_page.add_child(
        instance=OfferPage(title=offer.title, slug=f"offer-{offer.pk}", offer=offer, **fields)
    )


def add_schedule(share_class, **terms) -> ReturnSchedule:
    defaults = {
        "first_year_end": next_march_31(timezone.localdate() + datetime.timedelta(days=40)),
        "pool_percent": Decimal("25.00"),
        "grace_years": 1,
        "rate_ceiling_percent": Decimal("7.00"),
        "cap_multiple": Decimal("1.50"),
        "term_years": 12,
        "redeem_at_term_end": True,
    }
    return ReturnSchedule.objects.create(share_class=share_class, **{**defaults, **terms})


def next_march_31(after: datetime.date) -> datetime.date:
    candidate = datetime.date(after.year, 3, 31)
    return candidate if candidate >= after else datetime.date(after.year + 1, 3, 31)


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words with tags removed and spaces collapsed, as a reader meets them."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
