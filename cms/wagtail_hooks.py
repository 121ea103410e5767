"""The page editor's rules for pages that stand for a society or an offer."""

from django.contrib import messages
from django.shortcuts import redirect
from wagtail import hooks

from cms.models import OfferPage, SocietyPage
from cms.offer_pages import COPY_REFUSED

SOCIETY_COPY_REFUSED = (
    "A society page stands for one society, and each society has one page (with its offers' pages "
    "under it): it cannot be copied."
)


@hooks.register("before_copy_page")
def refuse_copying_pages_tied_to_one_row(request, page):
    """Copying would make a second page for the same offer or society, which the database refuses."""
    refusal = {OfferPage: COPY_REFUSED, SocietyPage: SOCIETY_COPY_REFUSED}.get(page.specific_class)
    if refusal is None:
        return None
    messages.error(request, refusal)
    return redirect("wagtailadmin_explore", page.get_parent().pk)
