from django.urls import path

from patron.core import views

app_name = "core"
urlpatterns = [
    path("<str:target_type>/<str:target_id>/", views.audit_trail, name="audit_trail"),
]
