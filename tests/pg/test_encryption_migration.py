"""The migrations that encrypt personal data at rest, on PostgreSQL (where a date column becomes
text): rows held in plain columns come out encrypted, and run backwards they are plain again."""

import datetime

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from capital import encryption
from investors.models import PayoutAccount
from shares.models import Holder
from tests import factories
from tests.builders import board_seat
from tests.factories.capital import TOTP_SECRET

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
BEFORE = [("shares", "0004_holding_limit_exemptions"), ("investors", "0016_daily_runs")]
AFTER = [("shares", "0005_encrypt_date_of_birth"), ("investors", "0017_encrypt_personal_data")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def raw(sql: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def test_plain_rows_are_encrypted_by_the_migration_and_plain_again_when_it_is_reversed(society):
    holder = factories.HolderFactory(date_of_birth=datetime.date(1984, 7, 9))
    account = PayoutAccount.objects.create(holder=holder, sort_code="401234", account_number="12345678")
    director = board_seat(society=society, role="director")

    migrate(BEFORE)
    try:
        assert raw("SELECT date_of_birth FROM shares_holder WHERE id = %s", holder.pk) == datetime.date(
            1984, 7, 9
        )
        assert raw("SELECT sort_code FROM investors_payoutaccount WHERE id = %s", account.pk) == "401234"
        assert (
            raw(
                "SELECT data->>'secret' FROM mfa_authenticator WHERE user_id = %s AND type = 'totp'",
                director.pk,
            )
            == TOTP_SECRET
        )
    finally:
        migrate(AFTER)

    stored_birth = raw("SELECT date_of_birth FROM shares_holder WHERE id = %s", holder.pk)
    stored_code = raw("SELECT sort_code FROM investors_payoutaccount WHERE id = %s", account.pk)
    secret = Authenticator.objects.get(user=director, type=Authenticator.Type.TOTP).data["secret"]
    assert stored_birth.startswith(encryption.FERNET_PREFIX) and "1984" not in stored_birth
    assert stored_code.startswith(encryption.FERNET_PREFIX)
    assert encryption.decrypt(secret) == TOTP_SECRET
    assert Holder.objects.get(pk=holder.pk).date_of_birth == datetime.date(1984, 7, 9)
    assert PayoutAccount.objects.get(pk=account.pk).sort_code == "401234"
