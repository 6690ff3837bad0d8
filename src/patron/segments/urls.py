from django.urls import path

from patron.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("count/", views.segment_count, name="count"),
    path("customer/<int:customer_id>/", views.customer_card, name="customer_card"),
    path("<int:segment_id>/", views.segment_detail, name="detail"),
    path("<int:segment_id>/edit/", views.segment_edit, name="edit"),
    path("<int:segment_id>/delete/", views.segment_delete, name="delete"),
    path("<int:segment_id>/evaluate/", views.segment_evaluate, name="evaluate"),
    path("<int:segment_id>/export.csv", views.segment_export, name="export"),
    path("<int:segment_id>/members/search/", views.member_search, name="member_search"),
    path("<int:segment_id>/members/add/", views.member_add, name="member_add"),
    path(
        "<int:segment_id>/members/<int:customer_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
]
