"""Board actions on one row in the Wagtail admin (open an offer, allocate it, approve a run...),
each with a confirmation page that says what will happen before anything does.

An action names the permission it needs, when it applies, what it will do (the preview) and the
service that does it. The view only loads the row within the user's societies, shows the
preview and calls the service; a refusal is shown on the same page and changes nothing.

Apps above capital add actions to capital's own models through a small registry
(`register_object_actions`), as a plugin adds itself to a core it never has to name: capital's
viewsets read it when the admin shows a row or runs an action, never at import time, so the
order in which apps load does not matter and capital imports none of them.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from capital import permissions
from capital.errors import Refusal


class AdminPage(WagtailAdminTemplateMixin):
    """A board page in the admin whose title shows in the breadcrumbs, as Wagtail's own pages do.

    `permission` is the action the page is for: someone whose role allows it in no society is
    not offered a form they could never save, but sent back to the admin's home with who may."""

    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if self.permission and not permissions.societies_where(request.user, self.permission).exists():
            messages.error(request, f"Only a {permissions.who_may(self.permission)} may do that.")
            return redirect("wagtailadmin_home")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]


class NoFields(forms.Form):
    """An action that needs nothing but the confirmation itself."""


@dataclass(frozen=True)
class ObjectAction:
    name: str
    label: str
    permission: str
    society_of: Callable
    applies: Callable
    perform: Callable  # (instance, by, cleaned_data) -> success message
    preview: Callable = lambda instance: []  # (instance) -> sentences: what will happen
    form_class: type[forms.Form] = NoFields
    refusals: tuple[type[Exception], ...] = (Refusal,)
    icon: str = "arrow-right"
    button: str = ""
    warning: str = ""
    extra: dict = field(default_factory=dict)

    def offered_to(self, user, instance) -> bool:
        return self.applies(instance) and permissions.may(user, self.permission, self.society_of(instance))


@dataclass(frozen=True)
class ObjectLink:
    """A plain link on a row (a download, say), shown to those whose role allows `permission`."""

    label: str
    url_name: str
    permission: str
    society_of: Callable
    applies: Callable = lambda instance: True
    icon: str = "download"

    def offered_to(self, user, instance) -> bool:
        return self.applies(instance) and permissions.may(user, self.permission, self.society_of(instance))


_REGISTERED: dict[type, list[ObjectAction]] = defaultdict(list)
_REGISTERED_LINKS: dict[type, list[ObjectLink]] = defaultdict(list)


def register_object_actions(model: type, *actions: ObjectAction) -> None:
    """Offer `actions` on every row of `model` in its admin (after the viewset's own)."""
    known = {action.name for action in _REGISTERED[model]}
    _REGISTERED[model].extend(action for action in actions if action.name not in known)


def object_actions_for(model: type) -> tuple[ObjectAction, ...]:
    """The actions other apps registered for `model`."""
    return tuple(_REGISTERED.get(model, ()))


def register_object_links(model: type, *links: ObjectLink) -> None:
    """Offer `links` (downloads, say) on every row of `model` in its admin (after the viewset's own)."""
    known = {link.url_name for link in _REGISTERED_LINKS[model]}
    _REGISTERED_LINKS[model].extend(link for link in links if link.url_name not in known)


def object_links_for(model: type) -> tuple[ObjectLink, ...]:
    """The links other apps registered for `model`."""
    return tuple(_REGISTERED_LINKS.get(model, ()))


class ObjectActionView(AdminPage, FormView):
    """GET: the confirmation page with the preview; POST: the service, then back to the row."""

    template_name = "capital/admin/object_action.html"
    header_icon = "warning"
    # Set by the viewset for each model.
    actions_for: Callable = None  # () -> {name: ObjectAction}, read when a request comes
    queryset_for: Callable = None  # (user) -> the rows the user may see
    return_url_for: Callable = None  # (instance) -> where to go afterwards

    def dispatch(self, request, *args, action_name, pk, **kwargs):
        self.action = type(self).actions_for().get(action_name)
        self.instance = type(self).queryset_for(request.user).filter(pk=pk).first()
        if self.action is None or self.instance is None:
            raise Http404
        if not permissions.may(request.user, self.action.permission, self.action.society_of(self.instance)):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.action.label

    def get_page_subtitle(self):
        return str(self.instance)

    def get_context_data(self, **kwargs):
        applies = self.action.applies(self.instance)
        return super().get_context_data(
            action=self.action,
            instance=self.instance,
            applies=applies,
            preview=self.action.preview(self.instance) if applies else [],
            return_url=type(self).return_url_for(self.instance),
            **kwargs,
        )

    def get_form_class(self):
        return self.action.form_class

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if getattr(self.action.form_class, "needs_instance", False):
            kwargs["instance"] = self.instance
        return kwargs

    def form_valid(self, form):
        if not self.action.applies(self.instance):
            form.add_error(None, f"“{self.action.label}” no longer applies to {self.instance}.")
            return self.form_invalid(form)
        try:
            message = self.action.perform(self.instance, self.request.user, form.cleaned_data)
        except self.action.refusals as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, message)
        return redirect(type(self).return_url_for(self.instance))
