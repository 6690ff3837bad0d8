from django.urls import path

from patron.analytics import views_worklist

app_name = "worklist"
urlpatterns = [
    path("my-day/", views_worklist.my_day, name="my_day"),
    path(
        "my-day/tasks/<int:task_id>/<slug:action>/",
        views_worklist.task_action,
        name="task_action",
    ),
    path("signals/", views_worklist.signal_list, name="signals"),
]
