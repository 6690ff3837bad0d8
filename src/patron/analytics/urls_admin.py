from django.urls import path

from patron.analytics import views_settings

app_name = "value_settings"
urlpatterns = [
    path("", views_settings.value_settings, name="edit"),
    path("refresh/", views_settings.refresh_start, name="refresh"),
]
