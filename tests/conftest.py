import datetime
import logging
import os
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection

from capital.services import close_offer
from tests import factories
from tests.builders import board_seat, issue, paid_application, unpaid_application
from tests.stripe_server import WEBHOOK_SECRET, LocalStripe

ON_POSTGRES = django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# PostgreSQL-only tests (row locks, triggers, real concurrency) are not collected on SQLite;
# CI runs the suite on PostgreSQL too, with REQUIRE_POSTGRES=1 so that they cannot go missing.
collect_ignore = [] if ON_POSTGRES else ["pg"]


# The ways of sharing tests out among processes that send each process its tests in the order below.
ORDER_KEEPING_DISTRIBUTIONS = ("no", "load", "worksteal")


def pytest_configure(config):
    if os.environ.get("REQUIRE_POSTGRES") and not ON_POSTGRES:
        pytest.exit("REQUIRE_POSTGRES is set but DATABASE_URL is not a PostgreSQL database.", returncode=2)
    distribution = getattr(config.option, "dist", "no")
    if distribution not in ORDER_KEEPING_DISTRIBUTIONS:
        pytest.exit(
            f"--dist {distribution} sends a process a whole file or group at once, out of the order "
            f"the tests must run in: use one of {', '.join(ORDER_KEEPING_DISTRIBUTIONS)}.",
            returncode=2,
        )


BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(config, items):
    """After pytest-django's order (tests that roll back, then those that flush the database),
    every browser test goes between the two groups. Playwright's sync API keeps an event loop
    running in the test thread from its first test to the end of the session, and Django's test
    client cannot call an async view (`/healthz`) beside one: a browser test that needs no live
    server would otherwise start it early. The browser tests still come before the other
    flushing tests, which leave content types made again under new ids. Run in several processes
    (pytest-xdist's `--dist load`), each process collects the same order and is sent its tests
    in it, so the order holds in every process."""

    def group(item) -> int:
        if item.path.is_relative_to(BROWSER_TESTS):
            return 1
        marker = item.get_closest_marker("django_db")
        flushing = "transactional_db" in item.fixturenames or "live_server" in item.fixturenames
        flushing = flushing or bool(
            marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
        )
        return 2 if flushing else 0

    items.sort(key=group)


@pytest.fixture(autouse=True)
def _no_weasyprint_warnings(caplog):
    """A bad style or a missing image still yields a PDF, with only a warning: fail on it."""
    yield
    warnings = [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= logging.WARNING]
    assert not warnings, [record.getMessage() for record in warnings]


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Rate limits and used two-factor codes are counted in the cache: each test starts afresh.
    caches["default"].clear()


@pytest.fixture
def society(db):
    return factories.SocietyFactory()


@pytest.fixture
def community_class(society):
    return factories.CommunityClassFactory(society=society)


@pytest.fixture
def investor_class(society):
    return factories.InvestorClassFactory(society=society)


@pytest.fixture
def holder(db):
    return factories.HolderFactory()


@pytest.fixture
def director(society):
    return board_seat(society=society, role="director")


@pytest.fixture
def open_offer(community_class):
    return factories.OpenOfferFactory(share_class=community_class)


@pytest.fixture
def closed_offer(open_offer):
    """A closed first-come offer with two paid applications and one unpaid."""
    paid_application(offer=open_offer, shares=600)
    paid_application(offer=open_offer, shares=400)
    unpaid_application(offer=open_offer, shares=50)
    return close_offer(offer=open_offer)


@pytest.fixture
def profit_class(society, investor_class):
    """Investor shares paying 25% of surplus, capped at 1.5 × capital, held by A and B."""
    factories.ReturnScheduleFactory(
        share_class=investor_class,
        first_year_end=datetime.date(2019, 12, 31),
        grace_years=0,
        cap_multiple=D("1.5"),
    )
    for name, shares in (("A", 10000), ("B", 7000)):
        issue(
            holder=factories.HolderFactory(name=name),
            share_class=investor_class,
            shares=shares,
            on=datetime.date(2019, 1, 1),
        )
    return investor_class


def run_raw_sql(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture(scope="session")
def localstripe_server():
    server = LocalStripe()
    yield server
    server.stop()


@pytest.fixture
def stripe_server(localstripe_server, settings):
    """localstripe, emptied, with the site's Stripe settings pointing at it."""
    localstripe_server.reset()
    settings.STRIPE_SECRET_KEY = "sk_test_commonshare"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_commonshare"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_JS_URL = f"{localstripe_server.url}/js.stripe.com/v3/"
    return localstripe_server


@pytest.fixture
def decisions_heard():
    """Every decision announced (`capital.decisions.announce_decision`) while the test runs."""
    from capital.decisions import decision_taken

    heard = []

    def receiver(sender, decision, **kwargs):
        heard.append(decision)

    decision_taken.connect(receiver)
    yield heard
    decision_taken.disconnect(receiver)
