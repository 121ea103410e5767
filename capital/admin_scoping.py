"""Wagtail admin viewsets that show each board only its own society's rows.

Every view that loads one object checks its society as well as the list, so a board user
who guesses another society's address gets a 404, not the row.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.menus import MenuItem as ListingMenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy

from capital import spreadsheets
from capital.admin_actions import ObjectActionView, object_actions_for, object_links_for
from capital.errors import Refusal
from capital.models import SocietyRole
from capital.permissions import ACTION_ROLES, societies_for, societies_where, who_may


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Rows that only services write (the register, applications): view, never edit here.

    Register it with `register_permission_policy`; its viewset needs `form_fields = []`.
    """

    def user_has_permission(self, user, action):
        return action == "view" and user.has_perm(self._get_permission_name("view"))


def _scoped(queryset, society_lookup, user):
    return queryset.filter(**{society_lookup: societies_for(user)}).distinct()


def _in_scope(model, pk, society_lookup, user) -> bool:
    try:
        return _scoped(model._default_manager.filter(pk=pk), society_lookup, user).exists()
    except (ValueError, ValidationError):  # not even a key of this model
        return False


def _scope_index_view(view_class, society_lookup, viewset):
    class ScopedIndexView(view_class):
        def preprocess_field_value(self, field, value, export_format):
            value = super().preprocess_field_value(field, value, export_format)
            return spreadsheets.safe_cell(value) if export_format == self.FORMAT_CSV else value

        def stream_csv(self, queryset):
            yield spreadsheets.BYTE_ORDER_MARK
            yield from super().stream_csv(queryset)

        def write_csv_response(self, queryset):
            response = super().write_csv_response(queryset)
            response["Content-Type"] = spreadsheets.CSV_CONTENT_TYPE
            return response

        def generate_xlsx_row(self, worksheet, row_dict, date_format=None):
            # Text is text in our workbooks whatever the library version would make of it.
            return spreadsheets.xlsx_text_cells(super().generate_xlsx_row(worksheet, row_dict, date_format))

        def get_base_queryset(self):
            return _scoped(super().get_base_queryset(), society_lookup, self.request.user)

        @cached_property
        def editable_pks(self) -> set:
            return viewset.editable_pks(self.request.user)

        def get_edit_url(self, instance):
            return super().get_edit_url(instance) if instance.pk in self.editable_pks else None

        def get_add_url(self):
            return super().get_add_url() if viewset.may_edit(self.request.user) else None

        def get_list_more_buttons(self, instance):
            buttons = super().get_list_more_buttons(instance)
            for label, url, icon in viewset.buttons_for(self.request.user, instance):
                buttons.append(ListingMenuItem(label, url=url, icon_name=icon))
            return buttons

    return ScopedIndexView


def _scope_object_view(view_class, society_lookup, viewset):
    class ScopedObjectView(view_class):
        def dispatch(self, request, *args, **kwargs):
            # Another society's row is a 404 before anything else, even where the view would
            # first refuse the user (editing a read-only row redirects): the same answer as for
            # a row that does not exist.
            pk = kwargs.get("pk")
            if pk is not None and not _in_scope(self.model, unquote(str(pk)), society_lookup, request.user):
                raise Http404
            return super().dispatch(request, *args, **kwargs)

        @property
        def header_more_buttons(self):
            buttons = list(super().header_more_buttons)
            if getattr(self, "object", None) is not None:
                for priority, (label, url, icon) in enumerate(
                    viewset.buttons_for(self.request.user, self.object)
                ):
                    buttons.append(Button(label, url=url, icon_name=icon, priority=30 + priority))
            return buttons

        def get_object(self, *args, **kwargs):
            instance = super().get_object(*args, **kwargs)
            allowed = _scoped(
                self.model._default_manager.filter(pk=instance.pk), society_lookup, self.request.user
            )
            if not allowed.exists():
                raise Http404
            return instance

    return ScopedObjectView


def _view_only_inspect(view_class, viewset):
    """The inspect page offers "Edit" only to a role that may save the row."""

    class ViewOnlyInspectView(view_class):
        def get_edit_url(self):
            return super().get_edit_url() if viewset.may_edit(self.request.user, self.object) else None

    return ViewOnlyInspectView


def _limit_choices(form, societies) -> None:
    """Offer only rows of the societies where the user may save: the form cannot be refused on save."""
    for name, lookup in (("society", "pk__in"), ("share_class", "society__in"), ("meeting", "society__in")):
        if name in form.fields and hasattr(form.fields[name], "queryset"):
            form.fields[name].queryset = form.fields[name].queryset.filter(**{lookup: societies})


def _only_for_editors(view_class, viewset, *, editing: bool):
    """An add or edit form opens only for a role that may save it; anyone else is shown the row
    (or the list) to read, with who may change it, instead of a form refused on saving."""

    class EditorsOnlyView(view_class):
        def dispatch(self, request, *args, **kwargs):
            if viewset.edit_permission is None:
                return super().dispatch(request, *args, **kwargs)
            instance = None
            if editing:
                instance = self.object = self.get_object()  # another society's row: 404
            if viewset.may_edit(request.user, instance):
                return super().dispatch(request, *args, **kwargs)
            verb = "change" if editing else "add"
            roles = who_may(viewset.edit_permission)
            messages.info(request, f"Only a {roles} may {verb} this; it is here to read.")
            if editing:
                return redirect(viewset.return_url(instance))
            return redirect(viewset.get_url_name("index"))

        def get_form(self, *args, **kwargs):
            form = super().get_form(*args, **kwargs)
            if viewset.edit_permission is not None:
                _limit_choices(form, societies_where(self.request.user, viewset.edit_permission))
            return form

    return EditorsOnlyView


class SocietyScopedViewSet(ModelViewSet):
    """A ModelViewSet whose lists and single-object views are limited to the user's societies.

    `society_lookup` is the ORM path from the model to its society, ending in `__in`.
    """

    society_lookup = "society__in"
    # Copying would start from the original row and save over it, bypassing the services.
    copy_view_enabled = False
    # Board actions on one row (capital.admin_actions.ObjectAction), each behind a confirmation;
    # other apps add theirs with `register_object_actions`.
    object_actions = ()
    # Plain links on one row (capital.admin_actions.ObjectLink), such as downloads.
    object_links = ()
    # The action (capital.permissions.ACTION_ROLES) that saving the add or edit form takes. A role
    # without it gets no "Add" or "Edit" link and no form: it reads the row instead.
    edit_permission = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index_view_class = _scope_index_view(self.index_view_class, self.society_lookup, self)
        for name in (
            "edit_view_class",
            "delete_view_class",
            "history_view_class",
            "usage_view_class",
            "inspect_view_class",
        ):
            setattr(self, name, _scope_object_view(getattr(self, name), self.society_lookup, self))
        self.inspect_view_class = _view_only_inspect(self.inspect_view_class, self)
        self.add_view_class = _only_for_editors(self.add_view_class, self, editing=False)
        self.edit_view_class = _only_for_editors(self.edit_view_class, self, editing=True)

    def may_edit(self, user, instance=None) -> bool:
        """May `user` save this row (or, with no row, add one in some society)?"""
        if self.edit_permission is None:
            return True
        societies = societies_where(user, self.edit_permission)
        if instance is None:
            return societies.exists()
        return self.model._default_manager.filter(pk=instance.pk, **{self.society_lookup: societies}).exists()

    def editable_pks(self, user) -> set:
        """The rows `user` may save, for a list to link to their forms."""
        rows = self.model._default_manager.all()
        if self.edit_permission is not None:
            rows = rows.filter(**{self.society_lookup: societies_where(user, self.edit_permission)})
        return set(rows.values_list("pk", flat=True))

    def all_object_actions(self) -> tuple:
        """The viewset's own actions and those other apps registered for its model."""
        return (*self.object_actions, *object_actions_for(self.model))

    def buttons_for(self, user, instance) -> list[tuple[str, str, str]]:
        """(label, url, icon) of the actions and links this user may use on this row now."""
        buttons = [
            (action.label, reverse(self.get_url_name("action"), args=[action.name, instance.pk]), action.icon)
            for action in self.all_object_actions()
            if action.offered_to(user, instance)
        ]
        buttons += [
            (link.label, reverse(link.url_name, args=[instance.pk]), link.icon)
            for link in (*self.object_links, *object_links_for(self.model))
            if link.offered_to(user, instance)
        ]
        return buttons

    def return_url(self, instance) -> str:
        if self.inspect_view_enabled:
            return reverse(self.get_url_name("inspect"), args=[instance.pk])
        return reverse(self.get_url_name("index"))

    @property
    def action_view(self):
        return type(
            f"{self.model.__name__}ActionView",
            (ObjectActionView,),
            {
                "actions_for": staticmethod(
                    lambda: {action.name: action for action in self.all_object_actions()}
                ),
                "queryset_for": staticmethod(
                    lambda user: _scoped(self.model._default_manager.all(), self.society_lookup, user)
                ),
                "return_url_for": staticmethod(self.return_url),
            },
        ).as_view()

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("action/<str:action_name>/<int:pk>/", self.action_view, name="action"),
        ]


class ServiceSaveMixin:
    """For create and edit views: save through `save_service(instance, by)`, show its refusals."""

    save_service = None

    def save_instance(self):
        instance = self.form.save(commit=False)
        type(self).save_service(instance, self.request.user)
        self.form.save_m2m()
        return instance

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except Refusal as error:
            form.add_error(None, str(error))
            self.produced_error_message = str(error)
            return self.form_invalid(form)


class RoleMenuItem(MenuItem):
    """Shown to board members whose role allows `action` in at least one society."""

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action

    def is_shown(self, request):
        user = request.user
        return (
            user.is_superuser
            or SocietyRole.objects.filter(user=user, role__in=ACTION_ROLES[self.action]).exists()
        )
