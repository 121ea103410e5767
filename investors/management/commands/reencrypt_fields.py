from allauth.mfa.models import Authenticator
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from capital.encryption import encrypt_stored, encrypted_fields_of
from investors.accounts.secrets import encrypt_authenticator_secrets


class Command(BaseCommand):
    help = (
        "Write every encrypted value (dates of birth, bank details, two-factor secrets) again with the "
        "first of FIELD_ENCRYPTION_KEYS: run after putting a new key first, before dropping the old one."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            for model in apps.get_models():
                fields = encrypted_fields_of(model)
                if fields:
                    count = encrypt_stored(model, fields)
                    self.stdout.write(f"{model._meta.label}: {count} rows written with the first key.")
            count = encrypt_authenticator_secrets(Authenticator)
            self.stdout.write(f"Two-factor authenticators: {count} written with the first key.")
