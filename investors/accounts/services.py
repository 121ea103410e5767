"""Investors' accounts: signing up, proving an email address, and keeping their details right.

Signing up, verifying an address and changing it are django-allauth's (`investors.accounts.adapter`
fits it to us); this module holds what we add around it, called from the adapter and from
allauth's signals (`investors.accounts.receivers`).

An account signs in with its email address, which is also its username. Signing up asks only
for a name and an address: the account has no password and no verified address (`email` stays
blank, the address waits as allauth's unverified `EmailAddress`) until someone follows the link
allauth emails to that address and chooses the password on the page it opens. So whoever
controls the mailbox owns the account, and signing up someone else's address first gains
nothing. Only then does `email` hold the address: everywhere else (the board's appointments,
linking a register record) `email` means an address its owner proved, or one the board typed in.

Opening a link (a GET, which mail scanners also make) changes nothing. Nothing here reveals
whether an address has an account: sign-up, "send the link again" and password reset answer the
same either way, and only the mailbox learns more. A new login address waits for its owner to
follow the link sent there, logged in to the account; until then the old address stays in use.
"""

import datetime

from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from capital.services import record_audit, validation_message
from investors.applications.services import link_holder_by_email, societies_of
from investors.errors import AccountError
from investors.notify import email_address
from shares.models import Holder

CORRECTABLE_FIELDS = ("name", "postal_address", "date_of_birth")
SENT_FOR_ANOTHER_ACCOUNT = (
    "This link was sent for another account. Log out, log in to the account whose address you are "
    "changing, and open the link again."
)
# Stored encrypted on the holder: an audit entry says that it changed, never what it is.
UNRECORDED_FIELDS = ("date_of_birth",)
UNRECORDED = "changed (not recorded)"


def link_lifetime_days() -> int:
    return allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS


def link_not_valid() -> str:
    """One answer for a link that was used, has expired, was cut short or never was ours (our own
    links from before allauth sent them): it tells a stranger nothing, and says what to do."""
    return (
        "This link is not valid any more: it may have been used already, have expired (links last "
        f"{link_lifetime_days()} days), or been cut short when it was copied. If you have already "
        "chosen your password, log in; otherwise ask for a new link below."
    )


def normalise_email(value: str) -> str:
    """One spelling per address, so that `Ann@Example.org` cannot sign up a second time."""
    return value.strip().lower()


def user_with_address(email: str):
    """The account that signs in with `email`, or whose verified address it is."""
    email = normalise_email(email)
    users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    return users.order_by("pk").first()


def has_verified_address(user) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def is_awaiting_verification(user) -> bool:
    """Signed up, but nobody has yet followed the link: no verified address, no password. Only
    such an account's address is confirmed from its link alone (choosing the password there)."""
    return not user.email and not user.has_usable_password() and not has_verified_address(user)


def logs_in_unverified(user) -> bool:
    """An account with a password but no verified address (one the board made, perhaps with no
    address at all) logs in with its password: it is not a sign-up waiting for its link, so its
    owner confirms any address of it while logged in, and must be able to log in to do so."""
    return user.has_usable_password() and not has_verified_address(user)


# --- Signing up -----------------------------------------------------------------------------------


def address_has_account(email: str) -> bool:
    """Whether signing up with `email` meets an account: one that signs in with it or has proved
    it (a sign-up still waiting for its link signs in with it). Another account's new address,
    asked for and not yet confirmed, does not count: anyone may type any address there, and it
    must not stop the mailbox's owner signing up. Whichever confirms the address first gets it
    (`complete_sign_up`, `confirm_address`)."""
    email = normalise_email(email)
    if user_with_address(email) is not None:
        return True
    return EmailAddress.objects.filter(email__iexact=email, verified=True).exists()


def pending_sign_up(email: str):
    """The account signed up with `email` that still waits for its link, if any."""
    user = user_with_address(email)
    if user is None or not is_awaiting_verification(user):
        return None
    return user


def keep_sign_up_address(*, user, email: str) -> EmailAddress:
    """The address a new sign-up waits to confirm, as allauth's unverified `EmailAddress`. allauth
    records none when another account has asked for the same address as its new one (it skips
    any address already present): the sign-up still gets its own, and its link."""
    address, _ = EmailAddress.objects.get_or_create(
        user=user, email=normalise_email(email), defaults={"primary": True, "verified": False}
    )
    return address


def sign_up_again(*, email: str, name: str) -> None:
    """Someone signs up with an address that already has an account. If that account still waits
    for its link, the name given now replaces the earlier one (the mailbox's owner may be the one
    signing up now, after someone else used their address); otherwise nothing changes."""
    user = pending_sign_up(email)
    if user is not None and name.strip():
        get_user_model().objects.filter(pk=user.pk).update(first_name=name.strip())


def unverified_address(user) -> EmailAddress | None:
    """The address a pending sign-up waits to confirm."""
    return EmailAddress.objects.filter(user=user, verified=False).order_by("-pk").first()


def resend_verification(*, request, email: str) -> None:
    """Send a fresh link if `email` waits for verification; otherwise do nothing, silently."""
    user = pending_sign_up(email)
    address = unverified_address(user) if user is not None else None
    if address is not None:
        address.send_confirmation(request, signup=True)


def complete_sign_up(*, request, confirmation, password: str, name: str):
    """Verify the address the link was sent to (allauth's confirmation, which links the register
    record through `address_confirmed`), set the password its owner chose (checked by the form
    against the validators) and the name they confirmed. Returns the user.

    The address is locked first and checked again inside the lock, so a link sent twice at once
    (two windows) sets one password; the second is refused.
    """
    with transaction.atomic():
        address = EmailAddress.objects.select_for_update().filter(pk=confirmation.email_address.pk).first()
        if address is None or address.verified or not is_awaiting_verification(address.user):
            raise AccountError(link_not_valid())
        if not address.user.is_active:
            raise AccountError(link_not_valid())
        confirmation.email_address = address
        if confirmation.confirm(request) is None:
            raise AccountError(
                f"Another account already uses {address.email}. Log in to that account, or sign up "
                "with another address."
            )
        user = get_user_model().objects.select_for_update().get(pk=address.user_id)
        user.set_password(password)
        user.first_name = name.strip() or user.first_name
        user.save(update_fields=["password", "first_name"])
    return user


def address_confirmed(*, email_address: EmailAddress) -> Holder | None:
    """An account's first address is proved (its sign-up link was followed, or the board marked it
    verified): link the one register record with that address and no login, if there is one.
    A new login address is handled by `login_address_changed` instead."""
    user = email_address.user
    if EmailAddress.objects.filter(user=user).exclude(pk=email_address.pk).exists():
        return None
    user.refresh_from_db(fields=["email"])
    return link_holder_by_email(user=user)


def trust_address_typed_by_the_board(user) -> None:
    """An address the board typed in (the admin, `createsuperuser`, the demo) counts as verified,
    as it always has: it becomes the account's one address unless another account proved it
    first. Sign-up never puts an unproved address in `email`, so this never trusts one."""
    email = normalise_email(user.email or "")
    if not email or EmailAddress.objects.filter(user=user, email__iexact=email).exists():
        return
    if EmailAddress.objects.filter(email__iexact=email, verified=True).exists():
        return
    with transaction.atomic():
        EmailAddress.objects.filter(user=user).delete()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)


# --- Changing the login address -------------------------------------------------------------------


def request_email_change(*, request, user, new_email: str) -> None:
    """allauth adds `new_email` as the account's new, unverified address (replacing one asked for
    before) and emails it a link; nothing else changes until its owner follows it."""
    new_email = normalise_email(new_email)
    if new_email == normalise_email(user.email):
        raise AccountError(f"{new_email} is already your address.")
    EmailAddress.objects.add_new_email(request, user, new_email)


def confirm_address(*, request, confirmation, user) -> None:
    """`user`, logged in, confirms an address of their own account that is not a sign-up waiting
    for its link (that one is confirmed by `complete_sign_up`): allauth verifies it and makes it
    the account's address (`login_address_changed` does the rest when it replaces one).

    Every account that can log in (it has a password, or a verified address) confirms a new
    address only logged in as itself, never from the link alone: otherwise whoever reads the new
    mailbox (a mistyped address, say) could confirm it, reset the password and own the account.
    """
    with transaction.atomic():
        address = EmailAddress.objects.select_for_update().filter(pk=confirmation.email_address.pk).first()
        if address is None or address.verified or is_awaiting_verification(address.user):
            raise AccountError(link_not_valid())
        if user is None or not user.is_authenticated or address.user_id != user.pk:
            raise AccountError(SENT_FOR_ANOTHER_ACCOUNT)
        other = user_with_address(address.email)
        if other is not None:
            other = None if other.pk == address.user_id else _withdraw_if_pending(other)
        if other is not None or not address.can_set_verified():
            raise AccountError(
                f"Another account already uses {address.email}. "
                "Log in to that account, or choose another address."
            )
        confirmation.email_address = address
        if confirmation.confirm(request) is None:
            raise AccountError(link_not_valid())


def _withdraw_if_pending(user):
    """Another account signed up with the address being confirmed and still waits for its link:
    the address's mailbox chose this account, so that sign-up (no password, no verified address,
    never logged in, so nothing to lose) is withdrawn, and its link no longer works. Returns the
    account if it is not such a sign-up (it keeps the address), else None."""
    user = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    if user is None:
        return None
    if not is_awaiting_verification(user) or user.last_login is not None or _has_anything_to_lose(user):
        return user
    user.delete()
    return None


def _has_anything_to_lose(user) -> bool:
    """Staff, a seat on a board or a register record given by hand: the board knows this
    account, so it is not withdrawn for want of a password."""
    if user.is_staff or user.is_superuser:
        return True
    return user.society_roles.exists() or Holder.objects.filter(user=user).exists()


def login_address_changed(*, user, old_email: str, new_email: str) -> Holder | None:
    """allauth made `new_email` the account's verified address: the login (the username, when it
    was the old address) and the register record follow, and the old address is told, so that a
    change nobody asked for does not go unnoticed."""
    user = get_user_model().objects.select_for_update().get(pk=user.pk)
    if normalise_email(user.username) == normalise_email(old_email):
        user.username = new_email
        user.save(update_fields=["username"])
    holder = _update_holder_email(user, old_email, new_email) or link_holder_by_email(user=user)
    name = user.first_name
    transaction.on_commit(lambda: _tell_old_address(old_email, new_email, name))
    return holder


def _update_holder_email(user, old_email: str, new_email: str) -> Holder | None:
    holder = Holder.objects.select_for_update().filter(user=user).first()
    if holder is None:
        return None
    holder.email = new_email
    holder.save(update_fields=["email"])
    _audit_correction(holder, user, {"email": [old_email, new_email]})
    return holder


def _tell_old_address(old_email: str, new_email: str, name: str) -> None:
    if old_email:
        email_address(
            template="email_changed",
            to=old_email,
            subject="Your Commonshare email address was changed",
            name=name,
            new_email=new_email,
        )


# --- Correcting personal details ------------------------------------------------------------------


def correct_personal_details(
    *, user, name: str, postal_address: str, date_of_birth: datetime.date | None
) -> Holder:
    """Correct the holder's own entry in the register of members (name, address, date of birth).

    Each society the holder is in gets an audit entry with the old and new values, because the
    register must not change quietly; for the date of birth (encrypted at rest) only that it changed.
    """
    with transaction.atomic():
        holder = Holder.objects.select_for_update().filter(user=user).first()
        if holder is None:
            raise AccountError("There is no register record for your account yet: it starts when you apply.")
        if date_of_birth is not None and date_of_birth > timezone.localdate():
            raise AccountError("A date of birth cannot be in the future.")
        wanted = {
            "name": name.strip(),
            "postal_address": postal_address.strip(),
            "date_of_birth": date_of_birth,
        }
        changes = {}
        for field in CORRECTABLE_FIELDS:
            if getattr(holder, field) != wanted[field]:
                changes[field] = (
                    UNRECORDED
                    if field in UNRECORDED_FIELDS
                    else [_plain(getattr(holder, field)), _plain(wanted[field])]
                )
                setattr(holder, field, wanted[field])
        if not changes:
            return holder
        try:
            holder.full_clean(validate_unique=False)
        except ValidationError as error:
            raise AccountError(validation_message(error)) from None
        holder.save(update_fields=list(changes))
        _audit_correction(holder, user, changes)
    return holder


def _audit_correction(holder: Holder, user, changes: dict) -> None:
    described = ", ".join(field.replace("_", " ") for field in changes)
    for society in societies_of(holder):
        record_audit(
            society=society,
            actor=user,
            action="holder.corrected",
            summary=f"{holder} corrected their {described}",
            holder=holder.pk,
            changes=changes,
        )


# --- Helpers --------------------------------------------------------------------------------------


def _plain(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value or "")
