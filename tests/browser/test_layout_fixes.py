"""The layout faults seen on the demo, checked in a real browser: the certificate check and the
dashboard fit a phone (the register hash wraps; tables scroll inside the page, "Cancel request"
within reach), and on a desktop the header, page and footer keep their vertical padding."""

from playwright.sync_api import expect

from investors.withdrawals.services import request_withdrawal
from shares.models import Certificate
from tests import factories
from tests.browser.helpers import screenshot
from tests.builders import issue

PHONE_WIDTH = 390


def _investor_with_a_pending_withdrawal():
    share_class = factories.CommunityClassFactory(withdrawable=True)
    user = factories.UserFactory()
    holder = factories.HolderFactory(user=user, email=user.email)
    issue(holder=holder, share_class=share_class, shares=1500)
    request_withdrawal(holder=holder, share_class=share_class, shares=500, by=user)
    return user, holder


def test_the_certificate_check_fits_a_phone(phone, live_site):
    _, holder = _investor_with_a_pending_withdrawal()
    certificate = Certificate.objects.filter(holder=holder).first()
    phone.goto(f"/verify/{certificate.verification_token}/")
    expect(phone.get_by_text("This certificate is genuine")).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
    screenshot(phone, "verify-phone")


def test_the_dashboard_fits_a_phone_and_cancel_request_is_within_reach(phone, live_site):
    user, _ = _investor_with_a_pending_withdrawal()
    live_site.log_in(phone.context, user)
    phone.goto("/account/")
    expect(phone.get_by_role("heading", name="Your investments")).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
    cancel = phone.get_by_role("button", name="Cancel request")
    cancel.scroll_into_view_if_needed()
    expect(cancel).to_be_in_viewport(ratio=1)
    screenshot(phone, "dashboard-phone")


def test_on_a_desktop_header_main_and_footer_keep_their_vertical_padding(page, live_site):
    page.goto("/")
    padding = page.evaluate(
        """() => ['.site-header__inner', '.site-main', '.site-footer__inner'].map(
            (selector) => getComputedStyle(document.querySelector(selector)).paddingTop)"""
    )
    assert padding == ["12px", "24px", "32px"], padding


LONG_ADDRESS = "averylongnameforanemailaddressthatgoesonandon@anequallylongdomainname.example.org"


def test_a_long_email_address_wraps_on_a_phone_after_signing_up(phone, live_site):
    phone.goto("/account/signup/")
    phone.get_by_label("Your full name").fill("Ann Other")
    phone.get_by_label("Email address").fill(LONG_ADDRESS)
    phone.get_by_role("button", name="Sign up").click()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(phone.locator("strong", has_text=LONG_ADDRESS)).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_long_email_address_wraps_on_a_phone_in_your_details(phone, live_site):
    user = factories.UserFactory(username="ann", email="ann@example.org")
    factories.HolderFactory(user=user, email=user.email)
    live_site.log_in(phone.context, user)
    phone.goto("/account/profile/")
    phone.get_by_label("New email address").fill(LONG_ADDRESS)
    phone.get_by_label("Your current password").fill("correct horse battery")
    phone.get_by_role("button", name="Send the link").click()
    expect(phone.locator(".message", has_text=f"We have sent a link to {LONG_ADDRESS}")).to_be_visible()
    expect(phone.locator("strong", has_text=LONG_ADDRESS)).to_be_visible()
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
