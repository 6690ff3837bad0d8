"""Admin pages of the service settings, under /manage/service/."""

from django.urls import path
from django.views.generic import RedirectView

from patron.service import views_admin as v

app_name = "service_admin"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="service_admin:policies"), name="index"),
    path("categories/", v.category_list, name="categories"),
    path("categories/new/", v.category_create, name="category_create"),
    path("categories/<int:category_id>/", v.category_edit, name="category_edit"),
    path("policies/", v.policy_list, name="policies"),
    path("policies/new/", v.policy_create, name="policy_create"),
    path("policies/<int:policy_id>/", v.policy_edit, name="policy_edit"),
    path("policies/<int:policy_id>/delete/", v.policy_delete, name="policy_delete"),
    path("hours/", v.hours_list, name="hours"),
    path("hours/new/", v.hours_create, name="hours_create"),
    path("hours/<int:hours_id>/", v.hours_edit, name="hours_edit"),
    path("hours/<int:hours_id>/delete/", v.hours_delete, name="hours_delete"),
    path("hours/<int:hours_id>/holidays/", v.holiday_add, name="holiday_add"),
    path(
        "hours/<int:hours_id>/holidays/<int:holiday_id>/delete/",
        v.holiday_remove,
        name="holiday_remove",
    ),
]
