from django.urls import path

from patron.interactions import views

app_name = "questions"
urlpatterns = [
    path("", views.question_list, name="list"),
    path("new/", views.question_create, name="create"),
    path("<int:question_id>/", views.question_edit, name="edit"),
    path("<int:question_id>/delete/", views.question_delete, name="delete"),
]
