"""An investor's withdrawal requests, from their dashboard."""

from django.urls import path

from investors.withdrawals import views

urlpatterns = [
    path("<int:share_class_id>/", views.withdraw, name="withdraw"),
    path("<int:pk>/cancel/", views.cancel, name="withdrawal-cancel"),
]
