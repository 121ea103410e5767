"""Admin forms that only offer a board its own society's rows to choose from."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from capital.models import ShareClass
from capital.permissions import societies_for


class ShareClassForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "society" in self.fields:
            self.fields["society"].queryset = societies_for(self.for_user)


class OfferForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "share_class" in self.fields:
            self.fields["share_class"].queryset = ShareClass.objects.filter(
                society__in=societies_for(self.for_user)
            ).select_related("society")


class SurplusRulesForm(WagtailAdminModelForm):
    """The surplus rules, with the confirmation FairShares' guidance asks for when Labour and
    User together would take less than 60%."""

    confirm_below_guidance = forms.BooleanField(
        required=False,
        label="The board has considered giving Labour and User together less than 60%",
        help_text="FairShares guidance is that at least 60% of surplus goes to Labour and User together.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            return
        societies = societies_for(self.for_user)
        if "society" in self.fields:
            self.fields["society"].queryset = societies
        kinds = {"labour_class": "labour", "user_class": "user", "member_shares_class": "investor"}
        for name, kind in kinds.items():
            if name in self.fields:
                self.fields[name].queryset = ShareClass.objects.filter(
                    society__in=societies, kind=kind
                ).select_related("society")
