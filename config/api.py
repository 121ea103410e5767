"""The public JSON API (`/api/v1/`), with its OpenAPI schema at `/api/v1/openapi.json`: one
router per app, gathered here so that no app needs to import another to add its endpoints."""

from django.conf import settings
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.throttling import AnonRateThrottle

from capital.api import router as capital_router
from governance.api import router as governance_router

api = NinjaAPI(
    title="Commonshare API",
    version="1",
    urls_namespace="api-v1",
    # No interactive docs page: Ninja's loads Swagger from a CDN with an inline script, which the
    # site's Content-Security-Policy refuses. The schema itself is at /api/v1/openapi.json.
    docs_url=None,
    description=(
        "Community shares and patient capital: public tools for co-ops and their investors. Each "
        f"client may make {settings.API_THROTTLE_RATE.replace('/', ' requests a ')}; past that it gets 429."
    ),
    # Per client address, counted in the cache (Redis when REDIS_URL is set: across processes).
    throttle=[AnonRateThrottle(settings.API_THROTTLE_RATE)],
)


@api.exception_handler(Throttled)
def too_many_requests(request, exc):
    response = api.create_response(
        request,
        {"detail": "Too many requests from your address. Wait a minute, then try again."},
        status=429,
    )
    if exc.wait:
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


api.add_router("", capital_router)
api.add_router("", governance_router)
