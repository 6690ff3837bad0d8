from django.urls import path

from patron.feedback import views_ideas

app_name = "ideas"

urlpatterns = [
    path("", views_ideas.idea_list, name="list"),
    path("new/", views_ideas.idea_create, name="create"),
    path("<int:idea_id>/", views_ideas.idea_detail, name="detail"),
    path("<int:idea_id>/edit/", views_ideas.idea_update, name="update"),
    path("<int:idea_id>/vote/", views_ideas.idea_vote, name="vote"),
    path("<int:idea_id>/tell/", views_ideas.idea_tell, name="tell"),
    path("<int:idea_id>/requesters/search/", views_ideas.requester_search, name="requester_search"),
    path("<int:idea_id>/requesters/", views_ideas.requester_add, name="requester_add"),
    path(
        "<int:idea_id>/requesters/<int:customer_id>/remove/",
        views_ideas.requester_remove,
        name="requester_remove",
    ),
    # The customer page's feedback card, read once the page is shown.
    path("customer/<int:customer_id>/card/", views_ideas.customer_card, name="customer_card"),
    path(
        "customer/<int:customer_id>/early-adopter/",
        views_ideas.customer_programme,
        name="customer_programme",
    ),
]
