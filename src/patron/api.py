"""The REST API at /api/v1/: one NinjaAPI, routers from each app."""

from __future__ import annotations

from ninja import NinjaAPI

from patron import __version__
from patron.accounts.api import router as accounts_router
from patron.analytics import api as analytics_api
from patron.analytics.api_dashboards import router as dashboards_router
from patron.commerce import api as commerce_api
from patron.commerce.api_import import router as orders_import_router
from patron.core.api import router as core_router
from patron.core.api_base import AUTH, install_error_handlers
from patron.customers.api import router as customers_router
from patron.customers.api_import import router as customers_import_router
from patron.customers.api_merge import router as customers_merge_router
from patron.interactions import api as interactions_api
from patron.interactions import api_notes, api_questions, api_tasks, api_timeline
from patron.interactions.api_import import router as interactions_import_router

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
# A customer's conversation: /customers/{id}/timeline, /brief, /notes, /answers. After the
# customers router, so that its literal paths (/customers/tags ...) are matched first.
api.add_router("/customers", api_timeline.customer_timeline)
api.add_router("/customers", api_timeline.brief)
api.add_router("/customers", api_notes.customer_notes)
api.add_router("/customers", api_questions.answers)
api.add_router("/customers", analytics_api.customer_metrics)
# Each resource: its literal paths (/tasks/counts, /notifications/read, the imports)
# come before, or in the same router as, its /{id}.
api.add_router("/interactions", interactions_import_router)
api.add_router("/orders", orders_import_router)
api.add_router("/interactions", interactions_api.router)
api.add_router("/tasks", api_tasks.router)
api.add_router("/notes", api_notes.notes)
api.add_router("/notifications", api_notes.notifications)
api.add_router("/timeline", api_timeline.team_timeline)
api.add_router("/questions", api_questions.router)
api.add_router("/orders", commerce_api.orders)
api.add_router("/products", commerce_api.products)
api.add_router("/segments", "patron.segments.api.router")
api.add_router("/dashboards", dashboards_router)
# Service: /tickets/inbound-mail; /tickets (+ replies, notes); /sla-policies, /service-hours,
# /sla-breaches, /ticket-categories; /service/kpis.
api.add_router("/", "patron.service.api_mail.router")  # /tickets/inbound-mail first
api.add_router("/", "patron.service.api.router")
api.add_router("/", "patron.service.api_sla.router")
api.add_router("/", "patron.service.api_kpis.router")
# Feedback: /surveys, /invitations; /responses; /survey-results; /ideas, /programmes.
api.add_router("/", "patron.feedback.api_surveys.router")
api.add_router("/", "patron.feedback.api_responses.router")
api.add_router("/", "patron.feedback.api_results.router")
api.add_router("/", "patron.feedback.api_ideas.router")
api.add_router("/", analytics_api.value)
api.add_router("/signals", "patron.analytics.api_signals.router")
api.add_router("/", core_router)
