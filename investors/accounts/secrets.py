"""Two-factor secrets at rest: an authenticator app's key and the seed of recovery codes are
stored encrypted (the MFA adapter's `encrypt`/`decrypt`, capital/encryption.py). These write the
rows stored before that, and again after a key rotation."""

from capital import encryption

SECRET_KEYS = ("secret", "seed")  # allauth's TOTP key, its recovery codes' seed
SECRET_LISTS = ("migrated_codes",)  # recovery codes carried over from another library, if any


def _each_secret(data: dict, change) -> dict:
    data = dict(data)
    for key in SECRET_KEYS:
        if isinstance(data.get(key), str):
            data[key] = change(data[key])
    for key in SECRET_LISTS:
        if isinstance(data.get(key), list):
            data[key] = [change(code) if isinstance(code, str) else code for code in data[key]]
    return data


def _encrypted(text: str) -> str:
    """Encrypted with the first key, whether it was plain or encrypted with any key before."""
    return encryption.encrypt(encryption.decrypt(text) if encryption.is_encrypted(text) else text)


def encrypt_authenticator_secrets(authenticator_model, *, using: str = "default") -> int:
    """Store every authenticator's secrets encrypted with the first key. Returns how many changed."""
    manager = authenticator_model._default_manager.db_manager(using)
    written = 0
    for authenticator in manager.iterator():
        data = _each_secret(authenticator.data, _encrypted)
        if data != authenticator.data:
            manager.filter(pk=authenticator.pk).update(data=data)
            written += 1
    return written


def decrypt_authenticator_secrets(authenticator_model, *, using: str = "default") -> None:
    """Undo it (the migration run backwards)."""
    manager = authenticator_model._default_manager.db_manager(using)
    for authenticator in manager.iterator():
        data = _each_secret(
            authenticator.data,
            lambda text: encryption.decrypt(text) if encryption.is_encrypted(text) else text,
        )
        manager.filter(pk=authenticator.pk).update(data=data)
