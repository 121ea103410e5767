"""The public site in a real browser: no serious or critical axe-core violation, usable with the
keyboard, on a desktop window and on a phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import check_accessibility, has_visible_focus, screenshot

DEVICES = ["desktop", "phone"]


@pytest.fixture(params=DEVICES)
def device_page(request, live_site):
    """The same test on a 1280×720 desktop window and on a 390×844 phone."""
    return request.getfixturevalue("page" if request.param == "desktop" else "phone")


def test_the_home_page_has_no_serious_accessibility_violations(device_page, request):
    device_page.goto("/")
    expect(device_page.get_by_role("heading", level=1)).to_have_text("Invest in your community")

    check_accessibility(device_page)
    screenshot(device_page, f"home-{request.node.callspec.id}")


def test_tab_reaches_the_first_link_and_shows_where_focus_is(device_page):
    device_page.goto("/")
    first_link = device_page.locator("a[href]").first

    device_page.keyboard.press("Tab")

    expect(first_link).to_be_focused()
    expect(first_link).to_be_in_viewport()
    assert has_visible_focus(first_link), "The focused link looks no different from an unfocused one."


def test_the_skip_link_takes_the_keyboard_to_the_main_content(device_page):
    device_page.goto("/")
    device_page.keyboard.press("Tab")
    skip_link = device_page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()

    device_page.keyboard.press("Enter")

    expect(device_page.locator("main")).to_be_focused()


def test_the_home_page_fits_a_phone_without_sideways_scrolling(phone, live_site):
    phone.goto("/")
    expect(phone.get_by_role("heading", level=1)).to_be_visible()

    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_home_page_with_the_demo_offers_has_no_serious_accessibility_violations(page, demo_site):
    page.goto("/")
    expect(page.locator("#offers")).to_contain_text("Riverside Community Energy")

    check_accessibility(page)
    screenshot(page, "home-demo")
