"""A holder's transfers, from their dashboard, and the receiver's link."""

from django.urls import path

from investors.transfers import views

urlpatterns = [
    path("account/transfers/<int:share_class_id>/", views.transfer, name="transfer"),
    path("account/transfers/<int:pk>/cancel/", views.cancel, name="transfer-cancel"),
    path("transfers/accept/<str:token>/", views.accept, name="transfer-accept"),
]
