"""Users (admin role only): list, add, change role, disable and enable."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from statusd.db import transaction
from statusd.models import User
from statusd.web.admin.auth import action, page
from statusd.web.admin.render import done, field, path_id, render
from statusd.web.admin.users import (
    MAX_PASSWORD,
    Role,
    UserError,
    Who,
    add_user,
    list_users,
    set_disabled,
    set_role,
    user_by_id,
)
from statusd.web.state import web_state

SECTION = "/admin/users"


@page(Role.ADMIN)
def users_page(request: Request, who: Who) -> Response:
    """GET /admin/users: every user, with role and enable/disable forms, and the add form."""
    st = web_state(request)
    with Session(st.db) as session:
        users = list_users(session)
    return render(request, "admin/users.html", who, {
        "users": users, "roles": [r.value for r in Role],
        "min_length": st.settings.get("admin.password_min_length"),
    }, section=SECTION)


@action(Role.ADMIN)
def create(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/users: add a user (username, role, password typed twice)."""
    st = web_state(request)
    password = field(form, "password", MAX_PASSWORD + 1)
    try:
        if password != field(form, "password_confirm", MAX_PASSWORD + 1):
            raise UserError("the two passwords differ")
        with transaction(st.db) as session:
            user = add_user(session, field(form, "username", 100), password,
                            field(form, "role", 20), actor=who.actor,
                            min_length=int(st.settings.get("admin.password_min_length")),
                            now=st.clock())
            name, role = user.username, user.role
    except UserError as exc:
        return done(request, SECTION, "error", str(exc))
    return done(request, SECTION, "ok", f"User {name} added ({role}).")


def _change(request: Request, who: Who, change: Callable[[Session, User], bool],
            verb: str) -> Response:
    st = web_state(request)
    user_id = path_id(request, "user_id")
    try:
        if user_id is None:
            raise UserError("no such user")
        with transaction(st.db) as session:
            user = user_by_id(session, user_id)
            changed = change(session, user)
            name = user.username
    except UserError as exc:
        return done(request, SECTION, "error", str(exc))
    return done(request, SECTION, "ok", f"{name}: {verb}." if changed else f"{name}: no change.")


@action(Role.ADMIN)
def change_role(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/users/{id}/role: give a user another role (never leaving no admin)."""
    role = field(form, "role", 20)
    return _change(request, who, lambda s, u: set_role(s, u, role, actor=who.actor,
                                                        now=web_state(request).clock()),
                   f"role is now {role}")


@action(Role.ADMIN)
def disable(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/users/{id}/disable: refuse the user's logins and end their sessions."""
    def change(session: Session, user: User) -> bool:
        if user.id == who.id:
            raise UserError("you cannot disable yourself")
        return set_disabled(session, user, True, actor=who.actor, now=web_state(request).clock())
    return _change(request, who, change, "disabled")


@action(Role.ADMIN)
def enable(request: Request, who: Who, form: FormData) -> Response:
    """POST /admin/users/{id}/enable: allow the user to log in again."""
    return _change(request, who, lambda s, u: set_disabled(s, u, False, actor=who.actor,
                                                            now=web_state(request).clock()),
                   "enabled")
