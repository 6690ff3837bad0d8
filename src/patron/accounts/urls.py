from django.urls import path

from patron.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.profile, name="profile"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("manage/users/", views.user_list, name="user_list"),
    path("manage/users/new/", views.user_create, name="user_create"),
    path("manage/users/<int:user_id>/", views.user_edit, name="user_edit"),
    path("manage/teams/", views.team_list, name="team_list"),
    path("manage/teams/new/", views.team_create, name="team_create"),
    path("manage/teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("manage/teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
]
