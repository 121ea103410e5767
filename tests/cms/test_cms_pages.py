"""The public site: society, offer and news pages, live progress, rights in plain words, caching."""

import datetime
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from capital.models import Offer
from capital.services import close_offer
from cms.models import HomePage, NewsIndexPage, NewsPage, OfferPage, SocietyPage
from investors.applications.allocation import allocate_offer
from investors.applications.services import apply_for_shares, cancel_application, expire_reservations
from investors.models import Application
from tests import factories
from tests.builders import pay
from tests.cms.pages import add_offer_page, add_schedule, add_society_page, home_page, html_of, text_of
from tests.factories import gbp

BANK = Application.PaymentMethod.BANK_TRANSFER


# --- helpers -------------------------------------------------------------------------------------


def progress_attributes(html: str) -> dict:
    bar = re.search(r'<div class="progress" role="progressbar"(.*?)>', html, re.S).group(1)
    return dict(re.findall(r'(aria-value\w+)="([^"]*)"', bar))


@pytest.fixture
def society_page(society):
    return add_society_page(society, summary="Energy owned by the valley.")


@pytest.fixture
def investor_offer(investor_class):
    add_schedule(investor_class)
    return factories.OpenOfferFactory(
        share_class=investor_class,
        title="Solar for schools",
        minimum_target=gbp(5000),
        maximum_target=gbp(20000),
        minimum_per_investor=gbp(100),
        maximum_per_investor=gbp(5000),
    )


@pytest.fixture
def investor_offer_page(society_page, investor_offer):
    return add_offer_page(society_page, investor_offer, summary="Panels on six roofs.")


# --- the page tree ---------------------------------------------------------------------------------


def test_pages_can_only_be_created_where_they_belong(society_page, investor_offer_page):
    home = home_page()
    root = Page.get_first_root_node()
    assert not HomePage.can_create_at(root)  # one home page only
    assert SocietyPage.can_create_at(home) and not SocietyPage.can_create_at(society_page)
    assert OfferPage.can_create_at(society_page)
    assert not OfferPage.can_create_at(home) and not OfferPage.can_create_at(investor_offer_page)
    assert NewsIndexPage.can_create_at(society_page) and not NewsIndexPage.can_create_at(home)
    assert not NewsPage.can_create_at(society_page)

    news_index = society_page.add_child(instance=NewsIndexPage(title="News", slug="news"))
    assert NewsPage.can_create_at(news_index)
    assert not NewsIndexPage.can_create_at(society_page)  # one news index per society


def test_an_offer_page_goes_under_its_own_society_and_only_once(society_page, investor_offer):
    other_society = factories.SocietyFactory()
    elsewhere = factories.OpenOfferFactory(share_class=factories.CommunityClassFactory(society=other_society))
    with pytest.raises(ValidationError) as refused:
        add_offer_page(society_page, elsewhere)
    assert "put its page under that society's page" in str(refused.value)

    add_offer_page(society_page, investor_offer)
    with pytest.raises(ValidationError):
        society_page.add_child(instance=OfferPage(title="Again", slug="again", offer=investor_offer))
    assert OfferPage.objects.filter(offer=investor_offer).count() == 1


def test_the_admin_form_offers_only_the_societys_own_offers(society_page, investor_offer):
    factories.OpenOfferFactory(
        share_class=factories.CommunityClassFactory(society=factories.SocietyFactory())
    )
    form_class = OfferPage.get_edit_handler().get_form_class()
    admin = factories.give_two_factor(factories.UserFactory(is_superuser=True, is_staff=True))
    form = form_class(instance=OfferPage(), parent_page=society_page, for_user=admin)
    assert list(form.fields["offer"].queryset) == [investor_offer]


def test_editors_can_open_the_admin_forms_of_every_page_type(client, society_page, investor_offer_page):
    client.force_login(factories.give_two_factor(factories.UserFactory(is_superuser=True, is_staff=True)))
    news_index = society_page.add_child(instance=NewsIndexPage(title="News", slug="news"))
    for model_name, parent in (
        ("societypage", home_page()),
        ("offerpage", society_page),
        ("newspage", news_index),
    ):
        response = client.get(reverse("wagtailadmin_pages:add", args=("cms", model_name, parent.pk)))
        assert response.status_code == 200, model_name
    edit = client.get(reverse("wagtailadmin_pages:edit", args=(investor_offer_page.pk,)))
    assert edit.status_code == 200 and "Simulator scenarios" in edit.content.decode()


# --- live progress -------------------------------------------------------------------------------


def test_progress_counts_paid_money_and_investors_but_not_cancelled_or_expired(
    client, investor_offer, investor_offer_page
):
    alice, bilal, carys, dev, erin = (factories.HolderFactory() for _ in range(5))
    pay(
        application=apply_for_shares(offer=investor_offer, holder=alice, shares=1000, payment_method=BANK),
        reference="A1",
    )
    pay(
        application=apply_for_shares(offer=investor_offer, holder=alice, shares=500, payment_method=BANK),
        reference="A2",
    )
    pay(
        application=apply_for_shares(offer=investor_offer, holder=bilal, shares=2500, payment_method=BANK),
        reference="B1",
    )
    apply_for_shares(offer=investor_offer, holder=carys, shares=700, payment_method=BANK)  # not paid yet
    cancel_application(
        application=apply_for_shares(offer=investor_offer, holder=dev, shares=3000, payment_method=BANK)
    )
    lapsed = apply_for_shares(
        offer=investor_offer,
        holder=erin,
        shares=4000,
        payment_method=BANK,
        now=timezone.now() - datetime.timedelta(days=8),
    )
    expire_reservations(offer=investor_offer)
    lapsed.refresh_from_db()
    assert lapsed.state == Application.State.EXPIRED

    html = html_of(client.get(investor_offer_page.url))
    words = text_of(html)
    assert "£4,000.00 raised" in words  # 1,000 + 500 + 2,500 paid; cancelled and lapsed count for nothing
    assert "Investors 2" in words  # Alice's two applications make one investor
    assert "Awaiting payment £700.00" in words
    assert "£1,000.00 to go to the minimum target" in words
    assert progress_attributes(html) == {
        "aria-valuemin": "0",
        "aria-valuemax": "20000.00",
        "aria-valuenow": "4000.00",
        "aria-valuetext": "£4,000.00 raised of a maximum of £20,000.00 (20.0%)",
    }
    assert 'class="progress__bar" x="0" y="3" width="20.0"' in html
    assert 'class="progress__minimum" x="25.0"' in html  # the minimum marker at 5,000


def test_progress_of_an_allocated_offer_counts_the_shares_issued_not_the_scaled_back_excess(
    client, society_page, investor_class
):
    add_schedule(investor_class)
    offer = factories.OpenOfferFactory(
        share_class=investor_class,
        policy=Offer.Policy.SCALE_BACK,
        minimum_target=gbp(100),
        maximum_target=gbp(1000),
        maximum_per_investor=gbp(1000),
    )
    page = add_offer_page(society_page, offer)
    for reference in ("S1", "S2"):
        holder = factories.HolderFactory()
        pay(
            application=apply_for_shares(offer=offer, holder=holder, shares=800, payment_method=BANK),
            reference=reference,
        )
    allocate_offer(offer=close_offer(offer=offer))
    assert set(Application.objects.filter(offer=offer).values_list("state", flat=True)) == {"allocated"}

    words = text_of(html_of(client.get(page.url)))
    assert "£1,000.00 raised" in words and "Investors 2" in words
    assert "This offer has closed and its shares have been issued." in words
    assert "Days left" not in words


def test_days_left_counts_a_part_day_as_a_day(client, society_page, investor_offer):
    Offer.objects.filter(pk=investor_offer.pk).update(
        closes_at=timezone.now() + datetime.timedelta(days=4, hours=3)
    )
    page = add_offer_page(society_page, investor_offer)
    assert "Days left 5" in text_of(html_of(client.get(page.url)))


# --- what the page says ----------------------------------------------------------------------------


def test_investor_shares_are_said_to_carry_no_vote_and_no_control(client, investor_offer_page):
    words = text_of(html_of(client.get(investor_offer_page.url)))
    assert "Investor shares carry no vote and no control right" in words
    assert "One member, one vote" not in words.split("What your shares give you")[1].split("How returns")[0]
    # The return schedule in plain words, from the shared wording.
    assert "A share of profit: 25% of each year's surplus is set aside for investors." in words
    assert "Returns stop once a holding has received 1.5 times its capital" in words


def test_community_shares_are_said_to_give_one_member_one_vote(client, society_page, open_offer):
    page = add_offer_page(society_page, open_offer)
    html = html_of(client.get(page.url))
    words = text_of(html)
    assert "One member, one vote: every member has a single vote" in words
    assert "Holding one share or more makes you a member of the society." in words
    assert "no vote and no control right" not in words.split("What your shares give you")[1]
    assert "You can ask for your money back" in words
    # No return schedule: no simulator.
    assert 'id="simulator"' not in html and "carry no return schedule" in words


def test_invest_button_shows_only_while_the_offer_is_open(client, investor_offer, investor_offer_page):
    invest_url = reverse("invest:apply", kwargs={"offer_id": investor_offer.pk})
    assert f'href="{invest_url}"' in html_of(client.get(investor_offer_page.url))

    close_offer(offer=investor_offer)
    html = html_of(client.get(investor_offer_page.url))
    assert invest_url not in html
    assert "This offer is closed to new applications." in text_of(html)


def test_invest_button_waits_for_the_opening_time(client, investor_offer, investor_offer_page):
    Offer.objects.filter(pk=investor_offer.pk).update(opens_at=timezone.now() + datetime.timedelta(days=2))
    html = html_of(client.get(investor_offer_page.url))
    assert reverse("invest:apply", kwargs={"offer_id": investor_offer.pk}) not in html
    assert "This offer opens on" in text_of(html)


def test_offer_page_renders_its_body_blocks(client, society_page, investor_offer):
    page = add_offer_page(
        society_page,
        investor_offer,
        body=[
            ("text", "<p>Six roofs, one valley.</p>"),
            (
                "faq",
                {
                    "heading": "Questions",
                    "questions": [{"question": "Who can invest?", "answer": "<p>Anyone over 16.</p>"}],
                },
            ),
            ("risk_warning", {"heading": "Project risks", "text": "<p>Panels may underperform.</p>"}),
        ],
    )
    words = text_of(html_of(client.get(page.url)))
    for phrase in (
        "Six roofs, one valley.",
        "Who can invest?",
        "Anyone over 16.",
        "Panels may underperform.",
    ):
        assert phrase in words
    assert "Before you invest: the risks" in words  # the standing warning is always there


def test_home_page_links_each_open_offer_to_its_page(client, investor_offer_page, society_page):
    html = html_of(client.get("/"))
    assert f'href="{investor_offer_page.url}"' in html
    assert f'href="{society_page.url}"' in html


def test_society_page_lists_its_offers_and_news(client, society, society_page, open_offer, investor_offer):
    add_offer_page(society_page, investor_offer)
    past = factories.OpenOfferFactory(
        share_class=open_offer.share_class,
        title="Founding offer",
        state=Offer.State.ALLOCATED,
        opens_at=timezone.now() - datetime.timedelta(days=400),
        closes_at=timezone.now() - datetime.timedelta(days=300),
        shares_allocated=6200,
    )
    factories.OpenOfferFactory(share_class=open_offer.share_class, title="Not yet public", state="draft")
    news_index = society_page.add_child(instance=NewsIndexPage(title="News", slug="news"))
    news_index.add_child(
        instance=NewsPage(title="Roofs surveyed", slug="roofs", date=datetime.date(2026, 10, 1), body=[])
    )

    words = text_of(html_of(client.get(society_page.url)))
    assert "Open now" in words and investor_offer.title in words and open_offer.title in words
    assert f"{past.title} " in words and "raised £6,200.00" in words
    assert "Not yet public" not in words
    assert "Roofs surveyed" in words
    assert society.registration_number in words

    news_words = text_of(html_of(client.get(news_index.url)))
    assert "Roofs surveyed" in news_words and "1 October 2026" in news_words


def test_base_template_has_landmarks_skip_link_and_account_links(client, investor_offer_page):
    html = html_of(client.get(investor_offer_page.url))
    assert '<a class="skip-link" href="#main">' in html and '<main id="main"' in html
    assert "<header" in html and '<nav class="site-nav" aria-label="Main">' in html and "<footer" in html
    assert f'href="{reverse("account:login")}"' in html and f'href="{reverse("account:signup")}"' in html
    assert reverse("account:logout") not in html
    assert [int(level) for level in re.findall(r"<h([1-6])", html)][0] == 1
    assert len(re.findall(r"<h1[ >]", html)) == 1


def test_logged_in_visitors_see_their_account_and_a_logout_form(client, investor_offer_page):
    client.force_login(factories.UserFactory())
    html = html_of(client.get(investor_offer_page.url))
    assert f'href="{reverse("account:dashboard")}"' in html
    assert f'method="post" action="{reverse("account:logout")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


# --- speed under load ------------------------------------------------------------------------------


def test_anonymous_offer_pages_are_publicly_cacheable_for_a_minute(client, investor_offer_page):
    response = client.get(investor_offer_page.url)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "max-age=60"}
    assert "Cookie" in response["Vary"]
    assert "csrftoken" not in response.cookies


def test_logged_in_offer_pages_are_never_cached(client, investor_offer_page):
    client.force_login(factories.UserFactory())
    response = client.get(investor_offer_page.url)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-cache", "no-store"} <= cache_control
    assert "public" not in cache_control


def offer_page_queries(client, page) -> int:
    client.get(page.url)  # Wagtail caches the site's root paths on the first request: count the rest
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page.url).status_code == 200
    return len(queries)


def test_offer_page_queries_do_not_grow_with_applications(
    client, investor_offer, investor_offer_page, django_assert_max_num_queries
):
    def add_applications(count, start):
        for number in range(start, start + count):
            application = apply_for_shares(
                offer=investor_offer, holder=factories.HolderFactory(), shares=100, payment_method=BANK
            )
            if number % 3:
                pay(application=application, reference=f"Q{number}")

    add_applications(3, 0)
    with_three = offer_page_queries(client, investor_offer_page)
    add_applications(27, 3)
    with_thirty = offer_page_queries(client, investor_offer_page)
    assert with_thirty == with_three

    with django_assert_max_num_queries(12):
        response = client.get(investor_offer_page.url, {"amount": "1000", "scenario": "high"})
    assert "Investors 20" in text_of(html_of(response))


# --- the demo --------------------------------------------------------------------------------------


def page_counts() -> dict:
    return {
        model.__name__: model.objects.count() for model in (SocietyPage, OfferPage, NewsIndexPage, NewsPage)
    }


def test_load_demo_adds_the_societys_pages_once(client, db):
    call_command("load_demo", stdout=io.StringIO())
    # The founding offer's page and the solar offer's page: every offer opened with its page.
    assert page_counts() == {"SocietyPage": 1, "OfferPage": 2, "NewsIndexPage": 1, "NewsPage": 1}
    first = {page.pk: page.url_path for page in Page.objects.all()}

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert {page.pk: page.url_path for page in Page.objects.all()} == first
    assert "already loaded; nothing changed" in again.getvalue()

    offer_page = OfferPage.objects.get(offer__state=Offer.State.OPEN)
    assert offer_page.get_parent().specific.society == offer_page.offer.share_class.society
    assert [block.block_type for block in offer_page.body] == ["text", "faq", "risk_warning"]
    words = text_of(html_of(client.get(offer_page.url)))
    assert "£2,000.00 raised" in words and "Investors 1" in words  # Alice paid; Dev has not yet
    assert "Awaiting payment £10,000.00" in words
    assert "Investor shares carry no vote and no control right" in words
    assert "Do investor shares make me a member?" in words


def test_load_demo_adds_missing_pages_to_a_demo_loaded_before_them(db):
    call_command("load_demo", stdout=io.StringIO())
    SocietyPage.objects.get().delete()
    assert page_counts() == {"SocietyPage": 0, "OfferPage": 0, "NewsIndexPage": 0, "NewsPage": 0}

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "added 4 web pages" in out.getvalue()
    assert page_counts() == {"SocietyPage": 1, "OfferPage": 1, "NewsIndexPage": 1, "NewsPage": 1}
