"""Investors' account pages: thin views over `investors.accounts.services` and `.dashboard`."""

import json

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
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
    SignUpForm,
)
from investors.applications.services import holder_for_applicant
from shares.member_panels import member_panels

TEMPLATES = "investors/account"

# Every page here shows someone's own details, a form, or both: none may be kept by a browser
# or a shared cache (`never_cache` on each view).


@never_cache
def signup(request):
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or "account:dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _within_limit(request, "signup", form.cleaned_data["email"]):
            return ratelimit.respond_429(request)
        accounts.sign_up(email=form.cleaned_data["email"], name=form.cleaned_data["name"], next_url=next_url)
        request.session["signup_email"] = accounts.normalise_email(form.cleaned_data["email"])
        # Where they were going (an offer's form, say), for when they have chosen a password.
        request.session["signup_next"] = next_url
        return redirect("account:signup-sent")
    return render(request, f"{TEMPLATES}/signup.html", {"form": form, "next": next_url})


def _within_limit(request, action: str, email: str) -> bool:
    """One more `action` for this client address (and account, and address typed), within
    `ACCOUNT_RATE_LIMITS`? Counted in the cache, so across every process when it is Redis."""
    return ratelimit.consume(request, action=action, key=accounts.normalise_email(email), user=request.user)


def _safe_next(request, url: str | None) -> str:
    """`url` if it is a page of this site, else empty: a link can never send someone elsewhere."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


@never_cache
def signup_sent(request):
    """The same page whether or not the address already had an account."""
    return render(
        request, f"{TEMPLATES}/signup_sent.html", {"email": request.session.get("signup_email", "")}
    )


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email(request, token):
    """The page a sign-up link opens. Opening it (as mail scanners do too) changes nothing; the
    account is switched on, with the password chosen here, when the form is sent."""
    try:
        user = accounts.account_for_sign_up_link(token=token)
    except Refusal as error:
        return _link_refused(request, error, offer_new_link=True)
    if not accounts.is_awaiting_verification(user):
        return _already_confirmed(request)
    form = ChoosePasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verification = accounts.complete_sign_up(
                token=token, password=form.cleaned_data["new_password1"], name=form.cleaned_data["name"]
            )
        except Refusal as error:
            return _link_refused(request, error, offer_new_link=True)
        if not verification.newly_verified:  # the same link used meanwhile, in another window
            return _already_confirmed(request)
        # Where they were going: carried in the link (any browser), else kept by this session.
        carried = request.POST.get("next") or request.GET.get("next")
        next_url = _safe_next(request, carried or request.session.pop("signup_next", ""))
        login(request, verification.user, backend=settings.AUTHENTICATION_BACKENDS[0])
        messages.success(
            request, "Thank you: your email address is confirmed, your password is set and you are logged in."
        )
        return redirect(next_url or "account:dashboard")
    return render(request, f"{TEMPLATES}/choose_password.html", {"form": form, "email": user.username})


def _already_confirmed(request):
    messages.info(request, "Your email address was already confirmed.")
    return redirect("account:dashboard" if request.user.is_authenticated else "account:login")


@never_cache
def resend_verification(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _within_limit(request, "resend_verification", form.cleaned_data["email"]):
            return ratelimit.respond_429(request)
        accounts.resend_verification(email=form.cleaned_data["email"])
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
            accounts.request_email_change(user=request.user, new_email=form.cleaned_data["new_email"])
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
    }


@never_cache
@login_required
def confirm_email_change(request, token):
    """Only the account's owner, logged in, can confirm its new address; anyone else is sent to
    log in and brought back here."""
    try:
        verification = accounts.confirm_email_change(token=token, user=request.user)
    except Refusal as error:
        return _link_refused(request, error, offer_new_link=False)
    if verification.newly_verified:
        messages.success(request, f"Your email address is now {verification.user.email}.")
    else:
        messages.info(request, f"Your email address was already {verification.user.email}.")
    return redirect("account:profile")


@never_cache
@login_required
def export(request):
    """Everything we hold about the investor, as a JSON download (amounts as strings)."""
    body = json.dumps(personal_data(request.user), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    filename = f"commonshare-my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _link_refused(request, error, *, offer_new_link: bool):
    """A bad, expired or used link: say why, change nothing, and say how to get a good one."""
    context = {"message": str(error), "form": EmailForm() if offer_new_link else None}
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
