"""The investor's payout account form: a UK sort code and account number, or an IBAN, checked
as they are typed on a bank statement (spaces and dashes allowed) and stored compact."""

import re

from django import forms
from stdnum import iban as iban_number
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from investors.models import InterestElection
from investors.models.payouts import Payout
from investors.payouts.accounts import PayoutDetails

SEPARATORS = re.compile(r"[\s-]+")
NOT_AN_IBAN = "This is not an IBAN: it starts with two letters for the country, then two check digits."


class PayoutAccountForm(forms.Form):
    account_name = forms.CharField(
        max_length=140, label="Name on the account", help_text="As the bank knows it."
    )
    sort_code = forms.CharField(
        required=False, max_length=12, label="Sort code", help_text="Six digits, for example 20-00-00."
    )
    account_number = forms.CharField(
        required=False, max_length=12, label="Account number", help_text="Eight digits."
    )
    iban = forms.CharField(
        required=False,
        max_length=50,
        label="Or an IBAN",
        help_text="For an account outside the UK, instead of the sort code and account number.",
    )

    def __init__(self, *args, details: PayoutDetails | None = None, **kwargs):
        if details is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "account_name": details.account_name,
                "sort_code": details.sort_code_display,
                "account_number": details.account_number,
                "iban": iban_number.format(details.iban) if details.iban else "",
            }
        super().__init__(*args, **kwargs)
        for name in ("sort_code", "account_number"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.fields["iban"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_sort_code(self):
        value = SEPARATORS.sub("", self.cleaned_data["sort_code"])
        if value and not re.fullmatch(r"\d{6}", value):
            raise forms.ValidationError("A sort code is six digits, for example 20-00-00.")
        return value

    def clean_account_number(self):
        value = SEPARATORS.sub("", self.cleaned_data["account_number"])
        if value and not re.fullmatch(r"\d{8}", value):
            raise forms.ValidationError(
                "A UK account number is eight digits; if yours has seven, put a 0 in front."
            )
        return value

    def clean_iban(self):
        value = self.cleaned_data["iban"]
        if not value.strip():
            return ""
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban_number.compact(value)):
            raise forms.ValidationError(NOT_AN_IBAN)
        try:
            return iban_number.validate(value)
        except InvalidChecksum:
            raise forms.ValidationError(
                "This IBAN's check digits are wrong; copy it again from a bank statement."
            ) from None
        except (InvalidLength, InvalidFormat, InvalidComponent):
            raise forms.ValidationError(NOT_AN_IBAN) from None

    def clean(self):
        data = super().clean()
        sort_code, number, iban = data.get("sort_code"), data.get("account_number"), data.get("iban")
        if self.errors:
            return data
        if bool(sort_code) != bool(number):
            missing = "account_number" if sort_code else "sort_code"
            self.add_error(missing, "Give the sort code and the account number together.")
        elif not (sort_code or iban):
            raise forms.ValidationError("Give a sort code and account number, or an IBAN.")
        elif sort_code and iban:
            raise forms.ValidationError("Give a sort code and account number, or an IBAN, not both.")
        return data

    def details(self) -> PayoutDetails:
        data = self.cleaned_data
        return PayoutDetails(
            account_name=data["account_name"].strip(),
            sort_code=data["sort_code"],
            account_number=data["account_number"],
            iban=data["iban"],
        )


class InterestElectionForm(forms.Form):
    take_as = forms.ChoiceField(
        choices=InterestElection.TakeAs.choices, widget=forms.RadioSelect, label="Take interest as"
    )


class ResolvePayoutForm(forms.Form):
    """The treasurer's choice for a payment owed to a holder with no payout account (a run's
    line, a surplus dividend or a redemption)."""

    payout = forms.ChoiceField(
        choices=[
            (Payout.PAID_OTHER_WAY, "Paid another way"),
            (Payout.HELD, "Hold it until they give an account"),
        ],
        widget=forms.RadioSelect,
        label="What happens to this payment",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How it was paid (a cheque number, say), or why it is held.",
    )
