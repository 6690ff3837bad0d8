from django.urls import path

from patron.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("language/", views.language_set, name="language"),
]
