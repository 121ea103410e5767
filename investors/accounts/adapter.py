"""How django-allauth (login, logout, password reset and change, two-factor) fits our accounts.

Every email it sends goes through the one notify path (`shares.notify`, sent after commit, the
name cleaned): our own templates for the messages investors see, allauth's plain-text ones for
the rest. Sign-up is ours (`account:signup`): allauth's own sign-up page stays closed.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.template.loader import render_to_string
from django.urls import reverse

from capital import encryption
from investors import notify as investors_notify
from investors.accounts.middleware import needs_two_factor
from shares import notify

# allauth's email → (our template under templates/investors/email/, subject).
OUR_EMAILS = {
    "account/email/password_reset_key": ("password_reset", "Reset your Commonshare password"),
}

TOO_MANY_LOGINS = (
    "Too many wrong passwords for this account or from your connection. For your safety, wait a few "
    "minutes before trying again, or reset your password."
)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": TOO_MANY_LOGINS,
        "email_password_mismatch": "That email address and password do not match an account. Check them "
        "and try again, or reset your password.",
        "username_password_mismatch": "That email address and password do not match an account. Check "
        "them and try again, or reset your password.",
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def get_password_change_redirect_url(self, request) -> str:
        return reverse("account:password-change-done")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        name = (getattr(user, "first_name", "") or "") if user is not None else ""
        context = {key: value for key, value in context.items() if key != "request"}
        context.setdefault("email", email)
        if template_prefix in OUR_EMAILS:
            template, subject = OUR_EMAILS[template_prefix]
            investors_notify.email_address(to=email, name=name, template=template, subject=subject, **context)
            return
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).splitlines()).strip()
        notify.email_address(
            to=email, name=name, template=f"{template_prefix}_message", subject=subject, **context
        )


class MFAAdapter(DefaultMFAAdapter):
    """Board members and staff keep at least one authenticator (an app or a security key):
    removing the last would only send them back to set one up before the next admin page."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": "Board members and staff must keep two-factor: add another "
        "authenticator app or security key before removing this one.",
    }

    def encrypt(self, text: str) -> str:
        """Authenticator apps' secrets and recovery codes' seeds are stored encrypted
        (capital/encryption.py)."""
        return encryption.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return encryption.decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator) -> bool:
        if not needs_two_factor(authenticator.user):
            return True
        second_steps = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
        others = Authenticator.objects.filter(user=authenticator.user, type__in=second_steps).exclude(
            pk=authenticator.pk
        )
        return others.exists()
