"""How many applications per second the first-come reservation path sustains on PostgreSQL.

Runs `apply_for_shares` (the whole service: locks, limit checks, the conditional UPDATE, the
application row and its audit entry, one transaction each) from 1, 8 and 32 concurrent
clients, each a separate process with its own connection as web workers would be, and
beside it a raw-SQL baseline: the same conditional UPDATE alone, from as many clients.
Then a sell-out: 32 clients racing for the last shares of a small offer, counting how many
shares were reserved against its capacity.

Then `allocate_offer` of a closed first-come offer with ALLOCATE paid applications (10,000),
each from its own holder (seeded in bulk), and `verify_register` on the register it wrote.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python bench/offer_rush.py [allocate]
(`allocate` runs only the allocation.)
It creates and drops its own throwaway database (<name>_bench), never touching the named one.
"""

import contextlib
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402

from bench.throwaway_db import throwaway_postgres  # noqa: E402
from investors.applications.services import apply_for_shares  # noqa: E402
from investors.errors import PaymentError  # noqa: E402
from investors.models import Application  # noqa: E402
from tests import factories  # noqa: E402
from tests.factories import gbp  # noqa: E402

CLIENTS = (1, 8, 32)
ALLOCATE = int(os.environ.get("BENCH_ALLOCATE", "10000"))
APPLICATIONS_PER_RUN = 1600
BASELINE_UPDATES_PER_RUN = 16000


def run_clients(clients: int, work, per_client: int) -> float:
    """Fork `clients` processes (like web workers, each with its own connection) that each call
    `work(client, i)` `per_client` times; return the wall-clock seconds from the common start."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    failures = context.Queue()

    def client(number):
        try:
            barrier.wait()
            for i in range(per_client):
                work(number, i)
        except Exception as error:  # noqa: BLE001 - reported by the parent
            failures.put(repr(error))
        finally:
            connection.close()

    connection.close()  # children must not share the parent's socket
    processes = [context.Process(target=client, args=(n,)) for n in range(clients)]
    for process in processes:
        process.start()
    barrier.wait()
    started = time.perf_counter()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    if not failures.empty():
        raise RuntimeError(failures.get())
    return elapsed


def service_rate(clients: int) -> float:
    per_client = APPLICATIONS_PER_RUN // clients
    offer = factories.OpenOfferFactory(
        maximum_target=gbp(10_000_000), maximum_per_investor=gbp(10_000), minimum_per_investor=gbp(1)
    )
    holders = [factories.HolderFactory.create_batch(per_client) for _ in range(clients)]

    def work(client, i):
        apply_for_shares(
            offer=offer,
            holder=holders[client][i],
            payment_method=Application.PaymentMethod.BANK_TRANSFER,
            shares=10,
        )

    return clients * per_client / run_clients(clients, work, per_client)


def baseline_rate(clients: int, dsn: str) -> float:
    per_client = BASELINE_UPDATES_PER_RUN // clients
    offer = factories.OpenOfferFactory(maximum_target=gbp(10_000_000))
    capacity = offer.capacity_shares
    own = {}

    def work(client, i):
        if "conn" not in own:
            own["conn"] = psycopg.connect(dsn, autocommit=True)
        own["conn"].execute(
            "UPDATE capital_offer SET shares_reserved = shares_reserved + %s "
            "WHERE id = %s AND state = 'open' AND shares_reserved <= %s",
            (10, offer.pk, capacity - 10),
        )

    return clients * per_client / run_clients(clients, work, per_client)


def sell_out(clients: int = 32) -> tuple[int, int, int, int, float]:
    offer = factories.OpenOfferFactory(maximum_target=gbp(5000), maximum_per_investor=gbp(10_000))
    per_client = 40
    holders = [factories.HolderFactory.create_batch(per_client) for _ in range(clients)]

    def work(client, i):
        with contextlib.suppress(PaymentError):  # refused: the offer is full
            apply_for_shares(
                offer=offer,
                holder=holders[client][i],
                payment_method=Application.PaymentMethod.BANK_TRANSFER,
                shares=10,
            )

    seconds = run_clients(clients, work, per_client)
    offer.refresh_from_db()
    accepted = Application.objects.filter(offer=offer).count()
    return accepted, clients * per_client - accepted, offer.shares_reserved, offer.capacity_shares, seconds


def allocation(count: int = ALLOCATE) -> tuple[float, int, bool]:
    """Seconds to allocate `count` paid applications; the entries written; whether the register verifies."""
    import datetime

    from django.utils import timezone

    from capital.models import Offer
    from investors.applications.allocation import allocate_offer, preview_allocation
    from investors.models import Payment
    from shares.models import Holder, LedgerEntry
    from shares.services.verification import verify_register

    offer = factories.OpenOfferFactory(
        maximum_target=gbp(10_000_000), maximum_per_investor=gbp(10_000), minimum_target=gbp(1000)
    )
    holders = Holder.objects.bulk_create(
        [
            Holder(
                name=f"Allocated investor {n}",
                email=f"allocated{n}@example.org",
                postal_address="1 Mill Lane, Hebden Bridge HX7 8AA",
                date_of_birth=datetime.date(1980, 1, 1),
            )
            for n in range(count)
        ],
        batch_size=5000,
    )
    now = timezone.now()
    applications = Application.objects.bulk_create(
        [
            Application(
                offer=offer,
                holder=holder,
                shares=10 + n % 90,
                amount=gbp(10 + n % 90),
                payment_method=Application.PaymentMethod.BANK_TRANSFER,
                payment_reference=f"CS-B{n:07d}",
                state=Application.State.PAID,
                paid_at=now,
                holds_reservation=True,
            )
            for n, holder in enumerate(holders)
        ],
        batch_size=5000,
    )
    Payment.objects.bulk_create(
        [
            Payment(
                application=application,
                method=application.payment_method,
                amount=application.amount,
                provider_reference=f"LINE-{application.pk}",
                received_on=now.date(),
            )
            for application in applications
        ],
        batch_size=5000,
    )
    Offer.objects.filter(pk=offer.pk).update(
        state=Offer.State.CLOSED,
        shares_reserved=sum(application.shares for application in applications),
        closes_at=now - datetime.timedelta(days=1),
    )
    offer.refresh_from_db()
    started = time.perf_counter()
    preview_allocation(offer)  # the board's confirmation page, read before allocating
    previewed = time.perf_counter() - started
    started = time.perf_counter()
    allocate_offer(offer=offer, by=None)
    seconds = time.perf_counter() - started
    entries = LedgerEntry.objects.filter(society=offer.society).count()
    return previewed, seconds, entries, verify_register(offer.society).ok


def main():
    if sys.argv[1:] == ["allocate"]:
        with throwaway_postgres("offer_rush"):
            previewed, seconds, entries, verified = allocation()
            print(f"preview_allocation, {ALLOCATE:,} paid applications: {previewed:.2f} s")
            print(
                f"allocate_offer, {ALLOCATE:,} paid applications: {seconds:.2f} s, "
                f"{entries:,} register entries, register {'verifies' if verified else 'DOES NOT VERIFY'}"
            )
        return
    with throwaway_postgres("offer_rush") as test_name:
        settings = connection.settings_dict
        dsn = (
            f"host={settings['HOST'] or 'localhost'} port={settings['PORT'] or 5432} "
            f"user={settings['USER']} dbname={test_name}"
        )
        cores = os.cpu_count()
        print(f"offer_rush on PostgreSQL {connection.pg_version // 10000}, {cores} cores")
        print(f"{'clients':>8} {'apply_for_shares /s':>20} {'raw conditional UPDATE /s':>26}")
        for clients in CLIENTS:
            service = service_rate(clients)
            baseline = baseline_rate(clients, dsn)
            print(f"{clients:>8} {service:>20.0f} {baseline:>26.0f}")
        accepted, refused, reserved, capacity, seconds = sell_out()
        print(
            f"sell-out, 32 clients x 40 tries of 10 shares against {capacity} shares: "
            f"{accepted} accepted, {refused} refused, {reserved} reserved "
            f"({'oversold!' if reserved > capacity else 'not oversold'}), {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
