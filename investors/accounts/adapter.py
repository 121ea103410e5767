"""How django-allauth (sign-up, verifying and changing an address, login, logout, password reset
and change, two-factor) fits our accounts (`investors.accounts.services` says what they promise).

Every email it sends goes through the one notify path (`shares.notify`, sent after commit, the
name cleaned): our own templates for the messages investors see, allauth's plain-text ones for
the rest. The username is the address; `email` stays blank until the address is verified.
"""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage
from allauth.account.utils import get_next_redirect_url, user_email, user_username
from allauth.core import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from capital import encryption
from investors import notify as investors_notify
from investors.accounts import services as accounts
from investors.accounts.middleware import needs_two_factor
from shares import notify

# allauth's email → (our template under templates/investors/email/, subject).
OUR_EMAILS = {
    "account/email/password_reset_key": ("password_reset", "Reset your Commonshare password"),
    "account/email/email_confirmation_signup": ("verify_email", "Confirm your email address for Commonshare"),
    "account/email/email_confirmation": (
        "confirm_email_change",
        "Confirm your new email address for Commonshare",
    ),
    "account/email/account_already_exists": ("account_exists", "You already have a Commonshare account"),
}

# allauth's flash message when it sends a confirmation link (our pages say it themselves).
CONFIRMATION_SENT_MESSAGE = "account/messages/email_confirmation_sent.txt"

TOO_MANY_LOGINS = (
    "Too many wrong passwords for this account or from your connection. For your safety, wait a few "
    "minutes before trying again, or reset your password."
)


def on_our_site(url: str) -> str:
    """`url` (a path, or an address allauth built from the request) at SITE_URL: an emailed link
    never takes its host from a request's Host header, which a sender may choose."""
    parts = urlsplit(url)
    return notify.site_url() + parts.path + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": TOO_MANY_LOGINS,
        "email_password_mismatch": "That email address and password do not match an account. Check them "
        "and try again, or reset your password.",
        "username_password_mismatch": "That email address and password do not match an account. Check "
        "them and try again, or reset your password.",
    }

    def add_message(
        self, request, level, message_template=None, message_context=None, extra_tags="", **kwargs
    ):
        """allauth's "Confirmation email sent to …" is left out: every page that sends a link says
        so itself, in its own words (the profile's "We have sent a link to …", "Check your email"),
        and the two side by side said the same thing twice."""
        if message_template == CONFIRMATION_SENT_MESSAGE:
            return
        super().add_message(request, level, message_template, message_context, extra_tags, **kwargs)

    def populate_username(self, request, user) -> None:
        """The address typed at sign-up is the username: investors log in with it."""
        user_username(user, accounts.normalise_email(user_email(user) or ""))

    def save_user(self, request, user, form, commit=True):
        """No password (allauth leaves it unusable: it is chosen from the emailed link), the name
        given, and no `email` until the address is verified (allauth's unverified `EmailAddress`
        holds it meanwhile, and verifying it fills `email` in)."""
        user = super().save_user(request, user, form, commit=False)
        user.first_name = form.cleaned_data.get("name", "").strip()
        user.email = ""
        if commit:
            user.save()
        return user

    def get_login_stages(self) -> list[str]:
        ours = "investors.accounts.adapter.AddressVerificationStage"
        return [
            ours if stage.endswith(".EmailVerificationStage") else stage
            for stage in super().get_login_stages()
        ]

    def send_confirmation_mail(self, request, emailconfirmation, signup: bool) -> None:
        """The message says what the link opens: a sign-up waiting for its link chooses its
        password there; every other account (one with a password, or a verified address) is
        asked to log in and confirm a change, even when the address is its first."""
        awaiting = accounts.is_awaiting_verification(emailconfirmation.email_address.user)
        super().send_confirmation_mail(request, emailconfirmation, awaiting)

    def respond_email_verification_sent(self, request, user):
        """The same "check your email" page whether or not the address had an account."""
        return HttpResponseRedirect(reverse("account:signup-sent"))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """Where the investor was going when they signed up (a page of this site only) rides in
        the link, so it brings them back there even when opened in another browser."""
        url = on_our_site(super().get_email_confirmation_url(request, emailconfirmation))
        next_url = get_next_redirect_url(request) if request is not None else None
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url

    def send_account_already_exists_mail(self, email: str) -> None:
        """Someone signed up with an address that has an account. If it still waits for its link,
        a fresh link goes to the address; otherwise a reminder that its owner can log in or reset
        their password. The page shown is the same either way."""
        pending = accounts.pending_sign_up(email)
        address = accounts.unverified_address(pending) if pending is not None else None
        if address is not None:
            address.send_confirmation(self.request, signup=True)
            return
        if not ratelimit.consume(self.request, action="account_exists_email", key=email.lower()):
            return  # enough reminders to this address for now; the page says the same
        login_url = on_our_site(reverse("account:login"))
        next_url = get_next_redirect_url(self.request)
        context = {
            "user": accounts.user_with_address(email),
            "login_url": f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url,
            "password_reset_url": on_our_site(reverse("account:password-reset")),
        }
        self.send_mail("account/email/account_already_exists", email, context)

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_our_site(super().get_reset_password_from_key_url(key))

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """Only to an address the account has proved: an address still waiting for its link (a
        sign-up's, or a new address asked for, perhaps mistyped) never receives a reset link."""
        if EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists():
            super().send_password_reset_mail(user, email, context)

    def get_password_change_redirect_url(self, request) -> str:
        return reverse("account:password-change-done")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = context.get("user")
        name = (getattr(user, "first_name", "") or "") if user is not None else ""
        context = {key: value for key, value in context.items() if key != "request"}
        context.setdefault("email", email)
        context.setdefault("lifetime_days", accounts.link_lifetime_days())
        if template_prefix in OUR_EMAILS:
            template, subject = OUR_EMAILS[template_prefix]
            investors_notify.email_address(to=email, name=name, template=template, subject=subject, **context)
            return
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).splitlines()).strip()
        notify.email_address(
            to=email, name=name, template=f"{template_prefix}_message", subject=subject, **context
        )


class AddressVerificationStage(EmailVerificationStage):
    """allauth's check that the address logged in with is verified, except for an account with a
    password and no verified address (one the board made, a board member with no address, say):
    it logs in with its password as before, also while a new address waits for its link, which
    only it, logged in, can confirm. A sign-up has no password until its link is followed."""

    def handle(self):
        user = self.login.user
        if user is not None and accounts.logs_in_unverified(user):
            return None, True
        return super().handle()


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
