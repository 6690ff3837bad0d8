from django.urls import path

from patron.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.survey_list, name="surveys"),
    path("new/", views.survey_create, name="create"),
    path("invite/", views.invitation_create, name="invite"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/edit/", views.survey_edit, name="edit"),
    path("<int:survey_id>/status/", views.survey_status, name="status"),
    path("<int:survey_id>/send/", views.survey_send, name="send"),
    path("<int:survey_id>/questions/", views.question_add, name="question_add"),
    path(
        "<int:survey_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("<int:survey_id>/versions/", views.version_add, name="version_add"),
    path("<int:survey_id>/versions/<str:language>/", views.version_save, name="version"),
    path(
        "<int:survey_id>/versions/<str:language>/delete/",
        views.version_delete,
        name="version_delete",
    ),
]
