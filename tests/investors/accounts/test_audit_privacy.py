"""Personal data kept encrypted at rest (dates of birth, payout bank details) never lands in
the audit trail, whose JSON and summaries are stored and exported in plain text."""

import datetime
import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from capital.models import AuditEntry
from tests import factories
from tests.builders import issue

scrub = importlib.import_module("investors.migrations.0018_scrub_dates_of_birth_from_audit")


def every_audit_row() -> str:
    return "\n".join(
        f"{entry.summary} {json.dumps(entry.data)}" for entry in AuditEntry.objects.order_by("pk")
    )


def written_forms(day: datetime.date) -> list[str]:
    """The ways a date is commonly written, so that none of them slips through."""
    return [
        day.isoformat(),
        f"{day:%Y%m%d}",
        f"{day:%d/%m/%Y}",
        f"{day:%m/%d/%Y}",
        f"{day:%d-%m-%Y}",
        f"{day:%d.%m.%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day.day} {day:%B %Y}",
        f"{day.day} {day:%b %Y}",
        f"{day:%B} {day.day}, {day.year}",
    ]


@pytest.fixture
def investor(db):
    user = factories.UserFactory()
    holder = factories.HolderFactory(
        name="Ada Lovelace", email=user.email, user=user, date_of_birth=datetime.date(1980, 5, 17)
    )
    share_class = factories.InvestorClassFactory()
    issue(holder=holder, share_class=share_class, shares=100, on=datetime.date(2024, 1, 1))
    return user, holder


def test_a_corrected_date_of_birth_is_audited_as_changed_without_either_date(client, investor):
    user, holder = investor
    client.force_login(user)

    response = client.post(
        reverse("account:profile"),
        {"name": "Ada King", "postal_address": holder.postal_address, "date_of_birth": "1981-02-03"},
    )

    assert response.status_code == 302
    holder.refresh_from_db()
    assert holder.date_of_birth == datetime.date(1981, 2, 3)
    entry = AuditEntry.objects.get(action="holder.corrected")
    assert entry.data["changes"] == {
        "name": ["Ada Lovelace", "Ada King"],
        "date_of_birth": "changed (not recorded)",
    }
    assert "date of birth" in entry.summary
    logged = every_audit_row()
    for day in (datetime.date(1980, 5, 17), datetime.date(1981, 2, 3)):
        for form in written_forms(day):
            assert form not in logged, form


def test_payout_bank_details_are_audited_by_their_last_four_digits_only(client, investor):
    user, _ = investor
    client.force_login(user)
    payout = reverse("account:payout")

    client.post(payout, {"account_name": "A Lovelace", "sort_code": "20-45-67", "account_number": "55667788"})
    client.post(payout, {"account_name": "A Lovelace", "iban": "DE89370400440532013000"})

    assert AuditEntry.objects.filter(action="payout_account.changed").count() == 2
    logged = every_audit_row()
    assert "ending 7788" in logged and "ending 3000" in logged
    for secret in ("55667788", "5566 7788", "204567", "20-45-67", "20 45 67", "DE89370400440532013000"):
        assert secret not in logged, secret


def test_the_migration_scrubs_dates_of_birth_from_audit_entries_written_before(investor):
    _, holder = investor
    society = holder.holdings.get().share_class.society
    old = AuditEntry.objects.create(
        society=society,
        actor=None,
        action="holder.corrected",
        summary=f"{holder} corrected their name, date of birth",
        data={
            "holder": holder.pk,
            "changes": {"name": ["A", "B"], "date_of_birth": ["1980-05-17", "1981-02-03"]},
        },
    )
    other = AuditEntry.objects.create(
        society=society, actor=None, action="offer.opened", summary="Opened", data={"date_of_birth": "kept"}
    )

    scrub.scrub_dates_of_birth(apps, SimpleNamespace(connection=connection))

    old.refresh_from_db()
    other.refresh_from_db()
    assert old.data == {
        "holder": holder.pk,
        "changes": {"name": ["A", "B"], "date_of_birth": "changed (not recorded)"},
    }
    assert other.data == {"date_of_birth": "kept"}
