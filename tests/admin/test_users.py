"""The user store and `statusd user`: names, roles, the password policy, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd.cli import main
from statusd.db import transaction
from statusd.models import AuditEvent, User
from statusd.web.admin import users
from statusd.web.admin.users import Role, UserError, check_password

pytestmark = pytest.mark.db


@pytest.mark.parametrize(("password", "problem"), [
    ("", "empty"),
    ("short1!", "too short"),
    ("a" * 1025 + "bcd", "too long"),
    ("aaaaaaaaaaaa", "too simple"),
    ("abababababab", "too simple"),
    ("xxalice-secret", "username"),
    ("Password123", "common"),
    ("1234567890", "common"),
])
def test_weak_passwords_are_refused(password: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        check_password(password, "alice", 10)


@pytest.mark.parametrize("password", ["correct horse battery", "Tr0ub4dor&3xx", "üüüabcdefg"])
def test_good_passwords_pass(password: str) -> None:
    check_password(password, "alice", 10)


@pytest.mark.parametrize(("mine", "needed", "allowed"), [
    (Role.VIEWER, Role.VIEWER, True), (Role.VIEWER, Role.OPERATOR, False),
    (Role.OPERATOR, Role.OPERATOR, True), (Role.OPERATOR, Role.ADMIN, False),
    (Role.ADMIN, Role.VIEWER, True), (Role.ADMIN, Role.ADMIN, True),
])
def test_role_order(mine: Role, needed: Role, allowed: bool) -> None:
    assert mine.allows(needed) is allowed


def test_hashes_are_argon2id_and_salted(db: Engine) -> None:
    with transaction(db) as s:
        a = users.add_user(s, "a1", "correct horse battery", "viewer", actor="t", min_length=10)
        b = users.add_user(s, "b1", "correct horse battery", "viewer", actor="t", min_length=10)
        assert a.password_hash.startswith("$argon2id$")
        assert a.password_hash != b.password_hash
        assert "correct" not in a.password_hash
        assert users.authenticate(s, "A1", "correct horse battery") is not None
        assert users.authenticate(s, "a1", "Correct horse battery") is None


def test_old_hash_parameters_are_upgraded_at_login(db: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with transaction(db) as s:
        users.add_user(s, "a1", "correct horse battery", "viewer", actor="t", min_length=10)
    from argon2 import PasswordHasher
    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=2, memory_cost=2048,
                                                        parallelism=1))
    with transaction(db) as s:
        user = users.authenticate(s, "a1", "correct horse battery")
        assert user is not None and "t=2" in user.password_hash


def _config(tmp_path: Path, db: Engine) -> str:
    cfg = tmp_path / "statusd.toml"
    url = db.url.render_as_string(hide_password=False)
    cfg.write_text(f'[storage]\ndatabase = "{url}"\n')
    return str(cfg)


def _password_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "pw"
    path.write_text(text)
    return str(path)


def test_cli_user_add_with_password_file(tmp_path: Path, db: Engine,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, db)
    pw = _password_file(tmp_path, "correct horse battery\nsecond line ignored\n")
    assert main(["user", "add", "Alice", "--role", "admin", "--password-file", pw,
                 "--config", cfg]) == 0
    assert capsys.readouterr().out.strip() == "user alice added (admin)"
    with Session(db) as s:
        user = s.exec(select(User)).one()
        assert (user.username, user.role, user.disabled) == ("alice", "admin", False)
        assert users.verify_password(user.password_hash, "correct horse battery")
        event = s.exec(select(AuditEvent)).one()
        assert (event.actor, event.action, event.target) == ("cli", "user.add", "user:alice")


@pytest.mark.parametrize(("argv", "content", "message"), [
    (["user", "add", "bob", "--role", "viewer"], "short\n", "too short"),
    (["user", "add", "bob", "--role", "viewer"], "\n", "the password is empty"),
    (["user", "add", "alice", "--role", "viewer"], "correct horse battery\n", "already exists"),
    (["user", "add", "b b", "--role", "viewer"], "correct horse battery\n", "a username is"),
    (["user", "passwd", "nobody"], "correct horse battery\n", "no user 'nobody'"),
])
def test_cli_refuses_with_clear_messages(
    tmp_path: Path, db: Engine, capsys: pytest.CaptureFixture[str], argv: list[str],
    content: str, message: str,
) -> None:
    cfg = _config(tmp_path, db)
    with transaction(db) as s:
        users.add_user(s, "alice", "correct horse battery", "admin", actor="t", min_length=10)
    capsys.readouterr()
    code = main([*argv, "--password-file", _password_file(tmp_path, content), "--config", cfg])
    assert code == 1
    assert message in capsys.readouterr().err
    with Session(db) as s:
        assert len(s.exec(select(User)).all()) == 1


def test_cli_missing_password_file_and_no_terminal(
    tmp_path: Path, db: Engine, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = _config(tmp_path, db)
    assert main(["user", "add", "bob", "--role", "viewer", "--password-file",
                 str(tmp_path / "nope"), "--config", cfg]) == 1
    assert "cannot read" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["user", "add", "bob", "--role", "viewer", "--config", cfg]) == 1
    assert "--password-file" in capsys.readouterr().err


def test_cli_interactive_asks_twice(tmp_path: Path, db: Engine,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, db)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["correct horse battery", "correct horse batterY"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "bob", "--role", "viewer", "--config", cfg]) == 1
    assert "differ" in capsys.readouterr().err
    answers = iter(["correct horse battery", "correct horse battery"])
    assert main(["user", "add", "bob", "--role", "viewer", "--config", cfg]) == 0


def test_cli_list_passwd_disable_enable(tmp_path: Path, db: Engine,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, db)
    pw = _password_file(tmp_path, "correct horse battery\n")
    for name, role in (("alice", "admin"), ("bob", "operator")):
        assert main(["user", "add", name, "--role", role, "--password-file", pw,
                     "--config", cfg]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--config", cfg]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["USER", "ROLE", "STATE", "CREATED", "LAST", "LOGIN"]
    assert out[2].split()[:3] == ["bob", "operator", "active"] and out[-1] == "2 users"
    new = _password_file(tmp_path, "an even better password\n")
    assert main(["user", "passwd", "bob", "--password-file", new, "--config", cfg]) == 0
    assert main(["user", "disable", "bob", "--config", cfg]) == 0
    assert main(["user", "disable", "alice", "--config", cfg]) == 1  # the last admin
    assert "last admin" in capsys.readouterr().err
    with Session(db) as s:
        bob = s.exec(select(User).where(User.username == "bob")).one()
        assert bob.disabled and bob.session_epoch == 2
        assert users.verify_password(bob.password_hash, "an even better password")
    assert main(["user", "enable", "bob", "--config", cfg]) == 0
    assert "bob enabled" in capsys.readouterr().out
