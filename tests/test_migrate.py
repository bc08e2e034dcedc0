"""An older database gains the columns a newer statusd defines, keeping its rows."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from statusd.migrate import add_missing_columns
from statusd.models import Component


def test_missing_columns_are_added_with_defaults(db: Engine) -> None:
    with db.begin() as conn:
        conn.execute(text("INSERT INTO component (slug, name, description, position, status, "
                          "manual_status, devices, visible, created_at, updated_at) VALUES "
                          "('web', 'Web', '', 0, 'operational', 'operational', '[]', "
                          "true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text("ALTER TABLE component DROP COLUMN visible"))
        conn.execute(text("ALTER TABLE component DROP COLUMN description"))
    added = add_missing_columns(db)
    assert set(added) == {"component.visible", "component.description"}
    with Session(db) as s:
        comp = s.exec(select(Component)).one()
        assert comp.visible is True and comp.description == ""
    assert add_missing_columns(db) == []
