"""The public JSON API (`/api/v1/`), with its OpenAPI schema at `/api/v1/openapi.json`."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Commonshare API",
    version="1",
    urls_namespace="api-v1",
    description="Community shares and patient capital: public tools for co-ops and their investors.",
)
