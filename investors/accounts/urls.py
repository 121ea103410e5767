"""Investors' accounts: sign-up with a verified email address, login, password reset, the
dashboard, and their personal data (correct it, export it, change the login address)."""

from allauth.account import views as allauth_views
from django.urls import path, re_path
from django.views.decorators.cache import never_cache
from django.views.generic import RedirectView

from investors.accounts import views
from investors.payouts import views as payouts

app_name = "account"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # Sign-up, verifying an address, login, logout, password reset and change are django-allauth's
    # (with its two-factor step); the names here are the ones our pages use, older addresses
    # redirect, and links we signed ourselves before allauth sent them ask for a new one.
    path("signup/", allauth_views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("confirm-email/", RedirectView.as_view(pattern_name="account:signup-sent")),
    path("confirm-email/<str:key>/", views.confirm_address, name="confirm-email"),
    path("verify/again/", views.resend_verification, name="resend-verification"),
    path("verify/<str:token>/", views.old_link, {"offer_new_link": True}),
    path("login/", allauth_views.login, name="login"),
    path("logout/", allauth_views.logout, name="logout"),
    path("password/reset/", never_cache(allauth_views.password_reset), name="password-reset"),
    path("password/reset/done/", allauth_views.password_reset_done, name="password-reset-done"),
    path(
        "password/reset/key/done/",
        allauth_views.password_reset_from_key_done,
        name="password-reset-complete",
    ),
    path("password/reset/sent/", RedirectView.as_view(pattern_name="account:password-reset-done")),
    # A reset link emailed before the move: ask for a new one.
    re_path(
        r"^password/reset/(?!key/)(?P<uidb64>[0-9A-Za-z_\-]+)/(?P<token>[0-9A-Za-z]{1,13}-[0-9A-Za-z]{1,40})/$",
        views.old_password_reset_link,
    ),
    path("password/change/", never_cache(allauth_views.password_change), name="password-change"),
    path("password/", RedirectView.as_view(pattern_name="account:password-change")),
    path("password/changed/", views.password_change_done, name="password-change-done"),
    # Addresses change only through the profile page (allauth's new address, waiting for its
    # link): allauth's own address book, which could remove or swap addresses, leads there.
    path("email/", RedirectView.as_view(pattern_name="account:profile")),
    path("profile/", views.profile, name="profile"),
    path("profile/email/", views.change_email, name="change-email"),
    path("profile/email/<str:token>/", views.old_link, {"offer_new_link": False}),
    path("profile/export/", views.export, name="export"),
    path("payout/", payouts.payout, name="payout"),
    path("payout/interest/<int:share_class_id>/", payouts.election, name="interest-election"),
]
