from django.urls import path

from patron.service import views

app_name = "service"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.ticket_new, name="new"),
    path("<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("<int:ticket_id>/reply/", views.ticket_reply, name="reply"),
    path("<int:ticket_id>/note/", views.ticket_note, name="note"),
    path("<int:ticket_id>/status/", views.ticket_status, name="status"),
    path("<int:ticket_id>/resolve/", views.ticket_resolve, name="resolve"),
    path("<int:ticket_id>/close/", views.ticket_close, name="close"),
    path("<int:ticket_id>/reopen/", views.ticket_reopen, name="reopen"),
    path("<int:ticket_id>/edit/", views.ticket_edit, name="edit"),
    path("<int:ticket_id>/messages/<int:message_id>/resend/", views.message_resend, name="resend"),
    path("customer/<int:customer_id>/", views.customer_card, name="customer_card"),
]
