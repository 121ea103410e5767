"""The application form behind an offer's "Invest" button, the page that follows it, and the
investor's withdrawal of an unpaid application."""

from django.urls import path

from investors.applications import views

app_name = "invest"

urlpatterns = [
    path("<int:offer_id>/", views.apply, name="apply"),
    path("applications/<str:reference>/", views.done, name="done"),
    path("applications/<str:reference>/withdraw/", views.withdraw, name="withdraw"),
]
