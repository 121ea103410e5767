"""The public JSON API (`/api/v1/`), with its OpenAPI schema at `/api/v1/openapi.json`: one
router per app, gathered here so that no app needs to import another to add its endpoints."""

from ninja import NinjaAPI

from capital.api import router as capital_router
from governance.api import router as governance_router

api = NinjaAPI(
    title="Commonshare API",
    version="1",
    urls_namespace="api-v1",
    description="Community shares and patient capital: public tools for co-ops and their investors.",
)
api.add_router("", capital_router)
api.add_router("", governance_router)
