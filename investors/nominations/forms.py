from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from investors.models import Nominee


class NomineeForm(forms.Form):
    name = forms.CharField(max_length=200, label="Their full name")
    postal_address = forms.CharField(widget=forms.Textarea({"rows": 3}), label="Their postal address")
    date_of_birth = forms.DateField(
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
        help_text="The register needs it if shares are transferred to them.",
    )
    email = forms.EmailField(required=False, label="Their email address (if you know it)")
    # A blank first choice: a browser sends a select's first option even from a nominee's form
    # left empty, which would then count as filled in and be refused for its missing name.
    relationship = forms.ChoiceField(
        choices=[("", "Choose one")] + Nominee.Relationship.choices, label="How they are related to you"
    )
    is_officer_or_employee = forms.BooleanField(
        required=False, label="They are a director, officer or employee of the society"
    )
    percent = forms.DecimalField(
        min_value=0.01,
        max_value=100,
        decimal_places=2,
        label="Their share (%)",
        help_text="All shares make 100%.",
    )

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise ValidationError("A date of birth cannot be in the future.")
        return born


NomineeFormSet = forms.formset_factory(NomineeForm, extra=3, max_num=5, min_num=1, validate_min=True)
