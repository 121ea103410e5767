"""The application form behind an offer's "Invest" button, and the page that follows it."""

from django.urls import path

from investors import apply_views

app_name = "invest"

urlpatterns = [
    path("<int:offer_id>/", apply_views.apply, name="apply"),
    path("applications/<str:reference>/", apply_views.done, name="done"),
]
