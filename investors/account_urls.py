"""Investors' accounts: sign-up, login, password reset and the dashboard. (Being built.)"""

from django.http import Http404
from django.urls import path

app_name = "account"


def _not_yet(request, *args, **kwargs):
    raise Http404


urlpatterns = [
    path("", _not_yet, name="dashboard"),
    path("signup/", _not_yet, name="signup"),
    path("login/", _not_yet, name="login"),
    path("logout/", _not_yet, name="logout"),
]
