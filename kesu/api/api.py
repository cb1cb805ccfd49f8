"""The NinjaAPI instance served at /api/v1/; each domain app adds its own router."""

from __future__ import annotations

from kesu.api import errors
from kesu.cases.api import router as cases_router
from kesu.intake.api import router as intake_router

api = errors.KesuNinjaAPI(
    title="Kesu API",
    version="1",
    description=(
        "Complaint cases over JSON. Authenticate with `Authorization: Bearer <token>`; "
        "tokens carry the scopes `cases:read` and `cases:write`. Errors share one "
        'shape: `{"error": {"code", "message", "field", "details"}}`.'
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
api.add_router("/cases", cases_router)
api.add_router("/complaints", intake_router)
