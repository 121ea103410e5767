"""The access matrix: every URL the site serves (walked from `config.urls`) × anonymous, investor
A, investor B, another society's board, and each role on A's society's board. No one sees
another person's or another society's data, and no one gets a server error.

A's name, email and postal address are markers: only A (and the board of the society A invests
in, on admin pages) may ever receive a page that contains one. A new URL whose parameters the
matrix cannot fill fails here until it is taught them (`fill`), so nothing is left out by accident.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from tests.builders import board_seat, issue, paid_application, unpaid_application

pytestmark = pytest.mark.django_db

A_NAME, A_EMAIL, A_ADDRESS = "Annabel Zorquist", "annabel.zorquist@example.org", "7 Quillsworth Lane"
OUR_APPS = ("capital", "investors", "shares", "cms", "governance")


def walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def is_ours(route: str, pattern: URLPattern) -> bool:
    module = pattern.callback.__module__.split(".")[0]
    if route.startswith("admin/"):
        return module in OUR_APPS
    return not route.startswith(("documents/^", "documents/authenticate", "_util/", "^((?:"))


@pytest.fixture
def world(db):
    society = factories.SocietyFactory()
    share_class = factories.CommunityClassFactory(society=society)
    offer = factories.OpenOfferFactory(share_class=share_class)
    user_a = factories.UserFactory(username=A_EMAIL, email=A_EMAIL)
    holder_a = factories.HolderFactory(user=user_a, name=A_NAME, email=A_EMAIL, postal_address=A_ADDRESS)
    user_b = factories.UserFactory(username="bo@example.org", email="bo@example.org")
    holder_b = factories.HolderFactory(user=user_b, name="Bo Other", email="bo@example.org")
    paid = paid_application(offer=offer, shares=100, holder=holder_a)
    waiting = unpaid_application(offer=offer, shares=50, holder=holder_a)
    paid_application(offer=offer, shares=60, holder=holder_b)
    issue(holder=holder_a, share_class=share_class, shares=10)
    other_society = factories.SocietyFactory()
    actors = {
        "anonymous": None,
        "investor A": user_a,
        "investor B": user_b,
        "another society's board": board_seat(society=other_society, role="director"),
        "director": board_seat(society=society, role="director"),
        "secretary": board_seat(society=society, role="secretary"),
        "treasurer": board_seat(society=society, role="treasurer"),
    }
    fill = {
        "reference": waiting.payment_reference,
        "offer_id": offer.pk,
        "share_class_id": share_class.pk,
        "society_id": society.pk,
        "society": society.slug,
        "slug": society.slug,
        "number": 1,
        "token": "not-a-real-token",
        "filename": "statement.pdf",
        "uidb64": "MQ",
        "uidb36": "1",
        "key": "not-a-real-key",
        # Governance's meetings, questions, proposals and requisitions: none in this world yet (each answers
        # 404, never 500).
        "question_id": 1,
        "proposal_id": 1,
        "requisition_id": 1,
        "meeting_id": 1,
        "entry_id": 1,
    }
    return {"actors": actors, "fill": fill, "paid": paid, "society": society}


def concrete(route: str, pattern: URLPattern, fill: dict) -> str | None:
    """The route with its parameters filled from A's world, or None when it cannot be."""
    route = route.replace("^", "").replace("$", "")
    model = (getattr(pattern.callback, "view_initkwargs", None) or {}).get("model")
    if "<str:action_name>" in route:
        return None  # admin actions are POSTs, tested with their views
    if "(?P<token>" in route:
        return "/account/password/reset/MQ/abc-def/"

    def value(match):
        name = match.group(1).split(":")[-1]
        if name == "pk":
            if model is not None:
                row = model._default_manager.order_by("pk").first()
                return str(row.pk if row is not None else 1)
            return "1"
        if name not in fill:
            raise AssertionError(f"The access matrix does not know how to fill <{name}> in {route}")
        return str(fill[name])

    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: value(match), route)  # regex routes
    return "/" + re.sub(r"<([^>]+)>", value, route)


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


MARKERS = (A_NAME, A_EMAIL, A_ADDRESS)


def test_no_one_sees_another_persons_or_another_societys_data(world):
    urls = []
    for route, pattern in walk(get_resolver()):
        if not is_ours(route, pattern):
            continue
        url = concrete(route, pattern, world["fill"])
        if url is not None:
            urls.append(url)
    assert len(urls) > 150, "the walk found the site's URLs"

    seen_by = {}
    errors, leaks = [], []
    for actor, user in world["actors"].items():
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            if response.status_code >= 500:
                errors.append((actor, url, response.status_code))
                continue
            if getattr(response, "streaming", False):
                body = b"".join(response.streaming_content).decode("utf-8", "replace")
            else:
                body = response.content.decode("utf-8", "replace")
            shows_a = any(marker in body for marker in MARKERS)
            if shows_a:
                seen_by.setdefault(url, set()).add(actor)
            allowed = actor == "investor A" or (
                actor in ("director", "secretary", "treasurer") and url.startswith("/admin/")
            )
            if shows_a and not allowed:
                leaks.append((actor, url))
            if world["fill"]["reference"] in url and actor != "investor A":  # A's payment pages
                assert response.status_code in (302, 403, 404, 405), (actor, url, response.status_code)
            if url.startswith("/admin/") and actor in ("anonymous", "investor A", "investor B"):
                assert response.status_code in (302, 403, 404), (actor, url, response.status_code)
    assert not errors, errors
    assert not leaks, leaks
    # The markers work: A sees their own dashboard, and A's board sees A in the register.
    assert "investor A" in seen_by["/account/profile/"]
    assert {"director", "secretary", "treasurer"} <= seen_by["/admin/holder/"]
    assert "another society's board" not in seen_by["/admin/holder/"]
