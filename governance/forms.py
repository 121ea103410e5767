from django import forms

from capital.models import Society
from governance.models import Ballot, Proposal, Question

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


NOT_A_MEMBER = (
    "Choose a society you are a member of: only members propose, second and requisition. "
    "Investor shares never carry a vote."
)


class MembersSocietyForm(forms.Form):
    """A form a member sends for one of their societies; the choice is only those societies."""

    society = forms.ModelChoiceField(
        queryset=Society.objects.none(), error_messages={"invalid_choice": NOT_A_MEMBER}
    )

    def __init__(self, *args, societies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = societies
        self.fields["society"].error_messages["required"] = NOT_A_MEMBER


class ProposalForm(MembersSocietyForm):
    """A member's proposed resolution, for other members to second."""

    kind = forms.ChoiceField(choices=Proposal._meta.get_field("kind").choices, initial="ordinary")
    title = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea, label="The resolution in full")


class RequisitionForm(MembersSocietyForm):
    """Members asking their board to call a special general meeting."""

    purpose = forms.CharField(widget=forms.Textarea, label="What the meeting is to decide")
