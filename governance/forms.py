from django import forms

from governance.models import Ballot, Question

RESOLUTION_CHOICES = [
    (c.value, c.label) for c in (Ballot.Choice.FOR, Ballot.Choice.AGAINST, Ballot.Choice.ABSTAIN)
]


class VoteForm(forms.Form):
    """One question's vote: for, against, abstain; or up to the seats' number of candidates."""

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        if question.is_election:
            self.fields["candidates"] = forms.MultipleChoiceField(
                choices=[(c.pk, c.member.holder.name) for c in question.candidates.all()],
                widget=forms.CheckboxSelectMultiple,
                label=f"Choose up to {question.seats}",
            )
        else:
            self.fields["choice"] = forms.ChoiceField(
                choices=RESOLUTION_CHOICES, widget=forms.RadioSelect, label="Your vote"
            )

    def clean_candidates(self):
        chosen = self.cleaned_data["candidates"]
        if len(chosen) > self.question.seats:
            raise forms.ValidationError(f"Choose up to {self.question.seats}.")
        return [int(c) for c in chosen]
