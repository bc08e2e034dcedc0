"""Forward schema upgrades: add the columns a newer statusd defines to an older database.

Tables that do not exist are created by create_all; this adds missing columns to tables that
do. Only additive changes are automatic: a column that is NOT NULL gets its model default as
the server default so existing rows stay valid. Anything else needs a note in CHANGELOG.md.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import Column
from sqlmodel import SQLModel

log = logging.getLogger(__name__)


def _default_sql(column: Column[Any], engine: Engine) -> str | None:
    """A literal for the column's scalar default, or None when it has none."""
    default = column.default
    value = getattr(default, "arg", None) if default is not None else None
    if value is None or callable(value):
        return None
    if isinstance(value, bool):
        return ("1" if value else "0") if engine.dialect.name == "sqlite" else (
            "true" if value else "false")
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def add_missing_columns(engine: Engine) -> list[str]:
    """ALTER TABLE ... ADD COLUMN for every model column an existing table lacks; returns them."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    added: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in tables:
            continue
        existing = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in existing or column.primary_key:
                continue
            ddl = f"{column.name} {column.type.compile(engine.dialect)}"
            default = _default_sql(column, engine)
            if not column.nullable:
                if default is None:
                    log.error("cannot add NOT NULL column %s.%s without a default: upgrade by "
                              "hand (see CHANGELOG.md)", table.name, column.name)
                    continue
                ddl += f" NOT NULL DEFAULT {default}"
            elif default is not None:
                ddl += f" DEFAULT {default}"
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
            log.warning("database upgraded: added column %s.%s", table.name, column.name)
            added.append(f"{table.name}.{column.name}")
    return added
