from django.urls import path

from patron.feedback import views_results

app_name = "feedback_results"

urlpatterns = [
    path("", views_results.index, name="index"),
    path("<int:survey_id>/", views_results.survey_page, name="survey"),
    path("<int:survey_id>/verbatims/", views_results.verbatims_page, name="verbatims"),
    path("<int:survey_id>/csv/", views_results.results_csv, name="csv"),
    path("<int:survey_id>/loop/", views_results.loop_panel, name="loop"),
    path("<int:survey_id>/tags/", views_results.tags_panel, name="tags_card"),
    path("kind/<str:kind>/", views_results.survey_page, name="kind"),
    path("kind/<str:kind>/verbatims/", views_results.verbatims_page, name="kind_verbatims"),
    path("kind/<str:kind>/csv/", views_results.results_csv, name="kind_csv"),
    path("kind/<str:kind>/loop/", views_results.loop_panel, name="kind_loop"),
    path("kind/<str:kind>/tags/", views_results.tags_panel, name="kind_tags_card"),
    path("verbatims/<int:response_id>/tags/", views_results.verbatim_tags, name="tags"),
    path(
        "verbatims/<int:response_id>/reference/",
        views_results.flag_reference,
        name="reference",
    ),
]
