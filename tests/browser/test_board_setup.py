"""A director sets up an offer from nothing, in the admin, on a desktop and on a phone: a share
class, its return schedule (previewed on sample figures first), an offer whose page is made as a
draft, the offer document chosen on that page and the page published, and the offer opened."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from capital.models import Offer, ReturnSchedule, ShareClass
from cms.boards import society_collection
from cms.management.commands.load_demo import BOARD_PASSWORD
from cms.models import OfferPage
from tests.browser.helpers import check_accessibility, log_in_to_the_admin, screenshot
from tests.builders import document

SOCIETY = "Riverside Community Energy Ltd"
CLASS_NAME = "Wind investor shares"
OFFER_TITLE = "A turbine for the ridge"


@pytest.fixture(params=["desktop", "phone"])
def screen(request, page, phone) -> tuple[str, Page]:
    return request.param, (page if request.param == "desktop" else phone)


def log_in(page: Page) -> None:
    log_in_to_the_admin(page, "dina.director", BOARD_PASSWORD)
    expect(page.get_by_role("heading", level=1).first).to_be_visible()


def save(page: Page) -> None:
    page.keyboard.press("Escape")  # a date picker left open would cover the button
    # A press outside the picker closes it; not a click in the screen's corner, which on a phone
    # is the admin's menu button and opens the menu over the form.
    page.locator("body").dispatch_event("mousedown")
    # A picker whose field was filled by typing does not always take that press as its cue: put
    # it away as a person's click elsewhere would.
    page.locator(".xdsoft_datetimepicker").evaluate_all(
        "pickers => pickers.forEach(p => p.style.display = 'none')"
    )
    page.locator("#w-editor-form footer button.button-longrunning").first.click()
    page.wait_for_load_state()


def test_a_director_sets_up_and_opens_an_offer(demo_site, screen):
    device, page = screen
    offer_page = set_up_and_open_an_offer(page, device)
    check_the_public_offer_page(page, offer_page, device)


def set_up_and_open_an_offer(page: Page, device: str) -> OfferPage:
    """From the director's login to an open offer with its published page; returns the page."""
    offer_document = document(title="Turbine offer document")
    offer_document.collection = society_collection(ShareClass.objects.first().society)
    offer_document.save()
    log_in(page)

    page.goto("/admin/shareclass/new/")
    page.locator("#id_society").select_option(label=SOCIETY)
    page.locator("#id_name").fill(CLASS_NAME)
    page.locator("#id_kind").select_option(label="Investor shares")
    page.locator("#id_nominal_value_0").fill("1.00")
    page.locator("#id_declared_maximum_interest_percent").fill("6")
    save(page)
    share_class = ShareClass.objects.get(name=CLASS_NAME)

    page.goto("/admin/returnschedule/new/")
    page.locator("#id_share_class").select_option(value=str(share_class.pk))
    page.locator("#id_first_year_end").fill("2027-03-31")
    page.locator("#id_pool_percent").fill("20")
    page.locator("#id_hurdle_0").fill("0.00")
    page.locator("#id_rate_ceiling_percent").fill("8")  # above the declared 6%
    page.locator("#id_cap_multiple").fill("1.5")
    page.locator("#id_term_years").fill("10")
    save(page)
    expect(page.get_by_text("The class's declared maximum rate is 6.00%.")).to_be_visible()
    page.locator("#id_rate_ceiling_percent").fill("6")
    page.get_by_role("button", name="Preview on sample figures").click()
    expect(page.get_by_role("heading", name="What these terms pay: a sample")).to_be_visible()
    expect(page.get_by_text("Not saved yet")).to_be_visible()
    screenshot(page, f"admin-schedule-preview-{device}")
    check_accessibility(page)
    save(page)
    expect(page.get_by_text("Not saved yet")).to_have_count(0)
    assert ReturnSchedule.objects.get(share_class=share_class).pool_percent == 20

    now = timezone.localtime()
    page.goto("/admin/offer/new/")
    page.locator("#id_share_class").select_option(value=str(share_class.pk))
    page.locator("#id_title").fill(OFFER_TITLE)
    page.locator("#id_opens_at").fill((now - datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"))
    page.locator("#id_closes_at").fill((now + datetime.timedelta(days=45)).strftime("%Y-%m-%d %H:%M"))
    for field, amount in (
        ("price_per_share", "1.00"),
        ("minimum_target", "20000.00"),
        ("maximum_target", "80000.00"),
        ("minimum_per_investor", "100.00"),
        ("maximum_per_investor", "10000.00"),
    ):
        page.locator(f"#id_{field}_0").fill(amount)
    page.locator("#id_risk_warning").fill("The turbine needs planning permission renewed in 2028.")
    save(page)
    offer = Offer.objects.get(title=OFFER_TITLE)
    offer_page = OfferPage.objects.get(offer=offer)
    assert not offer_page.live

    # Opening before the page is published says what is missing.
    page.goto(f"/admin/offer/action/open/{offer.pk}/")
    page.get_by_role("button", name="Open the offer").click()
    expect(page.get_by_text("has no published offer page")).to_be_visible()

    page.goto(f"/admin/pages/{offer_page.pk}/edit/")
    page.get_by_role("button", name="Choose a document").first.click()
    page.get_by_role("link", name="Turbine offer document").click()
    expect(page.get_by_text("Turbine offer document").first).to_be_visible()
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("has been published")).to_be_visible()
    offer_page.refresh_from_db()
    assert offer_page.live and offer_page.offer_document_id == offer_document.pk

    page.goto(f"/admin/offer/action/open/{offer.pk}/")
    page.get_by_role("button", name="Open the offer").click()
    expect(page.get_by_text(f"“{OFFER_TITLE}” is open.")).to_be_visible()
    offer.refresh_from_db()
    assert offer.state == Offer.State.OPEN
    return offer_page


def check_the_public_offer_page(page: Page, offer_page: OfferPage, device: str) -> None:
    page.goto(offer_page.url)
    strip = page.locator(".key-facts")
    expect(strip).to_contain_text("£20,000.00 to £80,000.00")
    expect(strip).to_contain_text(
        "20% of each year's surplus shared among investors, up to 1.5 times your capital"
    )
    expect(page.get_by_role("link", name="Offer document")).to_be_visible()
    expect(page.get_by_text("The turbine needs planning permission renewed in 2028.")).to_be_visible()
    screenshot(page, f"offer-page-key-facts-{device}")
    check_accessibility(page)
