"""On PostgreSQL the database itself refuses to change or delete a decision entry."""

import pytest
from django.db import DatabaseError, transaction

from capital.decisions import Kind, announce_decision
from governance.models import DecisionEntry
from tests.conftest import run_raw_sql

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("UPDATE governance_decisionentry SET summary = 'Rate 9%%.' WHERE id = %s", "changed"),
        ("DELETE FROM governance_decisionentry WHERE id = %s", "deleted"),
    ],
)
def test_the_database_refuses_to_rewrite_the_record(society, sql, verb):
    announce_decision(society=society, kind=Kind.RATE_DECLARED, summary="Rate 3%.")
    entry = DecisionEntry.objects.get(society=society)
    refused = f"decision record is append-only: its entries cannot be {verb}"
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        run_raw_sql(sql, [entry.pk])
    assert DecisionEntry.objects.get(pk=entry.pk).summary == "Rate 3%."
