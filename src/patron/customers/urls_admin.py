"""Admin pages of the customer data, under /manage/ with the users and teams."""

from django.urls import path

from patron.customers import views_admin

app_name = "custom_fields"
urlpatterns = [
    path("", views_admin.custom_field_list, name="list"),
    path("new/", views_admin.custom_field_create, name="create"),
    path("<int:field_id>/", views_admin.custom_field_edit, name="edit"),
    path("<int:field_id>/delete/", views_admin.custom_field_delete, name="delete"),
]
