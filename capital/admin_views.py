"""Appointing a board member from the admin: the same service as everywhere else."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.views.generic import FormView

from capital import permissions
from capital.admin_actions import AdminPage
from capital.errors import Refusal
from capital.models import Society, SocietyRole
from capital.services import appoint_board_member


class AppointForm(forms.Form):
    society = forms.ModelChoiceField(queryset=Society.objects.none())
    email = forms.EmailField(
        help_text="The email address of their account; they sign up first if they have none."
    )
    role = forms.ChoiceField(choices=SocietyRole.Role.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["society"].queryset = permissions.societies_where(user, "manage_board")

    def clean_email(self):
        email = self.cleaned_data["email"]
        account = get_user_model().objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
        if account is None:
            raise forms.ValidationError(
                "No active account has this email address; ask them to sign up first."
            )
        return account


class AppointBoardMemberView(AdminPage, FormView):
    template_name = "capital/admin/appoint.html"
    submit_label = "Appoint"
    form_class = AppointForm
    page_title = "Appoint a board member"
    permission = "manage_board"
    header_icon = "user"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            seat = appoint_board_member(
                society=data["society"], user=data["email"], role=data["role"], by=self.request.user
            )
        except Refusal as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{seat.user.get_username()} is now {seat.get_role_display().lower()} of {seat.society}.",
        )
        return redirect("societyrole:index")
