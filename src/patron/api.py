"""The REST API at /api/v1/: one NinjaAPI, routers from each app."""

from __future__ import annotations

from ninja import NinjaAPI

from patron import __version__
from patron.accounts.api import router as accounts_router
from patron.core.api import router as core_router
from patron.core.api_base import AUTH, install_error_handlers
from patron.customers.api import router as customers_router
from patron.customers.api_import import router as customers_import_router
from patron.customers.api_merge import router as customers_merge_router

api = NinjaAPI(
    title="Patron API",
    version=__version__,
    description=(
        "The REST API of Patron, a customer-centric CRM. Authenticate with "
        "`Authorization: Bearer <token>` (create one with `patron token create EMAIL` or "
        "under *API tokens* in the web UI). Errors always have the shape "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
# Before the customers router: its /{customer_id} would otherwise catch /duplicates.
api.add_router("/customers", customers_merge_router)
api.add_router("/customers", customers_import_router)
api.add_router("/customers", customers_router)
api.add_router("/", core_router)
