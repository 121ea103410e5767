"""Dates of birth, payout bank details and two-factor secrets are encrypted at rest: the database
column never holds the plain value, the site reads it back, a second key reads rows written with
the first, and a row no configured key opens is an error, never shown as if it were the value."""

import datetime
import io

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from capital import encryption
from investors.accounts.secrets import encrypt_authenticator_secrets
from investors.models import Nomination, Nominee, PayoutAccount
from investors.payouts.accounts import PayoutDetails, details_of, save_payout_details
from shares.models import Holder
from tests import factories
from tests.builders import board_seat
from tests.factories.capital import TOTP_SECRET, authenticator_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"  # the factories' password
BORN = datetime.date(1984, 7, 9)
IBAN = "GB82WEST12345698765432"


def stored(table: str, column: str, pk: int) -> str:
    """The value as the database holds it, past every field's conversion."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (our own names)
        return cursor.fetchone()[0]


@pytest.fixture
def holder():
    return factories.HolderFactory(date_of_birth=BORN)


def keys(settings, *salts):
    settings.SALT_KEY = list(salts)


# --- Nothing plain in the database --------------------------------------------------------------


def test_a_date_of_birth_is_stored_encrypted_and_read_back_as_the_date(holder):
    raw = stored("shares_holder", "date_of_birth", holder.pk)

    assert raw.startswith(encryption.FERNET_PREFIX)
    assert "1984" not in raw
    assert Holder.objects.get(pk=holder.pk).date_of_birth == BORN


def test_a_nominee_date_of_birth_is_stored_encrypted(holder):
    nomination = Nomination.objects.create(
        holder=holder, society=factories.SocietyFactory(), made_at=datetime.datetime.now(datetime.UTC)
    )
    nominee = Nominee.objects.create(
        nomination=nomination,
        name="Sam Doe",
        postal_address="1 High Street",
        date_of_birth=datetime.date(2001, 2, 3),
        relationship=Nominee.Relationship.CHILD,
        percent=100,
    )

    assert "2001" not in stored("investors_nominee", "date_of_birth", nominee.pk)
    assert Nominee.objects.get(pk=nominee.pk).date_of_birth == datetime.date(2001, 2, 3)


def test_bank_details_are_stored_encrypted_and_read_back_for_the_payment_file(holder):
    save_payout_details(
        holder=holder,
        details=PayoutDetails(
            account_name="A Holder", sort_code="401234", account_number="12345678", iban=IBAN
        ),
        by=None,
    )
    account = PayoutAccount.objects.get(holder=holder)

    for column, plain in (("sort_code", "401234"), ("account_number", "12345678"), ("iban", IBAN)):
        raw = stored("investors_payoutaccount", column, account.pk)
        assert plain not in raw and raw.startswith(encryption.FERNET_PREFIX), column
    assert details_of(holder) == PayoutDetails(
        account_name="A Holder", sort_code="401234", account_number="12345678", iban=IBAN
    )


def test_blank_bank_details_stay_blank_so_the_sort_code_rule_still_holds(holder):
    save_payout_details(holder=holder, details=PayoutDetails(account_name="A Holder", iban=IBAN), by=None)
    account = PayoutAccount.objects.get(holder=holder)

    assert stored("investors_payoutaccount", "sort_code", account.pk) == ""
    assert PayoutAccount.objects.get(pk=account.pk).sort_code == ""


def test_an_authenticator_app_secret_is_stored_encrypted_and_its_codes_still_log_in(client, society):
    director = board_seat(society=society, role="director")
    authenticator = Authenticator.objects.get(user=director, type=Authenticator.Type.TOTP)

    assert TOTP_SECRET not in str(authenticator.data)
    assert encryption.decrypt(authenticator.data["secret"]) == TOTP_SECRET

    client.post(reverse("account:login"), {"login": director.username, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": authenticator_code()})
    assert client.session["_auth_user_id"] == str(director.pk)


# --- What was held before is encrypted by the migration ------------------------------------------


def test_a_date_of_birth_stored_plain_before_is_encrypted_and_still_reads(holder):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE shares_holder SET date_of_birth = %s WHERE id = %s", ["1984-07-09", holder.pk])
    assert Holder.objects.get(pk=holder.pk).date_of_birth == BORN  # a plain row reads as it is

    written = encryption.encrypt_stored(Holder, ["date_of_birth"])

    assert written == Holder.objects.exclude(date_of_birth=None).count()
    assert "1984" not in stored("shares_holder", "date_of_birth", holder.pk)
    assert Holder.objects.get(pk=holder.pk).date_of_birth == BORN


def test_a_two_factor_secret_stored_plain_before_is_encrypted(society):
    director = board_seat(society=society, role="director")
    Authenticator.objects.filter(user=director).update(data={"secret": TOTP_SECRET})

    encrypt_authenticator_secrets(Authenticator)

    data = Authenticator.objects.get(user=director, type=Authenticator.Type.TOTP).data
    assert data["secret"] != TOTP_SECRET
    assert encryption.decrypt(data["secret"]) == TOTP_SECRET


# --- Rotating the key ---------------------------------------------------------------------------------


def test_with_a_new_key_first_rows_written_with_the_old_one_still_read(settings):
    keys(settings, "old-key")
    holder = factories.HolderFactory(date_of_birth=BORN)
    written_with_old = stored("shares_holder", "date_of_birth", holder.pk)

    keys(settings, "new-key", "old-key")

    assert Holder.objects.get(pk=holder.pk).date_of_birth == BORN
    newer = factories.HolderFactory(date_of_birth=BORN)
    keys(settings, "new-key")
    assert Holder.objects.get(pk=newer.pk).date_of_birth == BORN  # new rows use the first key
    with pytest.raises(encryption.EncryptionKeyMissing):
        Holder.objects.get(pk=holder.pk)  # the old row needs the old key until re-encrypted
    assert stored("shares_holder", "date_of_birth", holder.pk) == written_with_old


def test_reencrypting_moves_every_value_to_the_new_key_so_the_old_one_can_go(settings, society):
    keys(settings, "old-key")
    holder = factories.HolderFactory(date_of_birth=BORN)
    save_payout_details(holder=holder, details=PayoutDetails(iban=IBAN), by=None)
    director = board_seat(society=society, role="director")

    keys(settings, "new-key", "old-key")
    out = io.StringIO()
    call_command("reencrypt_fields", stdout=out)
    keys(settings, "new-key")

    assert Holder.objects.get(pk=holder.pk).date_of_birth == BORN
    assert details_of(holder).iban == IBAN
    secret = Authenticator.objects.get(user=director, type=Authenticator.Type.TOTP).data["secret"]
    assert encryption.decrypt(secret) == TOTP_SECRET
    assert "shares.Holder: " in out.getvalue()


def test_a_value_no_configured_key_opens_is_an_error_not_shown_as_the_value(settings, holder):
    save_payout_details(holder=holder, details=PayoutDetails(iban=IBAN), by=None)

    keys(settings, "a-key-that-wrote-nothing")

    with pytest.raises(encryption.EncryptionKeyMissing, match="FIELD_ENCRYPTION_KEYS"):
        PayoutAccount.objects.get(holder=holder)


def test_a_bank_detail_refused_by_validation_leaves_every_later_read_decrypted(holder):
    other = factories.HolderFactory()
    save_payout_details(
        holder=other, details=PayoutDetails(sort_code="401234", account_number="12345678"), by=None
    )
    with pytest.raises(ValidationError):
        PayoutAccount(holder=holder, sort_code="12-34-56", account_number="12345678").full_clean()

    assert PayoutAccount.objects.get(holder=other).sort_code == "401234"
    assert Holder.objects.get(pk=other.pk).date_of_birth == other.date_of_birth
