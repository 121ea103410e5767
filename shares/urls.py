"""The public certificate check."""

from django.urls import path

from shares.views import verify_certificate

urlpatterns = [path("<str:token>/", verify_certificate, name="verify-certificate")]
