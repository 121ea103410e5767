"""The demo society `make run` loads: a working society, and running it again changes nothing."""

import datetime
import io
from decimal import Decimal as D

from django.core.management import call_command

from capital.models import AuditEntry, Offer, ReturnSchedule, ShareClass, Society, SocietyRole, SurplusRules
from investors.models import Application, Contribution, ContributionImport, Payment, SurplusRun
from investors.runs.services import start_run
from shares.models import Holder, Holding, LedgerEntry
from shares.services.membership import voting_roll
from tests.factories import gbp

MODELS = (
    Society,
    SocietyRole,
    ShareClass,
    ReturnSchedule,
    Offer,
    Holder,
    Application,
    Payment,
    LedgerEntry,
    Holding,
    AuditEntry,
    SurplusRules,
    ContributionImport,
    Contribution,
    SurplusRun,
)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_load_demo_builds_a_working_society_and_running_it_again_changes_nothing(db):
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    first = counts()
    society = Society.objects.get(slug="riverside-energy")
    assert (society.financial_year_end_month, society.financial_year_end_day) == (3, 31)
    assert set(SocietyRole.objects.values_list("role", flat=True)) == {"director", "secretary", "treasurer"}
    investor_class = ShareClass.objects.get(society=society, kind="investor")
    assert investor_class.control_rights() == [] and investor_class.return_schedule.pool_percent == 25
    community = ShareClass.objects.get(society=society, kind="community")
    assert community.withdrawable and community.nominal_value == gbp(1)
    assert Offer.objects.filter(state=Offer.State.OPEN, share_class=investor_class).count() == 1
    assert Holding.objects.filter(share_class=community, shares__gt=0).count() == 6
    # The founders, the workers and the customers: each member once, however many classes they hold.
    assert len(voting_roll(society, datetime.date(2026, 4, 1))) == 9
    assert "dina.director / board-demo-2026" in out.getvalue()

    labour = ShareClass.objects.get(society=society, kind="labour")
    user = ShareClass.objects.get(society=society, kind="user")
    assert Holding.objects.filter(share_class=labour, shares=1).count() == 3
    assert Holding.objects.filter(share_class=user, shares=1).count() == 4
    rules = SurplusRules.objects.get(society=society)
    assert (rules.labour_class, rules.user_class, rules.investor_percent) == (labour, user, D("25"))
    assert set(ContributionImport.objects.filter(current=True).values_list("part", "rows")) == {
        ("labour", 3),
        ("user", 4),
    }
    run = SurplusRun.objects.get(society=society)
    assert run.state == SurplusRun.State.DRAFT and run.surplus.amount == D("18000.00")
    assert (run.labour.amount, run.user.amount, run.reserves.amount) == (
        D("6300.00"),
        D("4500.00"),
        D("7200.00"),
    )
    assert sum(run.lines.filter(part="labour").values_list("paid", flat=True)) == run.labour.amount

    # The community class pays interest, and its first year is over: a run can be started at once.
    schedule = community.return_schedule
    assert (schedule.pool_percent, schedule.rate_ceiling_percent) == (None, D("3.00"))
    interest = start_run(share_class=community, year=1)
    assert interest.lines.count() == 6 and interest.paid.amount > 0
    # Each offer has its published page with an offer document; the board edits its own pages.
    for offer in Offer.objects.filter(share_class__society=society).exclude(state=Offer.State.DRAFT):
        assert offer.page.live and offer.page.offer_document is not None, offer
    dina = SocietyRole.objects.get(society=society, role="director").user
    assert society.page.permissions_for_user(dina).can_publish()
    first = counts()  # the run just started is the demo user's, not the demo's

    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert counts() == first
    assert "already loaded; nothing changed" in again.getvalue()
    call_command("verify_register", "riverside-energy", stdout=io.StringIO())


def test_load_demo_prints_the_address_the_site_is_served_at(db, settings):
    settings.WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8311"
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "The site: http://127.0.0.1:8311/  (admin at http://127.0.0.1:8311/admin/)" in out.getvalue()
    assert "127.0.0.1:8000" not in out.getvalue()


def test_a_demo_loaded_before_fairshares_gets_its_worker_and_customer_classes_once(db, monkeypatch):
    from cms.management.commands import load_demo

    with monkeypatch.context() as before_fairshares:
        before_fairshares.setattr(load_demo, "add_fairshares", lambda *, society: False)
        call_command("load_demo", stdout=io.StringIO())
    society = Society.objects.get(slug="riverside-energy")
    assert not ShareClass.objects.filter(society=society, kind__in=["labour", "user"]).exists()

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "added 0 web pages and its worker and customer classes" in out.getvalue()
    assert set(ShareClass.objects.filter(society=society).values_list("kind", flat=True)) >= {
        "labour",
        "user",
    }
    assert (
        sorted(Contribution.objects.filter(batch__current=True).values_list("batch__part", flat=True))
        == ["labour"] * 3 + ["user"] * 4
    )
    assert SurplusRun.objects.get(society=society).state == SurplusRun.State.DRAFT
    loaded = counts()

    call_command("load_demo", stdout=io.StringIO())
    assert counts() == loaded
    call_command("verify_register", "riverside-energy", stdout=io.StringIO())
