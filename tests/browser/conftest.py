"""Fixtures for tests in a real browser: Debian's chromium, driven by Playwright, against the live server.

A test takes `live_site` (or `demo_site`) and `page` (or `phone`): it then runs against
pytest-django's live server (a thread of this process, serving static files too) on a
transactional database that starts as the migrations left it (the home page) and is emptied
afterwards. Pages open addresses relative to the live server: `page.goto("/")`.
"""

import io
import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test import Client
from django.test.testcases import LiveServerThread
from playwright.sync_api import BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


class OneRequestAtATime(WSGIServer):
    """The live server's requests served one after another, in its own thread. On SQLite the test
    database lives in memory, and every thread of the live server uses the test's one connection:
    two requests at once (a page and its favicon, say) then share one transaction, and the work a
    request leaves for after its commit (its emails) could be dropped with the other's savepoint.
    Each thread of a real server has its own connection; this one serves a request at a time."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)


if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture(scope="session", autouse=True)
def _django_beside_playwright(django_db_setup):
    """Playwright's sync API leaves an event loop running in the test thread from its start to the
    end of the session. Django then refuses database calls from that thread (they are still
    synchronous, so allow them), and hands out other connection objects than those the test
    database was set up on: give those the migrated data that serialized rollback restores."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    migrated_data = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    yield migrated_data
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def _migrated_data_beside_playwright(_django_beside_playwright, playwright):
    for alias, migrated_data in _django_beside_playwright.items():
        connections[alias]._test_serialized_contents = migrated_data


@pytest.fixture(autouse=True)
def _every_browser_test_restores_the_migrated_data(django_db_serialized_rollback):
    """Every browser test uses the live server, so each restores the migrated data (the home
    page, content types) after its flush: none leaves a database whose content types were made
    again under new ids for the next test to collide with."""


@pytest.fixture(scope="module", autouse=True)
def _leave_a_migrated_database_behind(django_db_blocker):
    """A restoring test's flush leaves the database without even its content types, expecting the
    next test to restore them. After the last browser test of each module, restore the migrated
    data (ids and all), so that later transactional tests (tests/pg) start from a migrated database."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)
    ContentType.objects.clear_cache()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium: no browser is ever downloaded (`playwright install` is not needed)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium).")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def new_context(new_context):
    """Every browser context the test opens (`page`, `phone`) reports what the site's
    Content-Security-Policy blocked; the test fails on any such report."""
    blocked: list[str] = []

    def make(**kwargs) -> BrowserContext:
        context = new_context(**kwargs)
        context.on(
            "console",
            lambda message: (
                blocked.append(f"{message.page.url if message.page else ''}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return context

    yield make
    assert blocked == [], "The Content-Security-Policy blocked:\n" + "\n".join(blocked)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url}


@dataclass
class LiveSite:
    url: str

    def log_in(self, context: BrowserContext, user) -> None:
        """Give the browser a logged-in session for `user`, as the login form would. The
        context's pages are first taken off the site, so that no request still under way from
        the last user's page can answer with their session cookie after this one is set."""
        for open_page in context.pages:
            open_page.goto("about:blank")
        context.clear_cookies()
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.url}])

    def load_demo(self) -> None:
        """The demo co-op of `manage.py load_demo`: its society, board, investors and offers."""
        call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def live_site(live_server, django_db_serialized_rollback) -> LiveSite:
    """The live server, its database holding what the migrations made (the home page)."""
    return LiveSite(url=live_server.url)


@pytest.fixture
def demo_site(live_site) -> LiveSite:
    """The live server with the demo co-op loaded."""
    live_site.load_demo()
    return live_site


@pytest.fixture
def phone(new_context) -> Page:
    """A page on a phone: 390×844, touch, and the page's viewport meta honoured."""
    return new_context(**PHONE).new_page()
