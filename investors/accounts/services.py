"""Investors' accounts: signing up, proving an email address, and keeping their details right.

An account signs in with its email address, which is also its username. Signing up asks only
for a name and an address: the account stays inactive, with no verified address (`email` blank)
and no password, until someone follows the signed link we email to that address and chooses the
password there. So whoever controls the mailbox owns the account, and signing up someone else's
address first gains nothing. Only then does `email` hold the address, and only then can the
account log in or reset its password. A verified address that matches one (and only one)
register record with no login is linked to it, so an investor the board registered by hand
finds their shares.

Links are signed with `django.core.signing` and last as long as password-reset links
(`PASSWORD_RESET_TIMEOUT`); each names the state it changes, so a used or outdated link changes
nothing. Following a sign-up link (a GET, which mail scanners also make) only shows the form;
the account changes when that form is sent. A link to confirm a new address works only for the
logged-in owner of the account. Nothing here reveals whether an address has an account: sign-up
and "send the link again" answer the same either way, do the same work (neither hashes a
password), and only the mailbox learns more.

Logging in, logging out and password reset are django-allauth's (`investors.accounts.adapter`),
which also limits how often each may be tried; sign-up, "send the link again" and changing an
address are limited in the views with allauth's rate limits (`ACCOUNT_RATE_LIMITS`).
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from capital.services import record_audit, validation_message
from investors.applications.services import link_holder_by_email, societies_of
from investors.errors import AccountError
from investors.notify import email_address
from shares.models import Holder
from shares.services.holders import holder_for_user

SIGN_UP_SALT = "commonshare.accounts.verify-email"
EMAIL_CHANGE_SALT = "commonshare.accounts.change-email"
CORRECTABLE_FIELDS = ("name", "postal_address", "date_of_birth")
# Stored encrypted on the holder: an audit entry says that it changed, never what it is.
UNRECORDED_FIELDS = ("date_of_birth",)
UNRECORDED = "changed (not recorded)"
LINK_NOT_VALID = "This link is not valid any more. Ask for a new one below."


@dataclass(frozen=True)
class Verification:
    user: object
    newly_verified: bool
    holder: Holder | None


def normalise_email(value: str) -> str:
    """One spelling per address, so that `Ann@Example.org` cannot sign up a second time."""
    return value.strip().lower()


def link_lifetime_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def is_awaiting_verification(user) -> bool:
    """Signed up but not yet verified. An account the board switched off has a verified
    address, or has been used, so following an old link can never switch it back on."""
    return not user.is_active and not user.email and user.last_login is None


def user_with_address(email: str):
    """The account that signs in with `email`, or whose verified address it is."""
    email = normalise_email(email)
    users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    return users.order_by("pk").first()


# --- Signing up -----------------------------------------------------------------------------------


def sign_up(*, email: str, name: str, next_url: str = ""):
    """Create an inactive account for `email`, with no password, and email the link where the
    owner of the address chooses one.

    Returns the new user, or None when the address already has an account: its owner is then
    emailed (a fresh link, under the name just given, if it still waits for verification;
    otherwise a reminder that they can log in or reset their password), and the caller shows
    the same page either way. Neither path hashes a password, so the time taken tells nothing.
    """
    email = normalise_email(email)
    name = name.strip()
    users = get_user_model().objects
    with transaction.atomic():
        existing = user_with_address(email)
        if existing is None:
            try:
                with transaction.atomic():
                    user = users.create_user(
                        username=email, email="", password=None, first_name=name, is_active=False
                    )
            except IntegrityError:  # the same address signing up twice at once: the other one won
                return None
            transaction.on_commit(lambda: send_verification_email(user_id=user.pk, next_url=next_url))
            return user
        if is_awaiting_verification(existing):
            users.filter(pk=existing.pk).update(first_name=name)
        existing_id = existing.pk
        transaction.on_commit(lambda: _remind_existing_account(existing_id, email, next_url))
    return None


def resend_verification(*, email: str) -> None:
    """Send a fresh link if `email` waits for verification; otherwise do nothing, silently."""
    user = user_with_address(email)
    if user is not None and is_awaiting_verification(user):
        send_verification_email(user_id=user.pk)


def send_verification_email(*, user_id: int, next_url: str = "") -> None:
    """The link to choose a password. `next_url` (a path on this site, checked again when the
    link is used) rides along, so the link brings them back to where they were going even when
    opened in another browser."""
    user = get_user_model().objects.get(pk=user_id)
    if not is_awaiting_verification(user):
        return
    address = normalise_email(user.username)
    token = signing.dumps({"user": user.pk, "email": address}, salt=SIGN_UP_SALT)
    email_address(
        template="verify_email",
        to=address,
        subject="Confirm your email address for Commonshare",
        name=user.first_name,
        link=_absolute(reverse("account:verify-email", args=[token]))
        + (f"?{urlencode({'next': next_url})}" if next_url else ""),
        lifetime_days=link_lifetime_days(),
    )


def _remind_existing_account(user_id: int, email: str, next_url: str = "") -> None:
    user = get_user_model().objects.get(pk=user_id)
    if is_awaiting_verification(user):
        send_verification_email(user_id=user.pk, next_url=next_url)
        return
    email_address(
        template="account_exists",
        to=email,
        subject="You already have a Commonshare account",
        name=user.first_name,
        login_link=_absolute(reverse("account:login")),
        reset_link=_absolute(reverse("account:password-reset")),
    )


def account_for_sign_up_link(*, token: str):
    """The account a sign-up link was sent for, changing nothing (following a link only shows
    the form where its owner chooses a password). Use `is_awaiting_verification` to tell a link
    still to be used from one used already; a bad, expired or outdated link raises AccountError.
    """
    claim = _read_link(token, salt=SIGN_UP_SALT)
    user = get_user_model().objects.filter(pk=claim.get("user")).first()
    _check_sign_up_claim(user, claim)
    return user


def complete_sign_up(*, token: str, password: str, name: str) -> Verification:
    """Verify the address the link was sent to, set the password its owner chose (checked by the
    form against the validators) and the name they confirmed, switch the account on, and link the
    register record if one matches.

    A link used already changes nothing, the password least of all, and says so.
    """
    claim = _read_link(token, salt=SIGN_UP_SALT)
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=claim.get("user")).first()
        _check_sign_up_claim(user, claim)
        if not is_awaiting_verification(user):
            return Verification(user=user, newly_verified=False, holder=_holder_of(user))
        user.set_password(password)
        user.first_name = name.strip() or user.first_name
        user.email = claim["email"]
        user.is_active = True
        user.save(update_fields=["password", "first_name", "email", "is_active"])
        holder = link_holder_by_email(user=user)
    return Verification(user=user, newly_verified=True, holder=holder)


def _check_sign_up_claim(user, claim: dict) -> None:
    """The link names this account and its address, and the account either waits for exactly
    this link or was verified with it. An account the board switched off has a verified
    address, or has been used, so an old link can never switch it back on."""
    if user is None or normalise_email(user.username) != claim.get("email"):
        raise AccountError(LINK_NOT_VALID)
    already_verified = user.is_active and normalise_email(user.email) == claim["email"]
    if not already_verified and not is_awaiting_verification(user):
        raise AccountError(LINK_NOT_VALID)


# --- Changing the login address -------------------------------------------------------------------


def request_email_change(*, user, new_email: str) -> None:
    """Email a link to the new address; nothing changes until its owner follows it."""
    new_email = normalise_email(new_email)
    if new_email == normalise_email(user.email):
        raise AccountError(f"{new_email} is already your address.")
    token = signing.dumps({"user": user.pk, "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT)
    email_address(
        template="confirm_email_change",
        to=new_email,
        subject="Confirm your new email address for Commonshare",
        name=user.first_name,
        link=_absolute(reverse("account:confirm-email-change", args=[token])),
    )


def confirm_email_change(*, token: str, user) -> Verification:
    """Move the login, the verified address and the register record to the new address, then
    tell the old address, so that a change nobody asked for does not go unnoticed.

    Only `user`, logged in, may follow a link sent for their account: the signature alone would
    let whoever reads an old mailbox replay a link after the address went there and back
    (A to B, B to A, then the first link again).
    """
    claim = _read_link(token, salt=EMAIL_CHANGE_SALT)
    new_email = claim.get("to", "")
    if claim.get("user") != user.pk:
        raise AccountError(
            "This link was sent for another account. Log out, log in to the account whose address "
            "you are changing, and open the link again."
        )
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if user is None or not user.is_active:
            raise AccountError("This link is not valid any more.")
        if normalise_email(user.email) == new_email:
            return Verification(user=user, newly_verified=False, holder=_holder_of(user))
        if normalise_email(user.email) != normalise_email(claim.get("from", "")):
            raise AccountError("This link is out of date: your address has changed since it was sent.")
        other = user_with_address(new_email)
        if other is not None and other.pk != user.pk:
            raise AccountError(
                f"Another account already uses {new_email}. "
                "Log in to that account, or choose another address."
            )
        old_email = user.email
        if normalise_email(user.username) == normalise_email(old_email):
            user.username = new_email
        user.email = new_email
        user.save(update_fields=["username", "email"])
        holder = _update_holder_email(user, old_email, new_email) or link_holder_by_email(user=user)
        name = user.first_name
        transaction.on_commit(lambda: _tell_old_address(old_email, new_email, name))
    return Verification(user=user, newly_verified=True, holder=holder)


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


def _read_link(token: str, *, salt: str) -> dict:
    try:
        claim = signing.loads(token, salt=salt, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.SignatureExpired:
        raise AccountError(
            f"This link has expired (links last {link_lifetime_days()} days). Ask for a new one below."
        ) from None
    except signing.BadSignature:
        raise AccountError(
            "This link is not valid: it may have been cut short when it was copied. Ask for a new one below."
        ) from None
    if not isinstance(claim, dict):
        raise AccountError("This link is not valid. Ask for a new one below.")
    return claim


def _holder_of(user) -> Holder | None:
    return holder_for_user(user)


def _plain(value) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value or "")


def _absolute(path: str) -> str:
    return f"{settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{path}"
