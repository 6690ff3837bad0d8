from django.urls import path

from patron.analytics import views_dashboards

app_name = "analytics"
urlpatterns = [
    path("value/", views_dashboards.overview, name="value"),
    path("value/<slug:name>.csv", views_dashboards.dashboard_csv, name="dashboard_csv"),
    path("value/<slug:name>/", views_dashboards.dashboard, name="dashboard"),
]
