"""The board's admin for holding-limit exemptions: recorded by registration number with the
evidence checked, ended by an action, each audited."""

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views import generic

from capital.admin_actions import ObjectAction
from capital.admin_scoping import ServiceSaveMixin, SocietyScopedViewSet
from capital.permissions import societies_for
from shares.models import HoldingLimitExemption
from shares.services.exemptions import end_limit_exemption, record_limit_exemption


class ExemptionForm(WagtailAdminModelForm):
    registration_number = forms.CharField(
        max_length=40,
        help_text="The organisation's Mutuals Public Register number, as it gave it when applying.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is not None and "society" in self.fields:
            self.fields["society"].queryset = societies_for(self.for_user)


class ExemptionCreateView(ServiceSaveMixin, generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return record_limit_exemption(
            society=data["society"],
            registration_number=data["registration_number"],
            evidence=data["evidence"],
            by=self.request.user,
        )


class EndReason(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


def _end(exemption, by, data) -> str:
    end_limit_exemption(exemption=exemption, by=by, reason=data.get("reason", ""))
    return f"{exemption.holder} is held to {exemption.society}'s holding limit again."


class HoldingLimitExemptionViewSet(SocietyScopedViewSet):
    """Registered societies this society's board has exempted from its holding limit."""

    model = HoldingLimitExemption
    edit_permission = "grant_limit_exemptions"
    icon = "tick-inverse"
    menu_label = "Holding-limit exemptions"
    list_display = ["holder", "society", "granted_at", "granted_by"]
    inspect_view_enabled = True
    add_view_class = ExemptionCreateView
    edit_view_enabled = False
    delete_view_enabled = False
    edit_handler = ObjectList(
        [FieldPanel("society"), FieldPanel("registration_number"), FieldPanel("evidence")],
        base_form_class=ExemptionForm,
    )
    object_actions = (
        ObjectAction(
            name="end",
            label="End the exemption",
            permission="grant_limit_exemptions",
            society_of=lambda exemption: exemption.society,
            applies=lambda exemption: True,
            preview=lambda exemption: [
                f"{exemption.holder}'s withdrawable shares in {exemption.society} count against the "
                "holding limit again, from their next application or issue.",
            ],
            form_class=EndReason,
            perform=_end,
            icon="cross",
        ),
    )
