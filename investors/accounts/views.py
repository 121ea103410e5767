"""Investors' account pages: thin views over `investors.accounts.services` and `.dashboard`."""

import json

from allauth.account.models import EmailAddress, get_emailconfirmation_model
from allauth.account.utils import get_next_redirect_url, perform_login
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from capital.errors import Refusal
from investors.accounts import services as accounts
from investors.accounts.dashboard import dashboard_for, holder_for, personal_data
from investors.accounts.forms import (
    ChoosePasswordForm,
    EmailChangeForm,
    EmailForm,
    PersonalDetailsForm,
)
from investors.applications.services import holder_for_applicant
from shares.member_panels import member_panels

TEMPLATES = "investors/account"

# Every page here shows someone's own details, a form, or both: none may be kept by a browser
# or a shared cache (`never_cache` on each view).


def _within_limit(request, action: str, email: str) -> bool:
    """One more `action` for this client address (and account, and address typed), within
    `ACCOUNT_RATE_LIMITS`? Counted in the cache, so across every process when it is Redis."""
    return ratelimit.consume(request, action=action, key=accounts.normalise_email(email), user=request.user)


@never_cache
def signup_sent(request):
    """The same page whether or not the address already had an account."""
    return render(
        request, f"{TEMPLATES}/signup_sent.html", {"email": request.session.get("signup_email", "")}
    )


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_address(request, key):
    """The page an address's link opens (allauth's confirmation key). Opening it, as mail
    scanners do too, changes nothing: a sign-up's owner chooses the password here and the form
    confirms the address; a new login address is confirmed with a button, by its account's owner."""
    confirmation = get_emailconfirmation_model().from_key(key)
    if confirmation is None:
        return _link_refused(request, accounts.link_not_valid(), offer_new_link=True)
    if accounts.is_awaiting_verification(confirmation.email_address.user):
        return _choose_password(request, confirmation)
    return _confirm_new_address(request, confirmation)


def _choose_password(request, confirmation):
    form = ChoosePasswordForm(confirmation.email_address.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accounts.complete_sign_up(
                request=request,
                confirmation=confirmation,
                password=form.cleaned_data["new_password1"],
                name=form.cleaned_data["name"],
            )
        except Refusal as error:
            return _link_refused(request, str(error), offer_new_link=True)
        # Where they were going: carried in the link, so in any browser; checked to be this site.
        next_url = get_next_redirect_url(request) or reverse("account:dashboard")
        return perform_login(request, user, redirect_url=next_url, email=confirmation.email_address.email)
    context = {"form": form, "email": confirmation.email_address.email}
    return render(request, f"{TEMPLATES}/choose_password.html", context)


def _confirm_new_address(request, confirmation):
    """Any address of an account that can log in (it has a password or a verified address) is
    confirmed only by that account's owner, logged in: anyone else is sent to log in and brought
    back here, and another account is refused."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if confirmation.email_address.user_id != request.user.pk:
        return _link_refused(request, accounts.SENT_FOR_ANOTHER_ACCOUNT, offer_new_link=False)
    if request.method == "POST":
        try:
            accounts.confirm_address(request=request, confirmation=confirmation, user=request.user)
        except Refusal as error:
            return _link_refused(request, str(error), offer_new_link=False)
        return redirect("account:profile")
    return render(request, "account/email_confirm.html", {"email": confirmation.email_address.email})


@never_cache
def old_link(request, token, offer_new_link: bool):
    """A link we signed ourselves before allauth sent them: it cannot be used now."""
    return _link_refused(request, accounts.link_not_valid(), offer_new_link=offer_new_link)


@never_cache
def resend_verification(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _within_limit(request, "resend_verification", form.cleaned_data["email"]):
            return ratelimit.respond_429(request)
        accounts.resend_verification(request=request, email=form.cleaned_data["email"])
        return render(request, f"{TEMPLATES}/verification_resent.html", {"email": form.cleaned_data["email"]})
    return render(request, f"{TEMPLATES}/resend_verification.html", {"form": form})


@never_cache
@login_required
def dashboard(request):
    # The board may have registered this address since the account was verified: link it first.
    data = dashboard_for(request.user, holder=holder_for_applicant(user=request.user))
    panels = member_panels(data.holder)  # what the apps above add (a member's meetings, say)
    return render(request, f"{TEMPLATES}/dashboard.html", {"dashboard": data, "panels": panels})


@never_cache
@login_required
def profile(request):
    holder = holder_for(request.user)
    details_form = None
    if holder is not None:
        details_form = PersonalDetailsForm(request.POST or None, holder=holder)
        if request.method == "POST" and details_form.is_valid():
            try:
                accounts.correct_personal_details(
                    user=request.user,
                    name=details_form.cleaned_data["name"],
                    postal_address=details_form.cleaned_data["postal_address"],
                    date_of_birth=details_form.cleaned_data.get("date_of_birth", holder.date_of_birth),
                )
            except Refusal as error:
                details_form.add_error(None, str(error))
            else:
                messages.success(request, "Your details are updated.")
                return redirect("account:profile")
    return render(request, f"{TEMPLATES}/profile.html", _profile_context(request, holder, details_form))


@never_cache
@login_required
@require_POST
def change_email(request):
    form = EmailChangeForm(request.POST, user=request.user)
    if form.is_valid():
        if not _within_limit(request, "change_email", form.cleaned_data["new_email"]):
            return ratelimit.respond_429(request)
        try:
            accounts.request_email_change(
                request=request, user=request.user, new_email=form.cleaned_data["new_email"]
            )
        except Refusal as error:
            form.add_error("new_email", str(error))
        else:
            messages.success(
                request,
                f"We have sent a link to {form.cleaned_data['new_email']}. Your address changes when you "
                "follow it; until then, keep using the old one.",
            )
            return redirect("account:profile")
    holder = holder_for(request.user)
    details_form = PersonalDetailsForm(holder=holder) if holder is not None else None
    context = _profile_context(request, holder, details_form, email_form=form)
    return render(request, f"{TEMPLATES}/profile.html", context, status=400)


def _profile_context(request, holder, details_form, email_form=None):
    return {
        "holder": holder,
        "details_form": details_form,
        "email_form": email_form or EmailChangeForm(user=request.user),
        "pending_email": EmailAddress.objects.get_new(request.user),
    }


@never_cache
@login_required
def export(request):
    """Everything we hold about the investor, as a JSON download (amounts as strings)."""
    body = json.dumps(personal_data(request.user), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    filename = f"commonshare-my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _link_refused(request, message: str, *, offer_new_link: bool):
    """A bad, expired or used link: say why, change nothing, and say how to get a good one."""
    context = {"message": message, "form": EmailForm() if offer_new_link else None}
    return render(request, f"{TEMPLATES}/link_refused.html", context, status=400)


@never_cache
def old_password_reset_link(request, uidb64, token):
    """A reset link emailed before login moved to its present pages: it cannot be used now."""
    messages.info(request, "That reset link has expired. Ask for a new one here.")
    return redirect("account:password-reset")


@never_cache
@login_required
def password_change_done(request):
    return render(request, "registration/password_change_done.html")
