"""Wagtail admin viewsets that show each board only its own society's rows.

Every view that loads one object checks its society as well as the list, so a board user
who guesses another society's address gets a 404, not the row.
"""

from django.http import Http404
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from capital.errors import CapitalError
from capital.permissions import societies_for


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Rows that only services write (the register, applications): view, never edit here.

    Register it with `register_permission_policy`; its viewset needs `form_fields = []`.
    """

    def user_has_permission(self, user, action):
        return action == "view" and user.has_perm(self._get_permission_name("view"))


def _scoped(queryset, society_lookup, user):
    return queryset.filter(**{society_lookup: societies_for(user)}).distinct()


def _scope_index_view(view_class, society_lookup):
    class ScopedIndexView(view_class):
        def get_base_queryset(self):
            return _scoped(super().get_base_queryset(), society_lookup, self.request.user)

    return ScopedIndexView


def _scope_object_view(view_class, society_lookup):
    class ScopedObjectView(view_class):
        def get_object(self, *args, **kwargs):
            instance = super().get_object(*args, **kwargs)
            allowed = _scoped(
                self.model._default_manager.filter(pk=instance.pk), society_lookup, self.request.user
            )
            if not allowed.exists():
                raise Http404
            return instance

    return ScopedObjectView


class SocietyScopedViewSet(ModelViewSet):
    """A ModelViewSet whose lists and single-object views are limited to the user's societies.

    `society_lookup` is the ORM path from the model to its society, ending in `__in`.
    """

    society_lookup = "society__in"
    # Copying would start from the original row and save over it, bypassing the services.
    copy_view_enabled = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.index_view_class = _scope_index_view(self.index_view_class, self.society_lookup)
        for name in (
            "edit_view_class",
            "delete_view_class",
            "history_view_class",
            "usage_view_class",
            "inspect_view_class",
        ):
            setattr(self, name, _scope_object_view(getattr(self, name), self.society_lookup))


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
        except CapitalError as error:
            form.add_error(None, str(error))
            self.produced_error_message = str(error)
            return self.form_invalid(form)
