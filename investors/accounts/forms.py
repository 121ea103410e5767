"""Forms for investors' accounts. They check what a person typed; the services decide."""

from allauth.account import forms as allauth_forms
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, transaction

from investors.accounts.services import (
    address_has_account,
    keep_sign_up_address,
    normalise_email,
    sign_up_again,
)
from investors.applications.forms import (
    POSTCODE_AT_END,
    UK,
    ApplicationForm,
    check_date_of_birth,
    clean_postal_address,
)
from investors.applications.services import societies_of
from shares.models import Holder

# The address is the username, which Django's user model keeps to 150 characters.
EMAIL_MAX_LENGTH = get_user_model()._meta.get_field("username").max_length


class SignUpForm(allauth_forms.SignupForm):
    """allauth's sign-up (its rate limits, and one answer whether or not the address has an
    account) asking a name and an address only: the password is chosen on the page the emailed
    link opens, so only the owner of the mailbox ever sets one."""

    field_order = ["name", "email"]
    name = forms.CharField(
        label="Your full name", max_length=150, widget=forms.TextInput({"autocomplete": "name"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = "Email address"
        email.max_length = EMAIL_MAX_LENGTH
        email.validators.append(MaxLengthValidator(EMAIL_MAX_LENGTH))
        email.widget.attrs.pop("placeholder", None)
        email.widget.attrs.update({"maxlength": str(EMAIL_MAX_LENGTH), "autocomplete": "email"})

    def validate_unique_email(self, value) -> str:
        """allauth counts any `EmailAddress` as an account, so another account's unconfirmed new
        address would turn this sign-up into an "you already have an account" email that helps
        nobody: only an address with an account counts (`address_has_account`)."""
        email = super().validate_unique_email(value)
        if self.account_already_exists and not address_has_account(email):
            self.account_already_exists = False
        return email

    def try_save(self, request):
        request.session["signup_email"] = self.cleaned_data["email"]
        if not self.account_already_exists:
            try:
                with transaction.atomic():
                    return super().try_save(request)
            except IntegrityError:  # the same address signing up twice at once: the other one won
                self.account_already_exists = True
        sign_up_again(email=self.cleaned_data["email"], name=self.cleaned_data["name"])
        return super().try_save(request)

    def save(self, request):
        user = super().save(request)
        # allauth also copies the unverified address into `email`; here `email` means an address
        # proved (or typed in by the board), so it waits for the link (allauth fills it in then).
        type(user).objects.filter(pk=user.pk).update(email="")
        user.email = ""
        keep_sign_up_address(user=user, email=self.cleaned_data["email"])
        return user


class ChoosePasswordForm(SetPasswordForm):
    """The page a sign-up link opens: the name given at sign-up, to confirm or correct, and the
    account's first password, twice, checked by the site's password validators."""

    field_order = ["name", "new_password1", "new_password2"]
    name = forms.CharField(
        label="Your full name", max_length=150, widget=forms.TextInput({"autocomplete": "name"})
    )

    def __init__(self, user, *args, **kwargs):
        kwargs.setdefault("initial", {"name": user.first_name})
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = "Password"
        self.fields["new_password2"].label = "Password again"

    def clean(self):
        if self.cleaned_data.get("name"):
            # Validated against the name being saved, not the one typed at sign-up.
            self.user.first_name = self.cleaned_data["name"]
        return super().clean()


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form (its rate limits, its two-factor step), labelled for investors, who
    sign in with their address (board members may type their username)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me logged in on this device (two weeks at most)"

    def _setup_password_field(self) -> None:
        """Keep the password: allauth drops it when sign-up asks none (for login by code), but
        here the password is only chosen later, from the emailed link, and every login asks it."""


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=254, widget=forms.EmailInput({"autocomplete": "email"})
    )


class PersonalDetailsForm(forms.Form):
    """The holder's own entry in the register. An organisation has no date of birth; a person
    must give one (the register needs it, and the database insists).

    A new address or date of birth is checked as the application form checks it, with its own
    rules and words (`check_date_of_birth`, `clean_postal_address`, the society's minimum age for
    each society the holder is in). A value the register already holds is not judged again, so
    an address recorded before those rules does not stop a correction of the name."""

    name = forms.CharField(max_length=200)
    postal_address = ApplicationForm.base_fields["postal_address"]
    country = ApplicationForm.base_fields["country"]
    date_of_birth = forms.DateField(
        required=False,
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
        error_messages=ApplicationForm.base_fields["date_of_birth"].error_messages,
    )

    def __init__(self, *args, holder: Holder, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": holder.name,
                "postal_address": holder.postal_address,
                "country": _country_of(holder.postal_address),
                "date_of_birth": holder.date_of_birth,
            },
        )
        super().__init__(*args, **kwargs)
        self.holder = holder
        if holder.kind == Holder.Kind.ORGANISATION:
            del self.fields["date_of_birth"]
        else:
            self.fields["date_of_birth"].label = "Date of birth"

    def clean_date_of_birth(self):
        born = self.cleaned_data.get("date_of_birth")
        if born is None:
            raise ValidationError("A person's date of birth is needed.", code="required")
        if born != self.holder.date_of_birth:
            check_date_of_birth(born, societies=societies_of(self.holder))
        return born

    def clean(self):
        data = super().clean()
        address = data.get("postal_address")
        if address is not None and _lines(address) == _lines(self.holder.postal_address):
            # Sent back as shown (browsers send a textarea's line breaks as \r\n): unchanged, so
            # kept as the register has it, and not checked again.
            data["postal_address"] = self.holder.postal_address
        elif address is not None:
            try:
                data["postal_address"] = clean_postal_address(address, country=data.get("country", UK))
            except ValidationError as error:
                # No postcode field here: the postcode is the address's last line.
                for errors in error.error_dict.values():
                    self.add_error("postal_address", errors)
        return data


def _lines(address: str) -> list[str]:
    return [line.strip() for line in (address or "").splitlines() if line.strip()]


def _country_of(address: str) -> str:
    """Shown as a UK address unless the register's address has no UK postcode on its last line."""
    lines = [line.strip(" ,") for line in (address or "").splitlines() if line.strip(" ,")]
    if not lines or POSTCODE_AT_END.search(lines[-1]):
        return UK
    return "elsewhere"


class EmailChangeForm(forms.Form):
    """A new login address, confirmed with the current password so that a session left open
    on a shared computer cannot move the account elsewhere."""

    new_email = forms.EmailField(
        label="New email address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    current_password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your current password.", code="password_incorrect")
        return password

    def clean_new_email(self):
        email = normalise_email(self.cleaned_data["new_email"])
        if email == normalise_email(self.user.email):
            raise ValidationError("That is already your address.", code="unchanged")
        return email
