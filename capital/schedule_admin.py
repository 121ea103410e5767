"""The board's admin for return schedules: a form that names each refused field, a preview on
sample figures from the public simulator's engine, and no change once investors rely on it."""

from django.template.response import TemplateResponse
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic

from capital.admin_scoping import ServiceSaveMixin, SocietyScopedViewSet
from capital.errors import Refusal
from capital.models import ReturnSchedule, ShareClass
from capital.permissions import societies_for
from capital.schedules import (
    FROZEN_MESSAGE,
    ScheduleError,
    preview_schedule,
    save_return_schedule,
    schedule_errors,
    schedule_is_frozen,
)

FORM_TEMPLATE = "capital/admin/return_schedule_form.html"


class ReturnScheduleForm(WagtailAdminModelForm):
    """Every rule of the terms checked at once, each message beside its field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "hurdle" in self.fields:
            # The amount and currency inputs of a money field have no label of their own.
            amount, currency = self.fields["hurdle"].widget.widgets
            amount.attrs["aria-label"] = "Hurdle: amount"
            currency.attrs["aria-label"] = "Hurdle: currency"
        if self.for_user is not None and "share_class" in self.fields:
            self.fields["share_class"].queryset = ShareClass.objects.filter(
                society__in=societies_for(self.for_user)
            ).select_related("society")

    def _post_clean(self):
        # The table's constraints would answer "Constraint … is violated" for the whole form;
        # `schedule_errors` checks the same rules and names the field, and the database still
        # holds them.
        self.instance.validate_constraints = lambda *args, **kwargs: None
        try:
            super()._post_clean()
        finally:
            del self.instance.validate_constraints
        if not self.instance.share_class_id:
            return
        for field, messages in schedule_errors(self.instance).items():
            target = field if field in self.fields else None
            for message in messages:
                if target is None or target not in self.errors:
                    self.add_error(target, message)
        if schedule_is_frozen(self.instance.share_class):
            self.add_error(None, FROZEN_MESSAGE)


class ScheduleSaveMixin(ServiceSaveMixin):
    """Save through `save_return_schedule`; "Preview" shows the sample figures without saving."""

    def get_template_names(self):
        return [FORM_TEMPLATE]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("schedule_preview", None)
        instance = getattr(self, "object", None)
        if context["schedule_preview"] is None and instance is not None and instance.pk:
            context["schedule_preview"] = _preview_or_none(instance)
            context["schedule_frozen"] = schedule_is_frozen(instance.share_class)
        context["base_template"] = "wagtailadmin/generic/form.html"
        return context

    def save_instance(self):
        instance = self.form.save(commit=False)
        save_return_schedule(schedule=instance, by=self.request.user)
        return instance

    def form_valid(self, form):
        if "preview" in self.request.POST:
            instance = form.save(commit=False)
            context = self.get_context_data(form=form)
            context["schedule_preview"] = _preview_or_none(instance)
            context["previewing"] = True
            return TemplateResponse(self.request, self.get_template_names(), context)
        try:
            return super().form_valid(form)
        except ScheduleError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
            return self.form_invalid(form)


def _preview_or_none(schedule):
    try:
        return preview_schedule(schedule)
    except Refusal:
        return None


class ReturnScheduleCreateView(ScheduleSaveMixin, generic.CreateView):
    pass


class ReturnScheduleEditView(ScheduleSaveMixin, generic.EditView):
    pass


class ReturnScheduleInspectView(generic.InspectView):
    template_name = "capital/admin/return_schedule_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schedule_preview"] = _preview_or_none(self.object)
        context["schedule_frozen"] = schedule_is_frozen(self.object.share_class)
        return context


class ReturnScheduleViewSet(SocietyScopedViewSet):
    """A class's return schedule: a share of profit or capped interest, set by its board."""

    model = ReturnSchedule
    edit_permission = "manage_share_classes"
    society_lookup = "share_class__society__in"
    icon = "table"
    menu_label = "Return schedules"
    list_display = ["share_class", "pool_percent", "rate_ceiling_percent", "cap_multiple", "term_years"]
    inspect_view_enabled = True
    add_view_class = ReturnScheduleCreateView
    edit_view_class = ReturnScheduleEditView
    inspect_view_class = ReturnScheduleInspectView
    delete_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("share_class"),
            FieldPanel("first_year_end"),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("pool_percent"), FieldPanel("hurdle")]),
                    FieldRowPanel([FieldPanel("weighting"), FieldPanel("excess")]),
                ],
                heading="A share of profit (leave the pool empty for interest)",
            ),
            FieldRowPanel([FieldPanel("rate_ceiling_percent"), FieldPanel("grace_years")]),
            FieldRowPanel(
                [FieldPanel("cap_multiple"), FieldPanel("term_years"), FieldPanel("redeem_at_term_end")]
            ),
        ],
        base_form_class=ReturnScheduleForm,
    )
