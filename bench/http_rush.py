"""Applications per second over HTTP: the site under gunicorn on PostgreSQL, many clients, one offer.

Seeds a throwaway database with a first-come offer and USERS investors already on the register
(each logged in: a session made directly, as after their login), serves the site with gunicorn
(WORKERS sync workers, DEBUG off, persistent database connections), and drives the real
application path from CLIENTS concurrent clients (an asyncio load generator, bounded: each
client sends one request at a time): the form page (GET, for its CSRF and one-time tokens),
then the application (POST), answered by the redirect to the confirmation page. Every investor opens
the form first; then all of them send it, CLIENTS at a time: that rush is what is timed. The offer is
smaller than the demand, so it sells out during the run and the rest are refused.

Prints applications/s (answered POSTs: made or refused), p50/p95/p99 of the POST (and of the
form pages opened before), the oversold count (shares reserved beyond the offer, and applications beyond
its capacity: both must be 0), then, in the same run and database, the service-only rate
(`apply_for_shares` from forked processes) and the raw conditional-UPDATE rate.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/http_rush.py
Environment: BENCH_USERS (3000), BENCH_CLIENTS (32), BENCH_WORKERS (4), BENCH_PORT (8401).
It creates and drops its own throwaway database (<name>_bench), never touching the named one.
"""

import asyncio
import datetime
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# The sessions made here are signed with the key the served site uses.
os.environ.setdefault("SECRET_KEY", __import__("secrets").token_urlsafe(50))
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", __import__("secrets").token_urlsafe(32))

import django  # noqa: E402

django.setup()

import aiohttp  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Sum  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.offer_rush import baseline_rate, service_rate  # noqa: E402
from bench.throwaway_db import throwaway_postgres  # noqa: E402
from capital.models import Offer  # noqa: E402
from investors.accounts.middleware import BOARD_SEEN  # noqa: E402
from investors.models import Application  # noqa: E402
from shares.models import Holder  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "3000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "32"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
PORT = int(os.environ.get("BENCH_PORT", "8401"))
SHARES_EACH = 10
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", "/tmp/commonshare-bench-static"))
# What the TLS proxy in front of the site adds to every request (TRUSTED_PROXY_COUNT=1).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def seed(users: int) -> tuple[Offer, list[str]]:
    """A first-come offer for two thirds of the demand, and `users` logged-in investors who hold
    a register record; returns the offer and each investor's session key."""
    offer = factories.OpenOfferFactory(
        maximum_target=gbp(users * SHARES_EACH * 2 // 3),
        minimum_target=gbp(100),
        maximum_per_investor=gbp(1000),
        minimum_per_investor=gbp(1),
    )
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # seeding only: fast
    people = factories.UserFactory.create_batch(users)
    Holder.objects.bulk_create(
        [
            Holder(
                user=user,
                name=f"Investor {n}",
                email=user.email,
                postal_address="1 Mill Lane, Hebden Bridge HX7 8AA",
                date_of_birth=datetime.date(1980, 1, 1),
            )
            for n, user in enumerate(people)
        ]
    )
    expires = timezone.now() + datetime.timedelta(days=1)
    sessions = []
    for user in people:
        store = SessionStore()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            # As the login's own response leaves it: an investor, not on any board.
            BOARD_SEEN: [user.pk, False],
        }
        key = secrets.token_hex(16)
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    Session.objects.bulk_create(sessions, batch_size=2000)
    return offer, [session.session_key for session in sessions]


def serve(database_name: str) -> subprocess.Popen:
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
        f"{settings_dict['PORT'] or 5432}/{database_name}"
    )
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(STATIC_ROOT),
        "LOG_LEVEL": "WARNING",
        # As in production (docs/deploy.md): a TLS proxy in front says so in X-Forwarded-Proto,
        # so the site neither redirects to https nor refuses its secure cookies (PROXY_HEADERS).
        "TRUSTED_PROXY_COUNT": "1",
        "SITE_URL": "https://shares.example.coop",
    }
    if not (STATIC_ROOT / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=environment,
            check=True,
        )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    return server


async def wait_for(url: str) -> None:
    """Until gunicorn listens; then its first answer must be the page itself, not a redirect
    (to https, say: followed, it would speak TLS to a plain-http server)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(url, headers=PROXY_HEADERS, allow_redirects=False) as response:
                    await response.read()
            except aiohttp.ClientConnectorError:
                await asyncio.sleep(0.2)
                continue
            if response.status != 200:
                raise RuntimeError(f"gunicorn answered {url} with {response.status} {response.headers}")
            return
    raise RuntimeError("gunicorn did not answer")


async def drive(offer: Offer, keys: list[str], cpu) -> dict:
    """Two phases, each bounded to CLIENTS requests in flight: every investor opens the form
    (as they would while the offer is announced, filling it in), then all of them send it at
    once — the rush. Times both; the applications/s are the rush's."""
    base = f"http://127.0.0.1:{PORT}"
    path = reverse("invest:apply", kwargs={"offer_id": offer.pk})
    done_prefix = reverse("invest:done", kwargs={"reference": "X"}).rsplit("X", 1)[0]
    connector = aiohttp.TCPConnector(limit=CLIENTS, force_close=False)
    forms: dict[str, dict] = {}
    posts, pages, outcomes = [], [], {"made": 0, "refused": 0, "error": 0}

    async def run_all(work) -> float:
        queue: asyncio.Queue = asyncio.Queue()
        for key in keys:
            queue.put_nowait(key)

        async def client():
            async with aiohttp.ClientSession(
                connector=connector, connector_owner=False, cookie_jar=aiohttp.DummyCookieJar()
            ) as session:
                while not queue.empty():
                    await work(session, queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(CLIENTS)))
        return time.perf_counter() - started

    def cookies(key: str, csrf: str = "") -> dict:
        header = f"{settings.SESSION_COOKIE_NAME}={key}"
        if csrf:
            header += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
        # Over https, Django's CSRF check wants a same-origin https Referer.
        return {"Cookie": header, "Referer": f"https://127.0.0.1:{PORT}{path}", **PROXY_HEADERS}

    async def open_form(session, key):
        begun = time.perf_counter()
        async with session.get(base + path, headers=cookies(key)) as response:
            page = await response.text()
            csrf_cookie = response.cookies.get(settings.CSRF_COOKIE_NAME)
        pages.append(time.perf_counter() - begun)
        form_token, csrf = TOKEN.search(page), CSRF.search(page)
        if response.status != 200 or not form_token or csrf_cookie is None:
            outcomes["error"] += 1
            return
        forms[key] = {
            "cookie": csrf_cookie.value,
            "data": {
                "csrfmiddlewaretoken": csrf.group(1),
                "form_token": form_token.group(1),
                "amount": str(SHARES_EACH),
                "payment_method": Application.PaymentMethod.BANK_TRANSFER,
                "read_risk_warning": "on",
                "may_lose_money": "on",
                "withdrawals_can_be_suspended": "on",
            },
        }

    async def send(session, key):
        form = forms.get(key)
        if form is None:
            return
        begun = time.perf_counter()
        async with session.post(
            base + path, data=form["data"], allow_redirects=False, headers=cookies(key, form["cookie"])
        ) as response:
            await response.read()
        posts.append(time.perf_counter() - begun)
        if response.status == 302 and done_prefix in response.headers.get("Location", ""):
            outcomes["made"] += 1
        elif response.status == 200:
            outcomes["refused"] += 1  # the form again, saying what is left of the offer
        else:
            outcomes["error"] += 1

    forms_seconds = await run_all(open_form)
    # The workers' database connections are open by now (persistent): their backends are counted.
    before = cpu()
    rush_seconds = await run_all(send)
    after = cpu()
    await connector.close()
    return {
        "forms_seconds": forms_seconds,
        "elapsed": rush_seconds,
        "posts": posts,
        "pages": pages,
        "cpu": {part: after[part] - before[part] for part in after},
        **outcomes,
    }


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    tasks = Path(f"/proc/{pid}/task")
    return [int(child) for task in tasks.iterdir() for child in (task / "children").read_text().split()]


def cpu_by_part(server: subprocess.Popen, database_name: str) -> dict[str, float]:
    """CPU seconds so far of the gunicorn workers, this load generator, and the PostgreSQL
    backends serving the throwaway database (found by their process titles)."""
    backends = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres:") and f" {database_name} ".encode() in title:
                backends.append(int(entry.name))
    return {
        "gunicorn": sum(cpu_seconds(pid) for pid in children_of(server.pid)),
        "generator": time.process_time(),
        "postgres": sum(cpu_seconds(pid) for pid in backends),
    }


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] * 1000 if values else 0.0


def main():
    with throwaway_postgres("http_rush") as database_name:
        load = os.getloadavg()
        offer, keys = seed(USERS)
        server = serve(database_name)
        try:
            asyncio.run(wait_for(f"http://127.0.0.1:{PORT}/"))
            result = asyncio.run(drive(offer, keys, lambda: cpu_by_part(server, database_name)))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        offer.refresh_from_db()
        live = Application.objects.filter(offer=offer, state__in=Application.LIVE_STATES)
        applied = live.aggregate(total=Sum("shares"))["total"] or 0
        oversold = max(0, offer.shares_reserved - offer.capacity_shares) + max(
            0, applied - offer.capacity_shares
        )
        answered = len(result["posts"])
        print(
            f"http_rush: gunicorn {WORKERS} sync workers, {CLIENTS} clients, {USERS:,} investors, "
            f"PostgreSQL {connection.pg_version // 10000}, {os.cpu_count()} cores, "
            f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        print(
            f"  over HTTP: {answered / result['elapsed']:.0f} applications/s answered "
            f"({result['made']:,} made, {result['refused']:,} refused as sold out, {result['error']} errors) "
            f"in {result['elapsed']:.1f} s"
        )
        posts, pages = result["posts"], result["pages"]
        print(
            f"  opening the form first: {len(pages) / result['forms_seconds']:.0f} pages/s, "
            + ", ".join(f"p{p} {percentile(pages, p):.0f} ms" for p in (50, 95, 99))
        )
        print(
            "  the rush, POST latency: "
            + ", ".join(f"p{p} {percentile(posts, p):.0f} ms" for p in (50, 95, 99))
        )
        cpu_ms = {part: seconds * 1000 / max(answered, 1) for part, seconds in result["cpu"].items()}
        print(
            "  CPU per POST in the rush: "
            + ", ".join(f"{part} {ms:.1f} ms" for part, ms in cpu_ms.items())
            + f" ({os.cpu_count()} cores give at most {os.cpu_count() * 1000 / sum(cpu_ms.values()):.0f}/s)"
        )
        print(
            f"  offer: {offer.capacity_shares:,} shares, {offer.shares_reserved:,} reserved, "
            f"{applied:,} applied for: oversold {oversold}"
        )
        print(f"  service only (apply_for_shares, 8 processes): {service_rate(8):.0f} applications/s")
        print(f"  raw conditional UPDATE (8 processes): {baseline_rate(8, _dsn(database_name)):.0f} /s")


def _dsn(database_name: str) -> str:
    settings_dict = connection.settings_dict
    return (
        f"host={settings_dict['HOST'] or 'localhost'} port={settings_dict['PORT'] or 5432} "
        f"user={settings_dict['USER']} dbname={database_name}"
    )


if __name__ == "__main__":
    main()
