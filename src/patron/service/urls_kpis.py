from django.urls import path

from patron.service import views_kpis, views_win_back

app_name = "service_kpis"
urlpatterns = [
    path("", views_kpis.dashboard, name="dashboard"),
    path("<slug:name>.csv", views_kpis.dashboard_csv, name="csv"),
    # The customer page's win-back card (loaded with HTMX once the page is shown).
    path(
        "customers/<int:customer_id>/win-back/",
        views_win_back.win_back_card,
        name="win_back_card",
    ),
]
