from django.urls import include, path

from patron.api import api
from patron.web import views as web_views

urlpatterns = [
    path("", include("patron.web.urls")),
    path("", include("patron.accounts.urls")),
    path("", include("patron.analytics.urls_customer")),
    path("customers/", include("patron.customers.urls")),
    path("manage/custom-fields/", include("patron.customers.urls_admin")),
    path("manage/questions/", include("patron.interactions.urls_admin")),
    path("manage/value/", include("patron.analytics.urls_admin")),
    path("", include("patron.interactions.urls")),
    path("", include("patron.commerce.urls")),
    path("segments/", include("patron.segments.urls")),
    path("", include("patron.analytics.urls")),
    path("", include("patron.analytics.urls_worklist")),
    path("service/kpis/", include("patron.service.urls_kpis")),
    path("service/", include("patron.service.urls")),
    path("manage/service/", include("patron.service.urls_admin")),
    path("feedback/results/", include("patron.feedback.urls_results")),
    path("feedback/ideas/", include("patron.feedback.urls_ideas")),
    path("feedback/", include("patron.feedback.urls")),
    # Public survey pages: no login, a signed token per invitation.
    path("s/", include("patron.feedback.urls_public")),
    path("audit/", include("patron.core.urls")),
    path("api/v1/", api.urls),
    path("healthz", web_views.healthz, name="healthz"),
]

handler400 = "patron.web.views.bad_request"
handler403 = "patron.web.views.forbidden"
handler404 = "patron.web.views.not_found"
handler500 = "patron.web.views.server_error"
