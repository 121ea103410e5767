"""Every page carries a Content-Security-Policy that allows no inline script or style, and a
Permissions-Policy; the public pages, the account pages and the dashboard hold no inline script or
style for that policy to block. Only Wagtail's admin gets 'unsafe-inline' (its own widgets need it)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from investors.models import Application
from tests import factories
from tests.builders import board_seat, issue, pay, unpaid_application
from tests.cms.pages import add_offer_page, add_schedule, add_society_page, html_of

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"  # the factories' password
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}  # data, never run


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: <style> elements, style="…"
    attributes, <script> elements without src that the browser would run, and on…= handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._open_script: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style> element")
        if "style" in attributes:
            self.found.append(f'style="{attributes["style"]}" on <{tag}>')
        self.found.extend(f"{name}= handler on <{tag}>" for name in attributes if name.startswith("on"))
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self._open_script = ""

    def handle_data(self, data):
        if self._open_script is not None:
            self._open_script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open_script is not None:
            if self._open_script.strip():
                self.found.append(f"inline <script>: {self._open_script.strip()[:60]}")
            self._open_script = None


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (part.split() for part in policy.split(";") if part.strip())}


@pytest.fixture
def offer_page(society, investor_class):
    add_schedule(investor_class)
    offer = factories.OpenOfferFactory(share_class=investor_class, title="Solar for schools")
    page = add_offer_page(add_society_page(society, summary="Energy owned by the valley."), offer)
    unpaid_application(offer=offer, shares=200)
    return page


# --- The headers -------------------------------------------------------------------------------------


def test_every_page_says_scripts_and_styles_come_from_the_site_only_and_never_inline(client):
    response = client.get("/")

    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


def test_every_page_switches_off_device_features_with_a_permissions_policy(client):
    policy = client.get("/")["Permissions-Policy"]

    for feature in ("camera=()", "microphone=()", "geolocation=()", "usb=()"):
        assert feature in policy
    assert 'payment=(self "https://js.stripe.com")' in policy


def test_the_card_page_alone_lets_the_browser_reach_stripe(client, settings, society, investor_class):
    settings.STRIPE_JS_URL = "https://js.stripe.example/v3/"
    offer = factories.OpenOfferFactory(share_class=investor_class)
    user = factories.UserFactory()
    holder = factories.HolderFactory(user=user, email=user.email)
    card = Application.PaymentMethod.CARD
    application = unpaid_application(offer=offer, shares=100, holder=holder, method=card)
    client.force_login(user)

    card_page = directives(client.get(reverse("payments:card", args=[application.payment_reference])))
    dashboard = directives(client.get(reverse("account:dashboard")))

    assert "https://js.stripe.example" in card_page["script-src"]
    assert "https://api.stripe.com" in card_page["connect-src"]
    assert "https://js.stripe.com" in card_page["frame-src"]
    assert "'unsafe-inline'" not in card_page["script-src"]
    assert dashboard["script-src"] == ["'self'"]


def test_only_the_wagtail_admin_allows_inline_scripts_and_styles(client, society):
    client.force_login(board_seat(society=society, role="director"))

    admin = client.get("/admin/")
    account = client.get(reverse("account:dashboard"))

    assert admin.status_code == 200
    assert "'unsafe-inline'" in directives(admin)["script-src"]
    assert "'unsafe-inline'" in directives(admin)["style-src"]
    assert directives(account)["style-src"] == ["'self'"]


# --- The pages hold nothing inline ----------------------------------------------------------------


def test_the_public_pages_hold_no_inline_script_or_style(client, offer_page):
    for url in ("/", offer_page.get_parent().url, offer_page.url):
        assert inline_code(html_of(client.get(url))) == [], url


@pytest.mark.parametrize(
    "url_name", ["account:login", "account:signup", "account:resend-verification", "account:password-reset"]
)
def test_the_account_forms_hold_no_inline_script_or_style(client, url_name):
    assert inline_code(html_of(client.get(reverse(url_name)))) == []


def test_the_application_form_sent_back_with_errors_holds_no_inline_script(client, offer_page):
    client.force_login(factories.UserFactory())

    form = reverse("invest:apply", kwargs={"offer_id": offer_page.offer_id})
    response = client.post(form, {"amount": "1.5"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html  # the page whose summary the script file focuses
    assert inline_code(html) == []


def test_the_dashboard_holds_no_inline_script_or_style(client, society, investor_class):
    user = factories.UserFactory()
    holder = factories.HolderFactory(user=user, email=user.email)
    issue(holder=holder, share_class=investor_class, shares=250)
    client.force_login(user)

    html = html_of(client.get(reverse("account:dashboard")))

    assert "portfolio-totals" in html  # the part that used to carry its own <style>
    assert inline_code(html) == []


def test_the_two_factor_set_up_page_holds_no_inline_script_or_style(client, society):
    user = board_seat(society=society, role="treasurer", two_factor=False)
    client.force_login(user)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    html = html_of(client.get(reverse("mfa_activate_totp")))

    assert inline_code(html) == []


def test_the_checker_finds_each_kind_of_inline_code():
    html = (
        '<style>a{}</style><p style="color:red" onclick="go()"></p><script>go()</script>'
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
    )

    assert inline_code(html) == [
        "<style> element",
        'style="color:red" on <p>',
        "onclick= handler on <p>",
        "inline <script>: go()",
    ]


def test_the_progress_bar_is_drawn_from_the_money_raised_without_inline_style(client, offer_page):
    pay(application=Application.objects.get(offer=offer_page.offer))  # £200 of a £10,000 maximum

    html = html_of(client.get(offer_page.url))

    assert '<rect class="progress__bar" x="0" y="3" width="2.0" height="10"' in html
    assert '<rect class="progress__minimum" x="10.0"' in html  # the £1,000 minimum
