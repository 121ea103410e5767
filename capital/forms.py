"""Admin forms that only offer a board its own society's rows to choose from."""

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
