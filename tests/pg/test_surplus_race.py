"""Real threads against real PostgreSQL: two directors approving one surplus run at once."""

import datetime
from decimal import Decimal as D

import pytest

from investors.errors import SurplusRunError
from investors.models import DistributionRun, SurplusRun
from investors.surplus.services import approve_surplus_run, start_surplus_run
from shares.models import LedgerEntry
from shares.services.verification import verify_register
from tests.builders import COOP_YEAR_END, fairshares_coop
from tests.pg.conftest import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_approvals_of_one_surplus_run_write_its_register_entries_once():
    coop = fairshares_coop()
    run = start_surplus_run(society=coop.society, year_end=COOP_YEAR_END, surplus=D("10000.00"))
    entries_before = LedgerEntry.objects.count()

    outcomes = run_concurrently(
        lambda _: approve_surplus_run(run=run, by=None, on_date=datetime.date(2024, 4, 30)), range(4)
    )

    approved = [outcome for outcome in outcomes if isinstance(outcome, SurplusRun)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, SurplusRunError)]
    assert len(approved) == 1 and len(refused) == 3, outcomes
    assert all("cannot become approved" in str(error) for error in refused)
    assert SurplusRun.objects.get().state == SurplusRun.State.APPROVED
    assert DistributionRun.objects.get().state == DistributionRun.State.APPROVED
    assert LedgerEntry.objects.count() == entries_before + 3, "three members' shares, issued once"
    assert verify_register(coop.society).ok
