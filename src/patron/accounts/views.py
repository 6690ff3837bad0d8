"""Sign in and out, one's own account and tokens, and the admin pages for users and teams."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from patron.accounts import selectors, services
from patron.accounts.authentication import login_attempt
from patron.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    TeamForm,
    TokenForm,
    UserCreateForm,
    UserForm,
)
from patron.accounts.models import Role
from patron.core.errors import PatronError, Throttled
from patron.core.forms import apply_errors
from patron.core.languages import language_cookie_set
from patron.core.pagination import paginate
from patron.core.visibility import require_admin


def admin_required(view: Any) -> Any:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_admin(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login_attempt(
                request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except Throttled as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            if user is None:
                form.add_error(None, _("The email or the password is not correct."))
                status = 401
            else:
                login(request, user)
                response = redirect(_safe_next(request, "web:dashboard"))
                language_cookie_set(response, user.language)
                return response
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": request.GET.get("next", "")}
    return render(request, "accounts/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=user, user=user, **form.cleaned_data)
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            language_cookie_set(response, user.language)
            return response
    return render(request, "accounts/profile.html", {"form": form})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and not form.is_valid() and form.data.get("old_password"):
        # Say everything at once: a wrong current password too, not only the mismatch.
        try:
            services.current_password_check(
                user=request.user, current_password=form.data["old_password"]
            )
        except PatronError as exc:
            form.add_error("old_password", exc.message)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user,
                user=request.user,
                password=form.cleaned_data["new_password1"],
                current_password=form.cleaned_data["old_password"],
            )
        except PatronError as exc:
            # The service names the fields as the API does; the form has its own names.
            names = {"current_password": "old_password", "password": "new_password1"}
            details = {names.get(k, k): v for k, v in exc.details.items()}
            apply_errors(form, details, exc.message)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password is changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_token = services.token_create(
                actor=request.user, user=request.user, name=form.cleaned_data["name"]
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": selectors.token_list(user=request.user),
        "new_token": new_token,
    }
    return render(request, "accounts/tokens.html", context)


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.token_revoke(actor=request.user, token_id=token_id)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    users = selectors.user_list(
        viewer=request.user, query=query, role=role if role in Role.values else ""
    )
    context = {
        "page": paginate(request, users),
        "query": query,
        "role": role,
        "roles": Role.choices,
    }
    return render(request, "accounts/user_list.html", context)


@sensitive_post_parameters("password")
@admin_required
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = data["password"] or services.generate_password()
        try:
            user = services.user_create(
                actor=request.user,
                email=data["email"],
                password=password,
                role=data["role"],
                full_name=data["full_name"],
                teams=data["teams"],
            )
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            if not data["password"]:
                messages.success(
                    request,
                    _(
                        "%(email)s can sign in with the password %(password)s "
                        "— it is shown only this once."
                    )
                    % {"email": user.email, "password": password},
                )
            else:
                messages.success(request, _("User %(email)s is created.") % {"email": user.email})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@admin_required
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = selectors.user_get(viewer=request.user, user_id=user_id)
    initial = {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "teams": list(user.teams.all()),
        "is_active": user.is_active,
    }
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        teams = data.pop("teams")
        try:
            services.user_update(actor=request.user, user=user, teams=teams, **data)
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("User %(email)s is saved.") % {"email": user.email})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})


@admin_required
def team_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/team_list.html", {"page": paginate(request, selectors.team_list())}
    )


@admin_required
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=request.user, **form.cleaned_data)
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("Team %(name)s is created.") % {"name": team.name})
            return redirect("accounts:team_list")
    return render(request, "accounts/team_form.html", {"form": form, "creating": True})


@admin_required
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get(team_id=team_id)
    form = TeamForm(
        request.POST or None,
        initial={"name": team.name, "description": team.description, "manager": team.manager_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(actor=request.user, team=team, **form.cleaned_data)
        except PatronError as exc:
            apply_errors(form, exc.details, exc.message)
        else:
            messages.success(request, _("Team %(name)s is saved.") % {"name": team.name})
            return redirect("accounts:team_list")
    return render(request, "accounts/team_form.html", {"form": form, "edited": team})


@require_POST
@admin_required
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    team = selectors.team_get(team_id=team_id)
    services.team_delete(actor=request.user, team=team)
    messages.success(request, _("Team %(name)s is deleted.") % {"name": team.name})
    return redirect("accounts:team_list")
