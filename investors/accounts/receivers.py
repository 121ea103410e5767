"""Where allauth's account events meet our side of them (`investors.accounts.services`):
a verified first address links its register record, a verified new address moves the login and
the register record and tells the old address, and an address the board typed in is trusted."""

from allauth.account.signals import email_changed, email_confirmed
from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from investors.accounts import services as accounts


@receiver(email_confirmed, dispatch_uid="investors.accounts.address_confirmed")
def _address_confirmed(sender, request, email_address, **kwargs):
    accounts.address_confirmed(email_address=email_address)


@receiver(email_changed, dispatch_uid="investors.accounts.login_address_changed")
def _login_address_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    if from_email_address is None:  # the first address of a sign-up, not a change
        return
    accounts.login_address_changed(
        user=user, old_email=from_email_address.email, new_email=to_email_address.email
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="investors.accounts.board_address")
def _address_typed_by_the_board(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw and (update_fields is None or "email" in update_fields):
        accounts.trust_address_typed_by_the_board(instance)
