from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from capital.api import api
from investors import withdrawal_views
from investors.document_views import download_certificate, download_document
from shares.views import verify_certificate

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("payments/", include("investors.urls")),
    path(
        "account/documents/<int:pk>/<str:filename>",
        download_document,
        name="holder-document",
    ),
    path("account/withdrawals/<int:share_class_id>/", withdrawal_views.withdraw, name="withdraw"),
    path("account/withdrawals/<int:pk>/cancel/", withdrawal_views.cancel, name="withdrawal-cancel"),
    path("account/", include("investors.account_urls")),
    path("invest/", include("investors.apply_urls")),
    path("verify/<str:token>/", verify_certificate, name="verify-certificate"),
    path(
        "documents/certificates/<slug:society>/<int:number>.pdf",
        download_certificate,
        name="certificate-pdf",
    ),
    # Wagtail serves every other path from the page tree; keep it last.
    path("", include(wagtail_urls)),
]
