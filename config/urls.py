from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.views import favicon, news_opt_out
from config.api import api

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v1/", api.urls),
    path("payments/", include("investors.payments.urls")),
    # Downloads at /account/documents/… and /documents/certificates/….
    path("", include("investors.documents.urls")),
    path("account/withdrawals/", include("investors.withdrawals.urls")),
    path("account/redemptions/", include("investors.redemptions.urls")),
    path("account/nominations/", include("investors.nominations.urls")),
    # A holder's transfers at /account/transfers/…, the receiver's link at /transfers/accept/….
    path("", include("investors.transfers.urls")),
    path("account/", include("investors.accounts.urls")),
    path("invest/", include("investors.applications.urls")),
    path("verify/", include("shares.urls")),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", favicon),
    path("news/opt-out/<str:token>/", news_opt_out, name="news-opt-out"),
    # Wagtail serves every other path from the page tree; keep it last.
    path("", include(wagtail_urls)),
]
