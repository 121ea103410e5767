"""An investor's redemption requests, from their dashboard."""

from django.urls import path

from investors.redemptions import views

urlpatterns = [
    path("<int:share_class_id>/", views.redeem, name="redeem"),
    path("<int:pk>/cancel/", views.cancel, name="redemption-cancel"),
]
