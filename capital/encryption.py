"""Personal data encrypted at rest: dates of birth, payout bank details and two-factor secrets.

The fields are django-fernet-encrypted-fields' (Fernet: AES in CBC mode with an HMAC), whose keys
are derived from `SECRET_KEY` (and `SECRET_KEY_FALLBACKS`) with each of `FIELD_ENCRYPTION_KEYS`
(settings `SALT_KEY`, read from the environment). Values are written with the first key and read
with any of them, so a key is rotated by putting the new one first, re-encrypting
(`manage.py reencrypt_fields`), then dropping the old one (docs/deploy.md).

Four things differ from the library's own fields, both kept here:
- an empty value stays an empty string (the library would store NULL, which text columns that
  are never NULL refuse, and a blank sort code hides nothing);
- cleaning a value (a form, `full_clean`) that fails validation leaves reading as it was (the
  library's own cleaning left every later read returning the stored token);
- a stored token that no configured key opens raises `EncryptionKeyMissing` instead of being
  read as if it were the value;
- the keys follow the settings as they are now, rather than as they were when a field was first
  used, so a process (or a test) that changes them uses the new ones at once.
"""

import functools

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from encrypted_fields import fields


@functools.cache
def _crypter(secret_keys: tuple[str, ...], salt_keys: tuple[str, ...]) -> MultiFernet:
    keys = fields.EncryptedTextField().keys  # the library's derivation, from the settings below
    return MultiFernet([fields.Fernet(key) for key in keys])


def crypter() -> MultiFernet:
    """The Fernet keys of the settings as they are now (derived once per set of keys)."""
    salt = settings.SALT_KEY
    salt_keys = tuple(salt) if isinstance(salt, list | tuple) else (salt,)
    secret_keys = (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))
    return _crypter(secret_keys, salt_keys)


def encrypt(text: str) -> str:
    return crypter().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The text, or `EncryptionKeyMissing` when no configured key opens it."""
    try:
        return crypter().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise EncryptionKeyMissing() from None


def is_encrypted(text: str) -> bool:
    try:
        decrypt(text)
    except EncryptionKeyMissing:
        return False
    return True


class EncryptionKeyMissing(Exception):
    def __init__(self):
        super().__init__(
            "A value stored encrypted cannot be read with the keys configured: put the key it was "
            "written with back in FIELD_ENCRYPTION_KEYS (and SECRET_KEY_FALLBACKS, if SECRET_KEY changed)."
        )


FERNET_PREFIX = "gAAAAA"  # how every Fernet token begins (its version byte and timestamp)


class _CurrentKeys:
    @property
    def f(self):
        return crypter()

    def to_python(self, value):
        # A token no configured key opens is an error, never shown or saved as if it were the value.
        # (Plain values, as rows held before they were encrypted, still read as they are.)
        if (
            isinstance(value, str)
            and value.startswith(FERNET_PREFIX)
            and not hasattr(self, "_already_decrypted")
        ):
            value = decrypt(value)
        return super().to_python(value)

    def clean(self, value, model_instance):
        # The library marks the field "already decrypted" while cleaning and forgets to unmark it
        # when validation fails, after which every read in the process returned the token. A value
        # being cleaned is plain (a date, six digits...), and reading a plain value leaves it as it
        # is, so no mark is needed.
        return super(fields.EncryptedFieldMixin, self).clean(value, model_instance)

    def get_prep_value(self, value):
        if value == "":
            return ""
        return super().get_prep_value(value)


class EncryptedCharField(_CurrentKeys, fields.EncryptedCharField):
    pass


class EncryptedDateField(_CurrentKeys, fields.EncryptedDateField):
    pass


def encrypt_stored(model, field_names: list[str], *, using: str = "default") -> int:
    """Write every stored value of `field_names` again, encrypted with the first key: after a
    migration turns a plain column into an encrypted one, and after a new key is put first.
    Returns how many rows were written."""
    manager = model._default_manager.db_manager(using)
    written = 0
    for row in manager.only("pk", *field_names).iterator():
        values = {name: getattr(row, name) for name in field_names}
        if any(value not in (None, "") for value in values.values()):
            manager.filter(pk=row.pk).update(**values)
            written += 1
    return written


def decrypt_stored(model, field_names: list[str], schema_editor) -> None:
    """Undo `encrypt_stored` (a migration run backwards): plain text again, as a date column's
    or a plain column's cast expects."""
    connection = schema_editor.connection
    table = schema_editor.quote_name(model._meta.db_table)
    if connection.vendor == "postgresql":
        # The column's type changes next, in this transaction: no deferred check may be pending then.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for row in model._default_manager.db_manager(connection.alias).only("pk", *field_names).iterator():
        for name in field_names:
            value = getattr(row, name)
            if value in (None, ""):
                continue
            column = schema_editor.quote_name(model._meta.get_field(name).column)
            plain = value.isoformat() if hasattr(value, "isoformat") else str(value)
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [plain, row.pk])


def encrypted_fields_of(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields if isinstance(field, _CurrentKeys)]
