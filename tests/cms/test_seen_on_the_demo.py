"""What was seen trying the demo as an investor would, each put right: the favicon, a meta
description on every page, figures people can read (a separator in "shares left", a minus sign
before the symbol for a loss), the simulator at the cap, a paid card page, the register's file
names, an offer closed early, and the dashboard's links from each holding to its offer and news."""

import datetime
import re
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from capital.models import AuditEntry
from capital.money import format_money
from capital.services import close_offer
from investors.applications.allocation import allocate_offer
from tests import factories
from tests.builders import board_seat, paid_application
from tests.cms.pages import add_offer_page, add_society_page, html_of, text_of
from tests.cms.test_simulator_chart import offer, offer_page  # noqa: F401  (fixtures)
from tests.factories import gbp


def test_favicon_ico_is_found(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200 and b"".join(icon.streaming_content).startswith(b"\x00\x00\x01\x00")


def test_every_page_has_a_meta_description(client, offer_page):  # noqa: F811
    offer_page.search_description = ""
    offer_page.summary = "Panels on twelve school roofs."
    offer_page.save()
    html = html_of(client.get(offer_page.url))
    assert '<meta name="description" content="Panels on twelve school roofs.">' in html
    html = html_of(client.get("/account/login/"))
    assert re.search(r'<meta name="description" content="Community shares[^"]+">', html)


def test_a_loss_reads_minus_pounds_and_shares_left_have_a_separator(client, community_class):
    assert format_money(Money(Decimal("-5000"), "GBP")) == "\u2212£5,000.00"
    assert format_money(Money(Decimal("1250.5"), "GBP")) == "£1,250.50"
    big = factories.OpenOfferFactory(share_class=community_class, maximum_target=gbp(138000))
    client.force_login(factories.UserFactory())
    words = text_of(html_of(client.get(f"/invest/{big.pk}/")))
    assert "Shares left 138,000" in words


def test_at_the_cap_the_simulator_says_what_is_return_and_what_is_capital(client, offer, offer_page):  # noqa: F811
    html = client.get(
        offer_page.url, {"amount": "2500", "scenario": "own", "surplus": "50000"}
    ).content.decode()
    words = text_of(html)
    assert "The cap of £3,750.00 counts returns and capital repaid together" in words
    assert "£1,925.00 in returns and £1,825.00 of capital repaid together make £3,750.00" in words
    found = re.search(
        r"of the (£[\d,.]+) you receive, £2,500\.00 is your capital back and (£[\d,.]+) is your gain", words
    )
    assert found, words
    received, gain = (Decimal(x.lstrip("£").replace(",", "")) for x in found.groups())
    assert received - gain == Decimal("2500.00")
    assert (received, gain) == (Decimal("3750.00"), Decimal("1250.00"))
    modest = text_of(
        client.get(offer_page.url, {"amount": "2500", "scenario": "own", "surplus": "100"}).content.decode()
    )
    assert "counts returns and capital repaid together" not in modest, "said only when the cap is reached"


def test_a_paid_card_page_says_it_is_paid_and_what_happens_next(client, open_offer):
    application = paid_application(offer=open_offer, shares=100, method="card")
    client.force_login(_login_for(application.holder))
    words = text_of(html_of(client.get(f"/payments/{application.payment_reference}/card/")))
    assert f"Paid: £100.00 for {application.payment_reference}" in words
    assert "What happens next" in words and "Go to your dashboard" in words
    assert "bank transfer" not in words


def _login_for(holder):
    user = factories.UserFactory(email=holder.email)
    holder.user = user
    holder.save(update_fields=["user"])
    return user


def test_register_downloads_put_the_date_before_the_extension(
    client, profit_class, django_capture_on_commit_callbacks
):
    society = profit_class.society
    client.force_login(board_seat(society=society, role="secretary"))
    today = timezone.localdate()
    for name, extension in (("register", "csv"), ("ledger", "csv")):
        response = client.get(f"/admin/register/{society.slug}/{name}.{extension}")
        expected = f'attachment; filename="{society.slug}-{name}-{today:%Y-%m-%d}.{extension}"'
        assert response["Content-Disposition"] == expected
    # The PDF is made by a document job; its page links to the stored file.
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post(f"/admin/register/{society.slug}/register.pdf")["Location"]
    response = client.get(job_page + "register.pdf")
    response.close()  # the stored file it streams
    expected = f'attachment; filename="{society.slug}-register-{today:%Y-%m-%d}.pdf"'
    assert response["Content-Disposition"] == expected


def test_an_offer_closed_early_shows_the_day_it_closed(open_offer):
    planned = open_offer.closes_at
    close_offer(offer=open_offer)
    open_offer.refresh_from_db()
    assert open_offer.closes_at <= timezone.now() < planned
    entry = AuditEntry.objects.get(action="offer.closed")
    assert "closed early" in entry.summary and entry.data["planned_close"] == planned.isoformat()


def test_an_offer_closed_at_its_time_keeps_its_date(open_offer):
    past = timezone.now() - datetime.timedelta(minutes=5)
    type(open_offer).objects.filter(pk=open_offer.pk).update(closes_at=past)
    open_offer.refresh_from_db()
    close_offer(offer=open_offer)
    open_offer.refresh_from_db()
    assert open_offer.closes_at == past


def test_each_holding_on_the_dashboard_links_to_its_offer_and_the_societys_news(client, open_offer):
    society_page = add_society_page(open_offer.society)
    page = add_offer_page(society_page, open_offer)
    application = paid_application(offer=open_offer, shares=1000)
    factories.OpenOfferFactory(share_class=open_offer.share_class)  # not one they were allotted in
    close_offer(offer=open_offer)
    allocate_offer(offer=open_offer)
    client.force_login(_login_for(application.holder))
    html = html_of(client.get("/account/"))
    assert f'From <a href="{page.url}">{open_offer.title}</a>' in html
    assert f'<a href="{society_page.url}#news-heading">News from {open_offer.society.name}</a>' in html
    assert html.count("<small>From ") == 1
