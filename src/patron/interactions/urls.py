from django.urls import path

from patron.interactions import views, views_customer

app_name = "interactions"
urlpatterns = [
    path("timeline/", views.timeline, name="timeline"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:task_id>/<slug:action>/", views.task_action, name="task_action"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path(
        "customers/<int:customer_id>/timeline/",
        views_customer.customer_timeline_page,
        name="customer_timeline",
    ),
    path("customers/<int:customer_id>/log/", views_customer.interaction_log, name="log"),
    path("customers/<int:customer_id>/notes/", views_customer.note_add, name="note_add"),
    path("customers/<int:customer_id>/tasks/", views_customer.task_add, name="task_add"),
]
