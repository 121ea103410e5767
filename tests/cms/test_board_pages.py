"""Each society's board edits its own pages and no other society's; an offer's page comes with the
offer and must be published with its offer document before the offer opens."""

import re
from decimal import Decimal as D
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from capital.errors import CapitalError
from capital.models import Offer
from capital.services import open_offer, remove_board_member, save_offer
from cms.models import OfferPage
from tests import factories
from tests.admin_pages import refused
from tests.builders import board_seat, document, ready_to_open
from tests.cms.pages import add_offer_page, add_schedule, add_society_page, html_of, text_of


@pytest.fixture
def two_societies(db):
    pages = []
    for _ in range(2):
        offer = factories.OpenOfferFactory(state=Offer.State.DRAFT)
        society_page = add_society_page(offer.society)
        pages.append((society_page, add_offer_page(society_page, offer)))
    return pages


def edit_url(page) -> str:
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


@pytest.mark.parametrize("role", ["director", "secretary"])
def test_directors_and_secretaries_edit_and_publish_their_own_societys_pages(client, two_societies, role):
    (ours, our_offer), (theirs, their_offer) = two_societies
    member = board_seat(society=ours.society, role=role)
    for page in (ours, our_offer):
        permissions = page.permissions_for_user(member)
        assert permissions.can_edit() and permissions.can_publish(), page
    assert ours.permissions_for_user(member).can_add_subpage()
    for page in (theirs, their_offer):
        assert not page.permissions_for_user(member).can_edit(), page
    client.force_login(member)
    assert client.get(edit_url(our_offer)).status_code == 200
    assert refused(client.get(edit_url(their_offer)))


def test_a_director_publishes_an_edited_offer_page_from_the_editor(client, two_societies):
    (ours, our_offer), _ = two_societies
    client.force_login(board_seat(society=ours.society, role="director"))
    response = client.get(edit_url(our_offer))
    form = response.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"title": "Roofs for all", "slug": our_offer.slug, "action-publish": "publish"})
    data.update({"body-count": "0", "offer_document": document().pk})
    response = client.post(edit_url(our_offer), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    our_offer.refresh_from_db()
    assert our_offer.live and our_offer.title == "Roofs for all" and our_offer.offer_document_id


def test_a_treasurer_sees_the_pages_but_cannot_edit_or_publish(client, two_societies):
    (ours, our_offer), _ = two_societies
    treasurer = board_seat(society=ours.society, role="treasurer")
    permissions = our_offer.permissions_for_user(treasurer)
    assert not permissions.can_edit() and not permissions.can_publish()
    client.force_login(treasurer)
    listing = client.get(reverse("wagtailadmin_explore", args=[ours.pk]))
    assert listing.status_code == 200 and our_offer.title in listing.content.decode()
    assert refused(client.get(edit_url(our_offer)))


def test_a_seat_taken_away_takes_the_pages_with_it(two_societies):
    (ours, our_offer), _ = two_societies
    board_seat(society=ours.society, role="director")  # the society keeps a director
    secretary = board_seat(society=ours.society, role="secretary")
    seat = secretary.society_roles.get()
    remove_board_member(seat=seat)
    secretary = type(secretary).objects.get(pk=secretary.pk)
    assert not our_offer.permissions_for_user(secretary).can_edit()


def test_a_board_appointed_before_its_society_page_existed_can_edit_it(db):
    society = factories.SocietyFactory()
    director = board_seat(society=society, role="director")
    society_page = add_society_page(society)
    assert society_page.permissions_for_user(director).can_publish()


def test_creating_an_offer_creates_its_page_as_a_draft(db):
    share_class = factories.CommunityClassFactory()
    society_page = add_society_page(share_class.society)
    offer = save_offer(
        offer=factories.OpenOfferFactory.build(
            share_class=share_class, state=Offer.State.DRAFT, title="New roof"
        )
    )
    page = OfferPage.objects.get(offer=offer)
    assert (page.title, page.live, page.get_parent().pk) == ("New roof", False, society_page.pk)
    assert page.latest_revision is not None


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda offer: None, "has no published offer page"),
        (lambda offer: add_offer_page(add_society_page(offer.society), offer), "has no offer document"),
        (
            lambda offer: add_offer_page(
                add_society_page(offer.society), offer, live=False, offer_document=document()
            ),
            "has no published offer page",
        ),
    ],
)
def test_open_refuses_an_offer_without_its_published_page_and_document(db, prepare, message):
    offer = factories.OpenOfferFactory(state=Offer.State.DRAFT)
    prepare(offer)
    with pytest.raises(CapitalError, match=message):
        open_offer(offer=offer)
    offer.refresh_from_db()
    assert offer.state == Offer.State.DRAFT


def test_open_says_both_when_both_are_missing(db):
    offer = factories.OpenOfferFactory(state=Offer.State.DRAFT)
    with pytest.raises(CapitalError) as refusal:
        open_offer(offer=offer)
    assert "no published offer page" in str(refusal.value) and "no offer document" in str(refusal.value)
    ready_to_open(offer=offer)
    assert open_offer(offer=offer).state == Offer.State.OPEN


@pytest.mark.parametrize(
    ("which", "message"), [("offer", "its page is made for you"), ("society", "cannot be copied")]
)
def test_copying_an_offer_or_society_page_is_refused_with_a_message(client, two_societies, which, message):
    (ours, our_offer), _ = two_societies
    page = our_offer if which == "offer" else ours
    staff = factories.UserFactory(is_superuser=True, is_staff=True)
    factories.give_two_factor(staff)
    client.force_login(staff)
    pages_before = Page.objects.count()
    url = reverse("wagtailadmin_pages:copy", args=[page.pk])
    response = client.post(
        url, {"new_title": "Copy", "new_slug": "copy", "new_parent_page": page.get_parent().pk}
    )
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert message in followed.content.decode()
    assert Page.objects.count() == pages_before


def test_the_offer_page_lists_its_documents_and_key_facts_with_a_search_description(client, db):
    share_class = factories.InvestorClassFactory()
    offer = factories.OpenOfferFactory(
        share_class=share_class, title="Wind for the valley", risk_warning="The turbine site floods."
    )
    add_schedule(share_class, pool_percent=D("25"), cap_multiple=D("1.5"), term_years=12)
    page = add_offer_page(
        add_society_page(share_class.society),
        offer,
        offer_document=document(title="Offer document"),
        business_plan=document(title="Business plan"),
    )
    html = html_of(client.get(page.url))
    words = text_of(html)
    assert "Target £1,000.00 to £10,000.00" in words
    assert "Price £1.00 a share" in words
    assert "Per investor £10.00 to £2,000.00" in words
    assert "Return 25% of each year's surplus shared among investors, up to 1.5 times your capital" in words
    assert "Term 12 years, capital repaid at the end" in words
    assert f"Closes {timezone.localtime(offer.closes_at):%-d %B %Y}" in words
    assert f'href="{page.offer_document.url}">Offer document</a>' in html
    assert f'href="{page.business_plan.url}">Business plan</a>' in html
    assert "Accounts</a>" not in html
    assert "The turbine site floods." in words
    description = re.search(r'<meta name="description" content="([^"]+)"', html).group(1)
    assert description.startswith(f"{share_class.society.name} share offer: target £1,000.00 to £10,000.00;")
    assert "return 25% of each year" in unescape(description)
