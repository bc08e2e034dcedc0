"""`statusd user add|list|passwd|disable|enable`: dashboard users from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from statusd.config import Settings
from statusd.db import make_engine, transaction
from statusd.web.admin.users import (
    MAX_PASSWORD,
    UserError,
    add_user,
    check_password,
    find_user,
    list_users,
    normalise_username,
    require_user,
    set_disabled,
    set_password,
)

ACTOR = "cli"


def read_password(path: str | None, username: str, min_length: int) -> str:
    """The password from a file's first line ("-": stdin), or typed twice on a terminal."""
    if path is not None:
        try:
            if path == "-":
                line = sys.stdin.readline(MAX_PASSWORD + 2)
            else:
                with open(path, encoding="utf-8") as fh:
                    line = fh.readline(MAX_PASSWORD + 2)
        except OSError as exc:
            raise UserError(f"{path}: cannot read: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UserError(f"{path}: not UTF-8 text") from None
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("no terminal to ask the password on: use --password-file FILE (or -)")
    password = getpass.getpass(f"Password for {username}: ")
    check_password(password, username, min_length)
    if getpass.getpass("Same password again: ") != password:
        raise UserError("the two passwords differ")
    return password


def _add(db: Engine, args: argparse.Namespace, min_length: int) -> str:
    name = normalise_username(args.name)
    with Session(db) as session:
        if find_user(session, name) is not None:
            raise UserError(f"user {name!r} already exists")
    password = read_password(args.password_file, name, min_length)
    with transaction(db) as session:
        user = add_user(session, name, password, args.role, actor=ACTOR, min_length=min_length)
        return f"user {user.username} added ({user.role})"


def _list(db: Engine, args: argparse.Namespace, min_length: int) -> str:
    with Session(db) as session:
        users = list_users(session)
    rows = [("USER", "ROLE", "STATE", "CREATED", "LAST LOGIN")]
    for u in users:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        rows.append((u.username, u.role, "disabled" if u.disabled else "active",
                     u.created_at.strftime("%Y-%m-%d %H:%M"), last))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    return "\n".join(lines) + f"\n{len(users)} user{'s' if len(users) != 1 else ''}"


def _passwd(db: Engine, args: argparse.Namespace, min_length: int) -> str:
    with Session(db) as session:
        name = require_user(session, args.name).username
    password = read_password(args.password_file, name, min_length)
    with transaction(db) as session:
        set_password(session, name, password, actor=ACTOR, min_length=min_length)
    return f"password of {name} changed; their open sessions have ended"


def _switch(disabled: bool) -> Callable[[Engine, argparse.Namespace, int], str]:
    def run(db: Engine, args: argparse.Namespace, min_length: int) -> str:
        with transaction(db) as session:
            user = require_user(session, args.name)
            changed = set_disabled(session, user, disabled, actor=ACTOR)
            state = "disabled" if disabled else "enabled"
            return f"{user.username} {state}" if changed else f"{user.username} was already {state}"
    return run


COMMANDS: dict[str, Callable[[Engine, argparse.Namespace, int], str]] = {
    "add": _add, "list": _list, "passwd": _passwd,
    "disable": _switch(True), "enable": _switch(False),
}


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one `statusd user` action; 0 on success, 1 with a message on stderr otherwise."""
    db = make_engine(settings.database_url, base_dir=settings.base_dir)
    try:
        print(COMMANDS[args.user_command](db, args, int(settings.get("admin.password_min_length"))))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0
