"""The public home page and the Wagtail admin are up."""

from capital.models import Offer
from tests import factories


def test_home_page_lists_open_offers_only(client, open_offer):
    factories.OpenOfferFactory(
        share_class=open_offer.share_class, title="A draft offer", state=Offer.State.DRAFT
    )
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert open_offer.title in html and open_offer.society.name in html
    assert "A draft offer" not in html


def test_home_page_says_when_nothing_is_open(client, db):
    response = client.get("/")
    assert "No offers are open right now." in response.content.decode()


def test_admin_asks_anonymous_visitors_to_log_in(client, db):
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_staff_reach_the_admin_dashboard(client, db):
    client.force_login(factories.give_two_factor(factories.UserFactory(is_superuser=True, is_staff=True)))
    assert client.get("/admin/").status_code == 200
