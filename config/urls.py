from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.views import favicon, news_opt_out
from config.api import api
from config.health import HealthView

urlpatterns = [
    # For the load balancer and the operator: database, cache, storage, each task queue.
    path("healthz", HealthView.as_view(), name="healthz"),
    # Wagtail's admin logs in through the site's login, with its two-factor step.
    path("admin/login/", RedirectView.as_view(url="/account/login/", query_string=True)),
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
    # django-allauth: the pages it links to itself, and two-factor at /account/2fa/….
    path("account/", include("allauth.urls")),
    path("invest/", include("investors.applications.urls")),
    path("verify/", include("shares.urls")),
    # The public decision record at /decisions/…, a member's meetings at /account/meetings/….
    path("", include("governance.urls")),
    # Wagtail's own login for private pages would skip two-factor and the limits: the site's login instead.
    path("_util/login/", RedirectView.as_view(url="/account/login/", query_string=True)),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", favicon),
    path("news/opt-out/<str:token>/", news_opt_out, name="news-opt-out"),
    # Wagtail serves every other path from the page tree; keep it last.
    path("", include(wagtail_urls)),
]
