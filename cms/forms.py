"""The simulator's form: a GET form, so that it works without JavaScript and its answer can be linked."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from djmoney.money import Money

from capital.models import Offer
from capital.money import format_money
from cms.simulation import Scenario

OWN_FIGURE = "own"


class AmountField(forms.DecimalField):
    """An amount as people type it: "1000", "1,000", "£1,000.00"."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", "").replace(" ", "").lstrip("£€")
        return super().to_python(value)


class SimulatorForm(forms.Form):
    amount = AmountField(
        label="How much would you invest?",
        error_messages={
            "required": "Enter the amount you would invest, for example 1000.",
            "invalid": "Enter the amount as a number, for example 1000 or 1,000.00.",
            "max_decimal_places": "Enter whole pennies at most, for example 1000.50.",
            "max_digits": "That amount is far larger than this offer can take.",
            "max_whole_digits": "That amount is far larger than this offer can take.",
        },
    )
    scenario = forms.ChoiceField(
        label="How much profit does the society make each year?",
        required=False,
        error_messages={"invalid_choice": "Choose one of the scenarios, or give your own figure."},
    )
    surplus = AmountField(
        label="My own figure: surplus each year",
        required=False,
        help_text="Leave empty to use one of the scenarios above. A loss counts as no surplus.",
        error_messages={
            "invalid": "Enter the surplus as a number, for example 25000.",
            "max_decimal_places": "Enter whole pennies at most, for example 25000.50.",
            "max_digits": "Enter a surplus below a billion.",
            "max_whole_digits": "Enter a surplus below a billion.",
        },
    )

    def __init__(self, data=None, *, offer: Offer, scenarios: list[Scenario], pays_from_profit: bool):
        super().__init__(data, auto_id="simulator-%s")
        self.offer = offer
        self.scenarios = {scenario.key: scenario for scenario in scenarios}
        if pays_from_profit:
            self.fields["scenario"].choices = [
                *((s.key, f"{s.label}: {format_money(s.surplus)} a year") for s in scenarios),
                (OWN_FIGURE, "My own figure"),
            ]
        else:
            # Interest does not depend on profit: the simulation shows the declared maximum rate.
            del self.fields["scenario"], self.fields["surplus"]
        minimum, maximum = self.amount_limits()
        self.fields["amount"].help_text = (
            f"From {format_money(minimum)} to {format_money(maximum)}, "
            f"in shares of {format_money(offer.price_per_share)}."
        )

    def amount_limits(self) -> tuple[Money, Money]:
        return self.offer.minimum_per_investor, min(
            self.offer.maximum_per_investor, self.offer.maximum_target
        )

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        minimum, maximum = self.amount_limits()
        price = self.offer.price_per_share
        if amount < minimum.amount:
            raise ValidationError(f"The least you can invest in this offer is {format_money(minimum)}.")
        if amount > maximum.amount:
            raise ValidationError(f"The most you can invest in this offer is {format_money(maximum)}.")
        if amount % price.amount:
            raise ValidationError(
                f"Shares are {format_money(price)} each: choose an amount that buys whole shares."
            )
        return amount

    def clean(self):
        cleaned = super().clean()
        if "scenario" not in self.fields:
            return cleaned
        if cleaned.get("surplus") is not None:
            cleaned["scenario"] = OWN_FIGURE
        elif not cleaned.get("scenario"):
            cleaned["scenario"] = "medium"
        if (
            cleaned["scenario"] == OWN_FIGURE
            and cleaned.get("surplus") is None
            and "surplus" not in self.errors
        ):
            self.add_error("surplus", "Enter the surplus you expect each year, or choose a scenario.")
        return cleaned

    def surplus_per_year(self) -> Decimal | None:
        """The surplus to simulate, once the form is valid; None for interest."""
        if "scenario" not in self.fields:
            return None
        if self.cleaned_data["scenario"] == OWN_FIGURE:
            return self.cleaned_data["surplus"]
        return self.scenarios[self.cleaned_data["scenario"]].surplus.amount
