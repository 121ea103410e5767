"""Downloading documents: an investor's own, and a certificate by its number."""

from django.urls import path

from investors.documents import views

urlpatterns = [
    path("account/documents/<int:pk>/<str:filename>", views.download_document, name="holder-document"),
    path(
        "documents/certificates/<slug:society>/<int:number>.pdf",
        views.download_certificate,
        name="certificate-pdf",
    ),
]
