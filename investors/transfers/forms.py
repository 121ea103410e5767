from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone


class TransferForm(forms.Form):
    shares = forms.IntegerField(min_value=1, label="Shares to transfer")
    price = forms.DecimalField(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label="Price agreed (£)",
        help_text="What the receiver pays you for them, recorded with the transfer; 0 for a gift.",
    )
    receiver_name = forms.CharField(max_length=200, label="Receiver's name")
    receiver_email = forms.EmailField(
        label="Receiver's email address", help_text="They are sent a link to accept and give their details."
    )


class ReceiverDetailsForm(forms.Form):
    """A receiver new to the register gives the details the register of members needs."""

    name = forms.CharField(max_length=200, label="Your full name")
    postal_address = forms.CharField(widget=forms.Textarea({"rows": 4}), label="Your postal address")
    date_of_birth = forms.DateField(widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"))

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise ValidationError("A date of birth cannot be in the future.")
        return born
