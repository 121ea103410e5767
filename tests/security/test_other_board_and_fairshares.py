"""The access matrix's hostile case for shares changing hands and the FairShares surplus: another
society's board (director, secretary and treasurer, each with two-factor) guesses the ids and
URLs of this society's transfers, redemptions, redemption fund, nominations, estates, surplus
runs and surplus rules in the admin. Every page and every action answers 404, whether read
(GET) or tried (POST), and nothing changes: no state, no register entry, no audit entry, no fund
movement. (tests/security/test_access_matrix.py walks every URL with an empty world; this one
fills the world with the objects these URLs name.)"""

import datetime
import re
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from capital.admin_actions import object_actions_for, object_links_for
from capital.models import AuditEntry, ShareClass, Society, SurplusRules
from investors.estates.admin import VIEWSETS as ESTATE_VIEWSETS
from investors.estates.services import pass_nominated_property, record_death
from investors.models import (
    ContributionImport,
    Estate,
    EstateTransmission,
    Nomination,
    RedemptionFund,
    RedemptionFundMovement,
    RedemptionRequest,
    SurplusRun,
    TransferRequest,
)
from investors.nominations.admin import VIEWSETS as NOMINATION_VIEWSETS
from investors.nominations.services import NomineeDetails, make_nomination
from investors.redemptions.admin import VIEWSETS as REDEMPTION_VIEWSETS
from investors.redemptions.services import request_redemption, set_aside
from investors.surplus.admin import VIEWSETS as SURPLUS_VIEWSETS
from investors.surplus.services import start_surplus_run
from investors.transfers.admin import VIEWSETS as TRANSFER_VIEWSETS
from investors.transfers.services import accept_transfer, acceptance_link, request_transfer
from shares.models import Holding, LedgerEntry
from tests import factories
from tests.builders import COOP_YEAR_END, board_seat, fairshares_coop, issue
from tests.factories import gbp

pytestmark = pytest.mark.django_db

VIEWSETS = (
    *TRANSFER_VIEWSETS,
    *REDEMPTION_VIEWSETS,
    *NOMINATION_VIEWSETS,
    *ESTATE_VIEWSETS,
    *SURPLUS_VIEWSETS,
)
OBJECT_VIEWS = ("inspect", "edit", "delete", "history", "usage")
# What a form on an action page might ask for, so a POST is refused by the scoping, not the form.
ACTION_DATA = {
    "reason": "Guessing",
    "budget": "100000",
    "amount": "500",
    "note": "Guessing",
    "reference": "GUESS-1",
    "paid_on": "2024-06-01",
    "died_on": "2024-06-01",
    "evidence": "A guess",
    "name": "Someone Else",
    "postal_address": "1 Elsewhere",
    "authority": "probate",
}


@pytest.fixture
def society_a():
    """A FairShares society with one of everything the board decides on, each waiting."""
    coop = fairshares_coop()
    society = coop.society
    director = board_seat(society=society, role="director")
    secretary = board_seat(society=society, role="secretary")
    investor = coop.investor
    investor.redemption_minimum_holding_years = 1
    investor.save(update_fields=["redemption_minimum_holding_years"])

    fay = coop.members["Fay"]
    fay.user = factories.UserFactory()
    fay.save(update_fields=["user"])
    transfer = request_transfer(
        holder=fay,
        share_class=investor,
        shares=100,
        price=D("100.00"),
        receiver_name="Rae Newcomer",
        receiver_email="rae@example.org",
        by=fay.user,
    )
    accept_transfer(
        token=acceptance_link(transfer).rstrip("/").rsplit("/", 1)[-1],
        details={
            "name": "Rae Newcomer",
            "postal_address": "1 Lane",
            "date_of_birth": datetime.date(1990, 1, 1),
        },  # noqa: E501
    )
    set_aside(share_class=investor, amount=gbp(1000), by=director)
    request_redemption(holder=coop.members["Gus"], share_class=investor, shares=200)

    nominee = NomineeDetails(
        name="Nia Nominee",
        postal_address="3 Hill Road",
        relationship="child",
        percent=D("100"),
        date_of_birth=datetime.date(1995, 7, 1),
    )
    hal = factories.HolderFactory(name="Hal", email="hal@example.org")
    issue(holder=hal, share_class=investor, shares=50, on=datetime.date(2023, 1, 1))
    make_nomination(holder=hal, society=society, nominees=[nominee])
    estate = record_death(
        holder=hal,
        society=society,
        died_on=datetime.date(2024, 6, 1),
        evidence="Death certificate seen",
        by=secretary,
    )
    pass_nominated_property(estate=estate, by=secretary)
    record_death(
        holder=coop.members["Ed"],
        society=society,
        died_on=datetime.date(2024, 6, 2),
        evidence="Death certificate seen",
        by=secretary,
    )
    start_surplus_run(society=society, year_end=COOP_YEAR_END, surplus=D("10000.00"))
    assert EstateTransmission.objects.exists(), "the nominated property passed to the nominee"
    return coop


def other_boards():
    other = factories.SocietyFactory(name="Other Valley Co-operative")
    return {role: board_seat(society=other, role=role) for role in ("director", "secretary", "treasurer")}


def snapshot() -> dict:
    """Everything a refused page or action must leave as it was."""
    return {
        "states": {
            model.__name__: sorted(model.objects.values_list("pk", "state"))
            for model in (TransferRequest, RedemptionRequest, Nomination, SurplusRun)
        },
        "estates": sorted(Estate.objects.values_list("pk", "state", "representative_name")),
        "transmissions": sorted(EstateTransmission.objects.values_list("pk", "paid_on", "paid_reference")),
        "ledger": LedgerEntry.objects.count(),
        "audit": AuditEntry.objects.count(),
        "holdings": sorted(Holding.objects.values_list("pk", "shares")),
        "fund": sorted(RedemptionFund.objects.values_list("pk", "balance")),
        "movements": RedemptionFundMovement.objects.count(),
        "imports": ContributionImport.objects.count(),
        "rules": sorted(
            SurplusRules.objects.values_list("pk", "labour_percent", "user_percent", "investor_percent")
        ),
    }


def admin_targets(coop) -> list[str]:
    """Every admin page naming one of society A's objects, and every action on them."""
    urls = []
    for viewset in VIEWSETS:
        model = viewset.model
        prefix = f"/admin/{model._meta.model_name}"
        actions = [action.name for action in (*viewset.object_actions, *object_actions_for(model))]
        rows = list(model.objects.values_list("pk", flat=True))
        assert rows, f"society A has a {model.__name__} to guess at"
        for pk in rows:
            urls += [f"{prefix}/{view}/{pk}/" for view in OBJECT_VIEWS]
            urls += [f"{prefix}/action/{name}/{pk}/" for name in actions]
    for model, instances in (
        (ShareClass, ShareClass.objects.filter(society=coop.society)),
        (Holding, Holding.objects.filter(share_class__society=coop.society)),
        (Society, [coop.society]),
    ):
        for instance in instances:
            prefix = f"/admin/{model._meta.model_name}"
            urls += [f"{prefix}/action/{action.name}/{instance.pk}/" for action in object_actions_for(model)]
    rules = coop.rules
    urls += [f"/admin/surplusrules/{view}/{rules.pk}/" for view in OBJECT_VIEWS]
    urls += [f"/admin/surplus/{run.pk}/payment-file/" for run in SurplusRun.objects.all()]
    urls += [f"/admin/redemptions/{coop.investor.pk}/payment-file/"]
    urls += [f"/admin/nominations/{coop.society.pk}/book.pdf"]
    return urls


def test_another_societys_board_gets_404_for_every_page_and_action_and_changes_nothing(society_a):
    coop = society_a
    urls = admin_targets(coop)
    links = [link.url_name for model in (ShareClass, Society) for link in object_links_for(model)]
    assert {"redemption_payment_file", "nominations_book_pdf"} <= set(links)
    assert len(urls) > 100, "the world has something behind each URL"
    boards = other_boards()
    before = snapshot()

    answered = []
    for role, user in boards.items():
        client = Client()
        client.force_login(user)
        assert client.get("/admin/").status_code == 200, "a board member with two-factor is let in"
        for url in urls:
            answered.append((role, "GET", url, client.get(url).status_code))
            answered.append((role, "POST", url, client.post(url, ACTION_DATA).status_code))

    not_found = [answer for answer in answered if answer[3] != 404]
    assert not not_found, not_found
    assert snapshot() == before


def rows_listed(body: str) -> int:
    """How many rows the page's listing (Wagtail's `table.listing`) shows."""
    listing = re.search(r'<table[^>]*class="[^"]*\blisting\b.*?<tbody[^>]*>(.*?)</tbody>', body, re.DOTALL)
    return len(re.findall(r"<tr[\s>]", listing.group(1))) if listing else 0


def test_another_societys_board_sees_none_of_its_rows_in_the_admin_lists(society_a):
    coop = society_a
    models = [viewset.model for viewset in VIEWSETS] + [SurplusRules]
    lists = {f"/admin/{model._meta.model_name}/": model for model in models}

    own_board = Client()
    own_board.force_login(board_seat(society=coop.society, role="director"))
    for url, model in lists.items():
        body = own_board.get(url).content.decode()
        assert rows_listed(body) == model.objects.count() > 0, f"the count works: A's own board sees {url}"
    for role, user in other_boards().items():
        client = Client()
        client.force_login(user)
        for url, model in lists.items():
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            body = response.content.decode()
            assert rows_listed(body) == 0, (role, url)
            # A row's text (its "More options for '…'" button says it) appears nowhere either.
            assert not [row for row in model.objects.all() if escape(str(row)) in body], (role, url)


def test_another_societys_board_cannot_start_a_run_or_import_contributions_for_it(society_a):
    coop = society_a
    boards = other_boards()
    before = snapshot()
    for role, user in boards.items():
        client = Client()
        client.force_login(user)
        started = client.post(
            "/admin/surplus/start/",
            {"society": coop.society.pk, "year_end": "2023-12-31", "surplus": "99999.00"},
        )
        if role == "secretary":  # a role that may start no run anywhere is not offered the form
            assert (started.status_code, started["Location"]) == (302, "/admin/"), role
        else:
            assert started.status_code == 200, role
            assert "Select a valid choice" in started.content.decode(), role
        upload = SimpleUploadedFile("labour.csv", b"email,hours\nann@example.org,9999\n", "text/csv")
        imported = client.post(
            "/admin/surplus/contributions/",
            {"society": coop.society.pk, "part": "labour", "year_end": "2023-12-31", "contributions": upload},
        )
        assert imported.status_code == 200, role
        assert "Select a valid choice" in imported.content.decode(), role
    assert snapshot() == before
