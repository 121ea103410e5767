"""Investors' accounts: sign-up with a verified email address, login, password reset, the
dashboard, and their personal data (correct it, export it)."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.decorators.cache import never_cache

from investors.accounts import views
from investors.accounts.forms import EmailLoginForm, PasswordResetForm
from investors.payouts import views as payouts

app_name = "account"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("verify/again/", views.resend_verification, name="resend-verification"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's login and set-password views are never cached already; these two forms are not.
    path(
        "password/reset/",
        never_cache(
            auth_views.PasswordResetView.as_view(
                form_class=PasswordResetForm, success_url=reverse_lazy("account:password-reset-done")
            )
        ),
        name="password-reset",
    ),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("account:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password-reset-complete"
    ),
    path(
        "password/",
        never_cache(
            auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("account:password-change-done"))
        ),
        name="password-change",
    ),
    path("password/changed/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    path("profile/", views.profile, name="profile"),
    path("profile/email/", views.change_email, name="change-email"),
    path("profile/email/<str:token>/", views.confirm_email_change, name="confirm-email-change"),
    path("profile/export/", views.export, name="export"),
    path("payout/", payouts.payout, name="payout"),
    path("payout/interest/<int:share_class_id>/", payouts.election, name="interest-election"),
]
