"""A member's nomination, from their dashboard."""

from django.urls import path

from investors.nominations import views

urlpatterns = [
    path("<int:society_id>/", views.nominate, name="nominate"),
    path("<int:pk>/revoke/", views.revoke, name="nomination-revoke"),
]
