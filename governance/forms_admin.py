"""The board's forms in the admin: societies, meetings and questions limited to the user's own."""

from wagtail.admin.forms import WagtailAdminModelForm

from capital.permissions import societies_for
from governance.models import Meeting, Question


class ScopedForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.for_user is None:
            return
        societies = societies_for(self.for_user)
        if "society" in self.fields:
            self.fields["society"].queryset = societies
        if "meeting" in self.fields:
            self.fields["meeting"].queryset = Meeting.objects.filter(
                society__in=societies, state=Meeting.State.DRAFT
            )
        if "confirms" in self.fields:  # the first meeting's s.111 resolution a second one confirms
            self.fields["confirms"].queryset = Question.objects.filter(meeting__society__in=societies)
