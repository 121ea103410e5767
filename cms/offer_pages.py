"""An offer and its page go together: a new offer gets its page as a draft under its society's
page, an offer opens only once that page is published with its offer document, and a page is
never copied into a second page for the same offer."""

from django.utils.text import slugify

from capital.models import Offer
from cms.models import OfferPage, SocietyPage


def make_draft_page(offer: Offer) -> OfferPage | None:
    """Called as the offer is created: its page, a draft for the board to write and publish.
    None when the society has no page yet (opening will say so)."""
    parent = SocietyPage.objects.filter(society_id=offer.share_class.society_id).first()
    if parent is None or OfferPage.objects.filter(offer=offer).exists():
        return None
    page = OfferPage(title=offer.title, slug=_free_slug(parent, offer.title), offer=offer, live=False)
    parent.add_child(instance=page)
    page.save_revision()
    return page


def _free_slug(parent, title: str) -> str:
    base = slugify(title)[:60] or "offer"
    taken = set(parent.get_children().values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def missing_for_opening(offer: Offer) -> str:
    """What the offer still needs on the site before it opens, in words; "" when nothing."""
    page = OfferPage.objects.filter(offer=offer).first()
    missing = []
    if page is None or not page.live:
        missing.append(
            f"“{offer.title}” has no published offer page: publish its page under the society's page "
            "(Pages in the admin) before opening."
        )
    if page is None or page.offer_document_id is None:
        missing.append(
            f"“{offer.title}” has no offer document: upload it on the offer's page "
            "(Offer document) and publish the page before opening."
        )
    return " ".join(missing)


COPY_REFUSED = (
    "An offer page stands for one offer, and each offer has one page: create the new offer in "
    "Capital → Offers and its page is made for you."
)
