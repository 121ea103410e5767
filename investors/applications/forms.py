"""The application form behind an offer's "Invest" button: what the investor types, checked and
handed to `apply_with_form` with the investor's register details."""

import re
import secrets
from decimal import Decimal, InvalidOperation

from django import forms
from django.db import IntegrityError
from django.utils import timezone
from djmoney.money import Money
from localflavor.gb.forms import GBPostcodeField

from capital.errors import Refusal
from capital.models import Offer
from capital.money import format_money
from capital.services import offer_is_accepting
from investors.applications.services import (
    AlreadySent,
    amount_refusal,
    application_sent_with,
    apply_with_form,
)
from investors.models import Application
from investors.payments.services import accepted_payment_methods
from shares.models import Holder

PaymentMethod = Application.PaymentMethod
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# 250, 250.5, 1,250.00 (with or without a currency sign): nothing finer than a penny.
AMOUNT_PATTERN = re.compile(r"^(\d{1,3}(,\d{3})+|\d{1,12})(\.\d{1,2})?$")
CURRENCY_SIGNS = {"GBP": "£", "EUR": "€"}
DATE_OF_BIRTH_NEEDED = "Enter your date of birth: the register needs it for every person who holds shares."
DETAIL_FIELDS = ("kind", "name", "email", "postal_address", "date_of_birth", "organisation_number")
# Typed only by someone not yet on the register; joined into the register's postal address.
ADDRESS_FIELDS = ("postcode", "country")
UK = "GB"
POSTCODE_AT_END = re.compile(r"(?:^|[\s,])([A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2})$")
ADDRESS_NEEDED = (
    "Enter the full postal address: the house number and street, and the town, each on its own line."
)


def years_between(born, on) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def check_date_of_birth(born, *, societies) -> None:
    """A person's date of birth as the register takes it: in the past, after 1900, and old
    enough for each of `societies` (its minimum member age). The application form and the
    investor's own details both check with this."""
    today = timezone.localdate()
    if born >= today:
        raise forms.ValidationError("A date of birth must be in the past.", code="future")
    if born.year < 1900:
        raise forms.ValidationError("Enter a date of birth after 1900.", code="too_old")
    for society in societies:
        if years_between(born, today) < society.minimum_member_age:
            raise forms.ValidationError(
                f"{society.name} takes applications from people aged {society.minimum_member_age} "
                "or over: check the date of birth.",
                code="too_young",
            )


def clean_postal_address(address: str, *, postcode: str = "", country: str = UK) -> str:
    """A full postal address: at least two lines (street, town), and in the UK a real postcode,
    written the Royal Mail way, on the address's last line (typed there, or given as `postcode`).
    Returns the address as the register keeps it; raises a `ValidationError` keyed by the field
    at fault, "postal_address" or "postcode". The application form and the investor's own
    details both check with this."""
    lines = [line.strip(" ,") for line in re.split(r"[\r\n]+", address) if line.strip(" ,")]
    if len(lines) < 2:
        raise forms.ValidationError(
            {"postal_address": forms.ValidationError(ADDRESS_NEEDED, code="incomplete")}
        )
    postcode = (postcode or "").strip()
    if country in (UK, ""):
        inline = ""
        if not postcode and (found := POSTCODE_AT_END.search(lines[-1])):
            # Typed as the address's last words, as people write it: checked and kept there.
            postcode, inline = found.group(1), lines.pop()[: found.start()].strip(" ,")
        if not postcode:
            raise forms.ValidationError(
                {"postcode": forms.ValidationError("Enter the postcode.", code="required")}
            )
        try:
            postcode = GBPostcodeField().clean(postcode)
        except forms.ValidationError:
            raise forms.ValidationError(
                {
                    "postcode": forms.ValidationError(
                        "Enter a real UK postcode, for example HX7 8AA, or choose another country.",
                        code="invalid",
                    )
                }
            ) from None
        if inline:
            lines.append(f"{inline} {postcode}")
            postcode = ""
    return "\n".join(lines + ([postcode] if postcode else []))


class ApplicationForm(forms.Form):
    """One investor's application to one offer.

    An investor who already has a `Holder` applies with its details, shown and not editable
    here (the fields are disabled, so whatever is sent for them is ignored): they are the
    register of members' record and change through the society. Anyone else types them, and
    the `Holder` is created with the application (`apply_with_form`), so a refused
    application leaves nothing behind.

    Double submits are caught with the page's one-time token (see
    `investors.applications.services`) rather than by guessing from similar applications:
    a second application on purpose, from a freshly loaded form, goes through. A token kept in
    the session could not do that: two requests read the session before either writes it.
    """

    amount = forms.CharField(
        label="How much do you want to invest?",
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "class": "input amount"}
        ),
        error_messages={"required": "Enter how much you want to invest."},
    )
    payment_method = forms.ChoiceField(
        label="How will you pay?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you will pay.", "invalid_choice": "Choose how you will pay."},
    )
    kind = forms.ChoiceField(
        label="Who is applying?",
        choices=[
            (Holder.Kind.PERSON, "I am applying as a person, for myself"),
            (Holder.Kind.ORGANISATION, "I am applying for an organisation"),
        ],
        widget=forms.RadioSelect,
        initial=Holder.Kind.PERSON,
        error_messages={"required": "Choose whether you apply as a person or for an organisation."},
    )
    name = forms.CharField(
        label="Full name",
        max_length=200,
        help_text="The name to put in the register of members: yours, or the organisation's.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "class": "input"}),
        error_messages={"required": "Enter the name to put in the register."},
    )
    email = forms.EmailField(
        label="Email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "input"}),
        error_messages={
            # Only the login's own address is used, so nothing typed can be wrong here.
            "required": "Your account has no email address yet: add one in your details, then apply.",
        },
    )
    postal_address = forms.CharField(
        label="Postal address",
        help_text="The house number and street, then the town, each on its own line.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address", "class": "input"}),
        error_messages={"required": ADDRESS_NEEDED},
    )
    country = forms.ChoiceField(
        label="Country",
        choices=[
            (UK, "United Kingdom"),
            ("elsewhere", "Another country (write it as the address's last line)"),
        ],
        initial=UK,
        required=False,
        widget=forms.Select(attrs={"autocomplete": "country", "class": "input"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        required=False,
        max_length=12,
        help_text="In the UK, for example HX7 8AA.",
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "class": "input postcode"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        help_text="If you apply as a person. For example 17/05/1980.",
        widget=forms.DateInput(
            attrs={"type": "date", "autocomplete": "bday", "class": "input"}, format="%Y-%m-%d"
        ),
        error_messages={"invalid": "Enter a real date of birth, for example 17/05/1980."},
    )
    organisation_number = forms.CharField(
        label="Organisation's registration number",
        required=False,
        max_length=40,
        help_text="If you apply for an organisation: its Companies House or Mutuals Public Register number.",
        widget=forms.TextInput(attrs={"class": "input"}),
    )
    read_risk_warning = forms.BooleanField(
        label="I have read the risk warning on this page",
        error_messages={"required": "Confirm that you have read the risk warning."},
    )
    may_lose_money = forms.BooleanField(
        label="I understand that I could lose some or all of the money I invest, and that it is not "
        "protected by the Financial Services Compensation Scheme",
        error_messages={"required": "Confirm that you understand you could lose the money you invest."},
    )
    no_control = forms.BooleanField(
        label="I understand that investor shares give no vote and no control: no membership, no say "
        "in choosing or removing directors, and no veto",
        error_messages={"required": "Confirm that you understand investor shares carry no vote or control."},
    )
    withdrawals_can_be_suspended = forms.BooleanField(
        label="I understand that I can take my money out only as the society's rules allow, and that "
        "the board can suspend or refuse withdrawals",
        error_messages={"required": "Confirm that you understand withdrawals can be suspended."},
    )
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, offer: Offer, holder: Holder | None, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer = offer
        self.holder = holder
        self.shares_bought: int | None = None
        methods = accepted_payment_methods(offer)
        self.fields["payment_method"].choices = methods
        if len(methods) == 1:
            self.fields["payment_method"].initial = methods[0][0]
        price = offer.price_per_share
        self.fields["amount"].help_text = (
            f"Shares cost {format_money(price)} each, so enter a whole number of shares' worth "
            f"(a multiple of {format_money(price)}), in {price.currency}."
        )
        if not offer.share_class.is_investor_class:
            del self.fields["no_control"]
        if not offer.share_class.withdrawable:
            del self.fields["withdrawals_can_be_suspended"]
        self.fields["email"].disabled = True
        if holder is not None:
            self._show_holder(holder)
            for name in ADDRESS_FIELDS:
                del self.fields[name]
        else:
            self.fields["name"].initial = user.get_full_name()
            self.fields["email"].initial = user.email
            self.fields["email"].help_text = (
                "The address you log in with, which you have confirmed. To use another, change it in "
                "your details first."
            )
        if not self.is_bound:
            self.fields["form_token"].initial = new_form_token()

    def _show_holder(self, holder: Holder) -> None:
        """The register's details, shown but not taken from what is sent."""
        for name in DETAIL_FIELDS:
            self.fields[name].disabled = True
            self.fields[name].initial = getattr(holder, name)

    @property
    def currency_sign(self) -> str:
        return CURRENCY_SIGNS.get(str(self.offer.price_per_share.currency), "")

    @property
    def page_token(self) -> str:
        """The token to put in the page: the one sent back if it is sound, else a fresh one."""
        sent = self.data.get("form_token", "") if self.is_bound else self.fields["form_token"].initial
        return sent if TOKEN_PATTERN.match(sent or "") else new_form_token()

    def clean_amount(self) -> Money:
        price = self.offer.price_per_share
        currency = str(price.currency)
        typed = self.cleaned_data["amount"].strip().removeprefix(CURRENCY_SIGNS.get(currency, "")).strip()
        if not AMOUNT_PATTERN.match(typed):
            raise forms.ValidationError(
                f"Enter an amount in {currency} as a number, such as 250 or 1,250.00.", code="invalid"
            )
        try:
            amount = Money(Decimal(typed.replace(",", "")), currency)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise forms.ValidationError("Enter an amount as a number.", code="invalid") from None
        if amount.amount <= 0:
            raise forms.ValidationError("Enter an amount of more than zero.", code="invalid")
        shares = self.offer.shares_for(amount)
        if shares and price * shares == amount:
            self.shares_bought = shares
        return amount

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is not None and not self.fields["date_of_birth"].disabled:
            check_date_of_birth(born, societies=[self.offer.society])
        return born

    def _clean_address(self, data: dict) -> None:
        address = data.get("postal_address")
        if address is None:
            return
        try:
            data["postal_address"] = clean_postal_address(
                address, postcode=data.get("postcode") or "", country=data.get("country", UK)
            )
        except forms.ValidationError as error:
            self.add_error(None, error)

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"]
        if not TOKEN_PATTERN.match(token):
            raise forms.ValidationError(
                "This form had expired. Check your answers and send it again.", code="expired"
            )
        return token

    def clean(self):
        data = super().clean()
        if "amount" in data and "amount" not in self.errors:
            # Its limits too, in the same round as every other error. A form with no other error
            # goes on to the locked path, which counts the holder's holdings itself and is
            # refused with the same words: they are not counted twice.
            refusal = amount_refusal(
                offer=self.offer, holder=self.holder, amount=data["amount"], count_holdings=bool(self.errors)
            )
            if refusal:
                self.add_error("amount", forms.ValidationError(refusal, code="refused"))
        if self.holder is None:
            self._clean_address(data)
            if data.get("kind") == Holder.Kind.PERSON:
                data["organisation_number"] = ""
                self._require("date_of_birth", DATE_OF_BIRTH_NEEDED)
            elif data.get("kind") == Holder.Kind.ORGANISATION:
                data["date_of_birth"] = None
                self._require("organisation_number", "Enter the organisation's registration number.")
        return data

    def _require(self, name: str, message: str) -> None:
        if not self.cleaned_data.get(name) and name not in self.errors:
            self.add_error(name, forms.ValidationError(message, code="required"))

    def add_error(self, field, error):
        # The token is a hidden field: its complaint belongs at the top of the form.
        super().add_error(None if field == "form_token" else field, error)

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for every error, in page order; the anchor is empty for form errors."""
        summary = [("", str(message)) for message in self.non_field_errors()]
        for field in self:
            if field.is_hidden:
                continue
            anchor = f"{field.auto_id}_0" if field.widget_type == "radioselect" else field.auto_id
            summary.extend((anchor, str(message)) for message in field.errors)
        return summary

    def submit(self, *, user) -> Application | None:
        """Make the application; on a refusal, add it to the form's errors and return None.

        Raises `AlreadySent` when this form's token already made an application.
        """
        token = self.cleaned_data["form_token"]
        try:
            return self._apply(user, token)
        except Refusal as refusal:
            # A copy of this form sent at the same moment may have made the application while this
            # one waited for the holder's lock (and so be what leaves no room): it is shown that.
            earlier = application_sent_with(token, user)
            if earlier is not None:
                raise AlreadySent(earlier) from None
            self.add_error(self._field_refused(), str(refusal))
        except IntegrityError:
            # Two copies at once: the other made the holder (a first application) or the
            # application with this token first.
            earlier = application_sent_with(token, user)
            if earlier is not None:
                raise AlreadySent(earlier) from None
            self.add_error(
                None, "Your details were just saved from another window: check them, then send again."
            )
        return None

    def _apply(self, user, token: str) -> Application:
        details = None
        if self.holder is None:
            details = {name: self.cleaned_data[name] for name in DETAIL_FIELDS if name != "email"}
        return apply_with_form(
            offer=self.offer,
            user=user,
            token=token,
            holder=self.holder,
            new_holder_details=details,
            payment_method=self.cleaned_data["payment_method"],
            amount=self.cleaned_data["amount"],
        )

    def _field_refused(self) -> str | None:
        """Once the offer is open and the payment method one it takes, what the service refuses
        is how much: too little, too much, not whole shares, or more than is left."""
        offer = Offer.objects.get(pk=self.offer.pk)
        return "amount" if offer_is_accepting(offer) else None
