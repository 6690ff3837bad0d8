"""The public survey pages, reached with an invitation's signed token; no sign-in."""

from django.urls import path

from patron.feedback import views_public

app_name = "survey_public"
urlpatterns = [
    path("<str:token>/", views_public.answer, name="answer"),
    path("<str:token>/thanks/", views_public.thanks, name="thanks"),
    path("<str:token>/unsubscribe/", views_public.unsubscribe, name="unsubscribe"),
]
