"""The application form behind an offer's "Invest" button, and the page that follows it."""

from django.urls import path

from investors.applications import views

app_name = "invest"

urlpatterns = [
    path("<int:offer_id>/", views.apply, name="apply"),
    path("applications/<str:reference>/", views.done, name="done"),
]
