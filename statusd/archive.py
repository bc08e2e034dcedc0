"""The archive's physical layout: ``log_line`` split into day partitions that expire by a drop.

Readers keep querying ``log_line`` with the model's columns (statusd/models.py: LogLine).
Rows go to the partition of the UTC day they were *received* (``received_at``).

- PostgreSQL: ``log_line`` is a table partitioned ``BY RANGE (received_at)`` with one partition
  ``log_line_pYYYYMMDD`` per day and a default partition ``log_line_default``; the primary key
  is ``(id, received_at)``, ids come from the sequence ``log_line_id_seq``; the ``ts`` index is
  declared on the parent, so every partition has it. Inserts go to the parent.
- SQLite: one table ``log_line_pYYYYMMDD`` per day (same columns, ``id INTEGER PRIMARY KEY``,
  its own ``ts`` index) plus ``log_line_default``; ``log_line`` is a view, the UNION ALL of
  them, rebuilt when a day is added or dropped, with INSTEAD OF INSERT, UPDATE and DELETE
  triggers that route rows by received day and id. Ids come from the one-row counter table
  ``log_line_seq``, so they stay unique and increasing across days and restarts.

The default partition catches rows of days that have no partition (rows written through
``log_line`` by other code than the pipeline, which makes its partitions first); creating a
day's partition moves that day's rows out of it.

``SQLModel.metadata.create_all`` and ``drop_all`` build and remove this layout (``manage``):
the table is taken out of the metadata's plain DDL. An archive created by an older version
(a plain ``log_line`` table) is copied into the partitioned layout on the first start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

NAME = "log_line"
PREFIX = "log_line_p"
DEFAULT = "log_line_default"
LEGACY = "log_line_legacy"  # a plain log_line of an older version, while it is copied
COUNTER = "log_line_seq"  # SQLite: the last id given out
PG_SEQUENCE = "log_line_id_seq"
SQLITE_MAX_PARTITIONS = 480  # SQLite's compound SELECT holds at most 500 terms
ONE_DAY = timedelta(days=1)
_DAY_NAME = re.compile(r"^log_line_p(\d{8})$")
_COPY_CHUNK = 20_000
_table: Table | None = None


def _log() -> Table:
    """The model's table (statusd/models.py: LogLine)."""
    global _table
    if _table is None:
        from statusd.models import LogLine

        _table = LogLine.__table__  # type: ignore[attr-defined]
    return _table


def partition_for(day: date) -> str:
    """The name of day's partition."""
    return f"{PREFIX}{day:%Y%m%d}"


def day_of(name: str) -> date | None:
    """The day a partition name stands for (None: not a day partition)."""
    m = _DAY_NAME.match(name)
    return datetime.strptime(m.group(1), "%Y%m%d").date() if m else None


def utc_day(value: datetime) -> date:
    """The UTC day of a time (naive times are UTC, as the database stores them)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.date()


def _midnight(day: date) -> datetime:
    """The start of day, naive UTC (as stored)."""
    return datetime(day.year, day.month, day.day)


def _is_sqlite(bind: Connection | Engine) -> bool:
    return bind.dialect.name == "sqlite"


def partitions(conn: Connection) -> list[str]:
    """The day partitions that exist, oldest first."""
    if _is_sqlite(conn):
        names = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'log\\_line\\_p%' "
            "ESCAPE '\\'").scalars().all()
    else:
        names = conn.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            f"WHERE i.inhparent = to_regclass('{NAME}')").scalars().all()
    return sorted(n for n in names if _DAY_NAME.match(n))


def _columns() -> list[str]:
    return [c.name for c in _log().columns]


def _specs(bind: Connection | Engine) -> list[str]:
    """Column definitions (type, server default, NOT NULL) of the model's columns but id."""
    dialect = bind.dialect
    ddl = dialect.ddl_compiler(dialect, None)  # type: ignore[arg-type]
    return [ddl.get_column_specification(c) for c in _log().columns if c.name != "id"]


def _added(bind: Connection | Engine, have: set[str]) -> list[str]:
    """ADD COLUMN definitions of the model's columns missing from `have`.

    A NOT NULL column gets its server default, else its model default, so existing rows stay
    valid; one with neither is left out and logged (CHANGELOG.md then says how to upgrade).
    """
    server = _defaults(bind)
    out = []
    for c in _log().columns:
        if c.name in have:
            continue
        default = server.get(c.name) or _literal(getattr(c.default, "arg", None), bind)
        if default is None and not c.nullable:
            log.error("archive: cannot add NOT NULL column log_line.%s without a default: "
                      "upgrade by hand (see CHANGELOG.md)", c.name)
            continue
        spec = f"{c.name} {c.type.compile(dialect=bind.dialect)}"
        out.append(spec + (f" DEFAULT {default}" if default is not None else "")
                   + ("" if c.nullable else " NOT NULL"))
    return out


def _literal(value: Any, bind: Connection | Engine) -> str | None:
    """A scalar model default as SQL (None: not a scalar)."""
    if isinstance(value, bool):
        return str(int(value)) if _is_sqlite(bind) else str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def _defaults(bind: Connection | Engine) -> dict[str, str]:
    """column -> its server default as SQL, for the columns that have one."""
    out: dict[str, str] = {}
    for c in _log().columns:
        if c.server_default is not None:
            arg = c.server_default.arg  # type: ignore[attr-defined]
            out[c.name] = (_literal(arg, bind) or "''" if isinstance(arg, str)
                           else str(arg.compile(dialect=bind.dialect)))
    return out


def insert_sql(bind: Connection | Engine, day: date | None, columns: Sequence[str]) -> str:
    """The pipeline's INSERT of columns (driver parameters).

    SQLite: into day's table, with the id first (the caller gives ids out); PostgreSQL: into
    ``log_line`` (the database routes rows and gives ids), whatever the day.
    """
    if _is_sqlite(bind):
        if day is None:
            raise ValueError("SQLite inserts go to a day's table")
        cols = ["id", *columns]
        return (f'INSERT INTO "{partition_for(day)}" ({", ".join(cols)}) '
                f"VALUES ({', '.join('?' * len(cols))})")
    return (f"INSERT INTO {NAME} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})")


# -- transactions ---------------------------------------------------------------------------

@contextmanager
def _sqlite_atomic(conn: Connection) -> Iterator[Connection]:
    """One write transaction for several DDL statements (pysqlite runs DDL outside one)."""
    if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        yield conn  # the caller's transaction holds it all
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.exec_driver_sql("ROLLBACK")
        raise
    conn.exec_driver_sql("COMMIT")


def _pg_lock(conn: Connection) -> None:
    """Serialise layout changes of this schema's archive between processes."""
    conn.exec_driver_sql(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.statusd.archive'))")


@contextmanager
def _changing(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that may change the layout, committed on success."""
    if _is_sqlite(engine):
        with engine.connect() as conn, _sqlite_atomic(conn):
            yield conn
    else:
        with engine.begin() as conn:
            _pg_lock(conn)
            yield conn


# -- creating and dropping the layout --------------------------------------------------------

def create(conn: Connection) -> None:
    """Build the archive layout if missing, copy an older plain log_line into it, add columns."""
    if _is_sqlite(conn):
        if _sqlite_current(conn):  # the usual start: no write lock taken
            return
        with _sqlite_atomic(conn):
            _sqlite_create(conn)
    else:
        _pg_lock(conn)
        _pg_create(conn)


def drop(conn: Connection) -> None:
    """Remove the archive: every partition, the view or parent, the id counter."""
    if _is_sqlite(conn):
        with _sqlite_atomic(conn):
            kind = _sqlite_kind(conn, NAME)
            if kind is not None:
                conn.exec_driver_sql(f"DROP {kind.upper()} {NAME}")
            for name in [*partitions(conn), DEFAULT, COUNTER, LEGACY]:
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
    else:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {NAME}, {LEGACY} CASCADE")
        conn.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {PG_SEQUENCE}")


def _sqlite_kind(conn: Connection, name: str) -> str | None:
    return conn.exec_driver_sql("SELECT type FROM sqlite_master WHERE name = ?",
                                (name,)).scalar()


def _sqlite_day_table(conn: Connection, name: str) -> None:
    specs = ", ".join(_specs(conn))
    conn.exec_driver_sql(f'CREATE TABLE IF NOT EXISTS "{name}" '
                         f"(id INTEGER NOT NULL PRIMARY KEY, {specs})")
    conn.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS "ix_{name}_ts" ON "{name}" (ts)')


def _sqlite_create(conn: Connection) -> None:
    legacy = _sqlite_kind(conn, NAME) == "table"
    if legacy:
        log.warning("archive: copying the plain log_line table into day tables (once)")
        conn.exec_driver_sql(f"ALTER TABLE {NAME} RENAME TO {LEGACY}")
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {COUNTER} "
                         "(id INTEGER PRIMARY KEY CHECK (id = 1), last_id INTEGER NOT NULL)")
    conn.exec_driver_sql(f"INSERT OR IGNORE INTO {COUNTER} (id, last_id) VALUES (1, 0)")
    _sqlite_day_table(conn, DEFAULT)
    if legacy:
        _sqlite_copy_legacy(conn)
    tables = [*partitions(conn), DEFAULT]
    for name in tables:  # columns added to the model since the table was made
        have = {r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')}
        for spec in _added(conn, have):
            conn.exec_driver_sql(f'ALTER TABLE "{name}" ADD COLUMN {spec}')
    top = conn.exec_driver_sql(
        "SELECT max(m) FROM (" + " UNION ALL ".join(
            f'SELECT max(id) AS m FROM "{n}"' for n in tables) + ")").scalar()
    conn.exec_driver_sql(f"UPDATE {COUNTER} SET last_id = max(last_id, ?)", (top or 0,))
    _sqlite_view(conn)


def _sqlite_copy_legacy(conn: Connection) -> None:
    """Copy log_line_legacy into day tables in id order, a chunk at a time; then drop it."""
    have = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({LEGACY})")}
    cols = [c for c in _columns() if c in have]
    at = cols.index("received_at")
    made: set[str] = set()
    last, copied = -1 << 62, 0
    while True:
        rows = conn.exec_driver_sql(
            f"SELECT {', '.join(cols)} FROM {LEGACY} WHERE id > ? ORDER BY id LIMIT ?",
            (last, _COPY_CHUNK)).all()
        if not rows:
            break
        by_day: dict[str, list[Any]] = {}
        for row in rows:
            by_day.setdefault(str(row[at])[:10], []).append(tuple(row))
        for key, group in by_day.items():
            name = partition_for(date.fromisoformat(key))
            if name not in made:
                _sqlite_day_table(conn, name)
                made.add(name)
            conn.exec_driver_sql(f'INSERT INTO "{name}" ({", ".join(cols)}) '
                                 f"VALUES ({', '.join('?' * len(cols))})", group)
        last = rows[-1][0]
        copied += len(rows)
    conn.exec_driver_sql(f"DROP TABLE {LEGACY}")
    log.warning("archive: copied %d lines into %d day tables", copied, len(made))


def _sqlite_view_sql(tables: Sequence[str], cols: Sequence[str],
                     defaults: dict[str, str]) -> list[str]:
    """The CREATE statements of the log_line view and its three triggers."""
    names = ", ".join(cols)
    view = (f"CREATE VIEW {NAME} ({names}) AS "
            + " UNION ALL ".join(f'SELECT {names} FROM "{t}"' for t in tables))
    days = {t: day_of(t) for t in tables}
    new = ", ".join(
        f"coalesce(NEW.id, (SELECT last_id FROM {COUNTER}))" if c == "id"
        else f"coalesce(NEW.{c}, {defaults[c]})" if c in defaults else f"NEW.{c}"
        for c in cols)
    inserts, updates, deletes = [], [], []
    sets = ", ".join(f"{c} = NEW.{c}" for c in cols)
    known = ", ".join(f"'{d.isoformat()}'" for d in days.values() if d is not None)
    for t, d in days.items():
        if d is None:  # the default table: rows of days without a table of their own
            day_test = f"substr(NEW.received_at, 1, 10) NOT IN ({known})" if known else "1"
            old_test = ""
        else:
            day_test = f"substr(NEW.received_at, 1, 10) = '{d.isoformat()}'"
            old_test = (f" AND OLD.received_at >= '{d.isoformat()}'"
                        f" AND OLD.received_at < '{(d + ONE_DAY).isoformat()}'")
        inserts.append(f'INSERT INTO "{t}" ({names}) SELECT {new} WHERE {day_test};')
        updates.append(f'UPDATE "{t}" SET {sets} WHERE id = OLD.id{old_test};')
        deletes.append(f'DELETE FROM "{t}" WHERE id = OLD.id{old_test};')
    counter = (f"UPDATE {COUNTER} SET last_id = CASE WHEN NEW.id IS NULL THEN last_id + 1 "
               "ELSE max(last_id, NEW.id) END;")
    return [
        view,
        f"CREATE TRIGGER {NAME}_insert INSTEAD OF INSERT ON {NAME} BEGIN {counter} "
        + " ".join(inserts) + " END",
        f"CREATE TRIGGER {NAME}_update INSTEAD OF UPDATE ON {NAME} BEGIN "
        + " ".join(updates) + " END",
        f"CREATE TRIGGER {NAME}_delete INSTEAD OF DELETE ON {NAME} BEGIN "
        + " ".join(deletes) + " END",
    ]


def _sqlite_view_is_current(conn: Connection, tables: Sequence[str]) -> tuple[bool, list[str]]:
    """Whether the view and triggers match the tables; the statements that would."""
    wanted = _sqlite_view_sql(tables, _columns(), _defaults(conn))
    have: dict[str, str] = dict(conn.exec_driver_sql(  # type: ignore[arg-type]
        "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('view', 'trigger')",
        (NAME,)).all())
    current = [have.get(n) for n in (NAME, f"{NAME}_insert", f"{NAME}_update", f"{NAME}_delete")]
    return current == wanted, wanted


def _sqlite_current(conn: Connection) -> bool:
    """True when the layout is complete: counter, default table, columns, view and triggers."""
    if _sqlite_kind(conn, COUNTER) != "table" or _sqlite_kind(conn, DEFAULT) != "table":
        return False
    tables = [*partitions(conn), DEFAULT]
    cols = set(_columns())
    for name in tables:
        if not cols <= {r[1] for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')}:
            return False
    return _sqlite_view_is_current(conn, tables)[0]


def _sqlite_view(conn: Connection) -> None:
    """(Re)create the log_line view and its triggers over the tables there are, if they changed."""
    tables = [*partitions(conn), DEFAULT]
    if len(tables) > SQLITE_MAX_PARTITIONS:
        raise RuntimeError(
            f"the SQLite archive has {len(tables)} day tables; SQLite reads at most "
            f"{SQLITE_MAX_PARTITIONS} through one view: lower storage.retention_days or use "
            "PostgreSQL")
    current, wanted = _sqlite_view_is_current(conn, tables)
    if current:
        return
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {NAME}")  # its triggers go with it
    for sql in wanted:
        conn.exec_driver_sql(sql)


def _pg_kind(conn: Connection) -> str | None:
    return conn.exec_driver_sql(
        f"SELECT relkind FROM pg_class WHERE oid = to_regclass('{NAME}')").scalar()


def _pg_create(conn: Connection) -> None:
    kind = _pg_kind(conn)
    if kind == "p":
        have = set(conn.exec_driver_sql(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped", (NAME,)).scalars().all())
        for spec in _added(conn, have):
            conn.exec_driver_sql(f"ALTER TABLE {NAME} ADD COLUMN {spec}")
        return
    if kind is not None:
        _pg_rename_legacy(conn)
    specs = ", ".join(_specs(conn))
    conn.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {PG_SEQUENCE} AS bigint")
    conn.exec_driver_sql(
        f"CREATE TABLE {NAME} (id BIGINT NOT NULL DEFAULT nextval('{PG_SEQUENCE}'), {specs}, "
        "PRIMARY KEY (id, received_at)) PARTITION BY RANGE (received_at)")
    conn.exec_driver_sql(f"ALTER SEQUENCE {PG_SEQUENCE} OWNED BY {NAME}.id")
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS ix_{NAME}_ts ON {NAME} (ts)")
    conn.exec_driver_sql(f"CREATE TABLE {DEFAULT} PARTITION OF {NAME} DEFAULT")
    if kind is not None:
        _pg_copy_legacy(conn)


def _pg_rename_legacy(conn: Connection) -> None:
    """Move an older plain log_line aside, freeing the names of its sequence and indexes."""
    log.warning("archive: copying the plain log_line table into day partitions (once)")
    seq = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{NAME}', 'id')").scalar()
    conn.exec_driver_sql(f"ALTER TABLE {NAME} RENAME TO {LEGACY}")
    if seq:
        conn.exec_driver_sql(f"ALTER SEQUENCE {seq} RENAME TO {LEGACY}_id_seq")
    for (con,) in conn.exec_driver_sql(
            f"SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('{LEGACY}') "
            "AND contype IN ('p', 'u')").all():
        conn.exec_driver_sql(f'ALTER TABLE {LEGACY} DROP CONSTRAINT "{con}"')
    for (index,) in conn.exec_driver_sql(
            "SELECT indexrelid::regclass::text FROM pg_index "
            f"WHERE indrelid = to_regclass('{LEGACY}')").all():
        conn.exec_driver_sql(f"DROP INDEX {index}")


def _pg_copy_legacy(conn: Connection) -> None:
    have = set(conn.exec_driver_sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped", (LEGACY,)).scalars().all())
    cols = ", ".join(c for c in _columns() if c in have)
    days = conn.exec_driver_sql(
        f"SELECT DISTINCT received_at::date FROM {LEGACY} ORDER BY 1").scalars().all()
    for day in days:
        _pg_partition(conn, day)
    copied = conn.exec_driver_sql(
        f"INSERT INTO {NAME} ({cols}) SELECT {cols} FROM {LEGACY}").rowcount
    conn.exec_driver_sql(
        f"SELECT setval('{PG_SEQUENCE}', coalesce((SELECT max(id) FROM {LEGACY}), 0) + 1, false)")
    conn.exec_driver_sql(f"DROP TABLE {LEGACY}")
    log.warning("archive: copied %d lines into %d day partitions", copied, len(days))


def _pg_partition(conn: Connection, day: date) -> None:
    """Create day's partition, moving the day's rows out of the default partition first."""
    name, low, high = partition_for(day), _midnight(day), _midnight(day + ONE_DAY)
    stray = conn.exec_driver_sql(
        f"SELECT 1 FROM {DEFAULT} WHERE received_at >= %s AND received_at < %s LIMIT 1",
        (low, high)).scalar()
    if stray:
        cols = ", ".join(_columns())
        conn.exec_driver_sql(f"CREATE TEMP TABLE {name}_move (LIKE {NAME}) ON COMMIT DROP")
        conn.exec_driver_sql(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE received_at >= %s AND received_at < %s "
            f"RETURNING {cols}) INSERT INTO {name}_move ({cols}) SELECT {cols} FROM moved",
            (low, high))
    conn.exec_driver_sql(
        f"CREATE TABLE {name} PARTITION OF {NAME} "
        f"FOR VALUES FROM ('{day.isoformat()}') TO ('{(day + ONE_DAY).isoformat()}')")
    if stray:
        conn.exec_driver_sql(f"INSERT INTO {NAME} ({cols}) SELECT {cols} FROM {name}_move")
        conn.exec_driver_sql(f"DROP TABLE {name}_move")


def _sqlite_partition(conn: Connection, day: date) -> None:
    """Create day's table, moving the day's rows out of the default table (view rebuilt later)."""
    name = partition_for(day)
    _sqlite_day_table(conn, name)
    cols = ", ".join(_columns())
    where = f"substr(received_at, 1, 10) = '{day.isoformat()}'"
    conn.exec_driver_sql(f'INSERT INTO "{name}" ({cols}) SELECT {cols} FROM {DEFAULT} '
                         f"WHERE {where}")
    conn.exec_driver_sql(f"DELETE FROM {DEFAULT} WHERE {where}")


# -- partitions over time --------------------------------------------------------------------

def ensure_partitions(engine: Engine, day: date) -> list[str]:
    """Make day's partition and the next day's if missing; returns the names created."""
    wanted = [partition_for(day), partition_for(day + ONE_DAY)]
    with engine.connect() as conn:
        if set(wanted) <= set(partitions(conn)):
            return []
    with _changing(engine) as conn:
        missing = [n for n in wanted if n not in partitions(conn)]
        for name in missing:
            d = day_of(name)
            assert d is not None
            if _is_sqlite(conn):
                _sqlite_partition(conn, d)
            else:
                _pg_partition(conn, d)
        if missing and _is_sqlite(conn):
            _sqlite_view(conn)
    if missing:
        log.info("archive: created %s", ", ".join(missing))
    return missing


def drop_expired(engine: Engine, cutoff_day: date) -> list[str]:
    """Drop the partitions of days before cutoff_day (whole tables, no row scan); their names.

    Rows of those days in the default partition (normally none) are deleted.
    """
    with _changing(engine) as conn:
        old = [n for n in partitions(conn) if (day_of(n) or cutoff_day) < cutoff_day]
        sqlite = _is_sqlite(conn)
        if sqlite and old:
            conn.exec_driver_sql(f"DROP VIEW IF EXISTS {NAME}")
        for name in old:
            conn.exec_driver_sql(f'DROP TABLE "{name}"')
        if sqlite:
            conn.exec_driver_sql(f"DELETE FROM {DEFAULT} WHERE received_at < ?",
                                 (cutoff_day.isoformat(),))
        else:
            conn.exec_driver_sql(f"DELETE FROM {DEFAULT} WHERE received_at < %s",
                                 (_midnight(cutoff_day),))
        if sqlite and old:
            _sqlite_view(conn)
    if old:
        log.info("archive: dropped %s", ", ".join(old))
    return old


def id_windows(conn: Connection) -> list[tuple[int, int | None]]:
    """Disjoint id ranges [low, high) that cover the archive, newest first.

    A newest-first search reads one window at a time: the partitions outside it answer its id
    condition from their primary key at once, so a filter that matches only recent lines does
    not scan every older day first (which a merge of all partitions, in either database, does).
    Windows hold 1, 1, 2, 4, 8, ... partitions, so a search that goes far back takes a few
    queries, not one per day.
    """
    names = [*partitions(conn), DEFAULT]
    found = conn.exec_driver_sql(
        "SELECT " + ", ".join(f'(SELECT min(id) FROM "{n}")' for n in names)).one()
    lows = sorted({int(v) for v in found if v is not None}, reverse=True)
    out: list[tuple[int, int | None]] = []
    high: int | None = None
    end, size = 0, 1
    while end < len(lows):
        end = min(end + size, len(lows))
        out.append((lows[end - 1], high))
        high = lows[end - 1]
        size = size * 2 if len(out) > 1 else 1
    return out


class ArchiveWriter:
    """The pipeline's side: rows to their day's partition, one driver executemany each."""

    def __init__(self, engine: Engine, columns: Sequence[str]):
        if not columns or columns[0] != "received_at":
            raise ValueError("archive rows start with received_at")
        self.engine = engine
        self.columns = tuple(columns)
        self.sqlite = _is_sqlite(engine)
        self._ready: set[date] = set()  # days whose partition is known to exist
        self._sql: dict[date, str] = {}
        self._parent_sql = "" if self.sqlite else insert_sql(engine, None, self.columns)

    def prepare(self, day: date) -> None:
        """Make sure day's and the next day's partitions exist (DDL only when one is missing)."""
        if day in self._ready and day + ONE_DAY in self._ready:
            return
        ensure_partitions(self.engine, day)
        self._ready.update((day, day + ONE_DAY))

    def split(self, rows: list[tuple[Any, ...]]) -> list[tuple[date, list[tuple[Any, ...]]]]:
        """Rows grouped by received day, in order of first appearance; partitions made."""
        groups: dict[Any, list[tuple[Any, ...]]] = {}
        last: Any = None
        bucket: list[tuple[Any, ...]] = []
        for row in rows:
            at = row[0]
            if at is not last:  # the pipeline shares one value between lines received together
                last = at
                key = at[:10] if self.sqlite else at.date()
                bucket = groups.get(key) or groups.setdefault(key, [])
            bucket.append(row)
        out = [(date.fromisoformat(k) if self.sqlite else k, g) for k, g in groups.items()]
        for day, _ in out:
            self.prepare(day)
        return out

    def write(self, conn: Connection, groups: list[tuple[date, list[tuple[Any, ...]]]]) -> None:
        """Insert split() rows in the caller's transaction."""
        if not self.sqlite:
            rows = groups[0][1] if len(groups) == 1 else [r for _, g in groups for r in g]
            conn.exec_driver_sql(self._parent_sql, rows)
            return
        total = sum(len(g) for _, g in groups)
        conn.exec_driver_sql(f"UPDATE {COUNTER} SET last_id = last_id + ?", (total,))
        next_id = int(conn.exec_driver_sql(f"SELECT last_id FROM {COUNTER}").scalar_one())
        next_id -= total - 1
        try:
            for day, group in groups:
                sql = self._sql.get(day)
                if sql is None:
                    sql = self._sql[day] = insert_sql(self.engine, day, self.columns)
                conn.exec_driver_sql(sql, [(i, *r) for i, r in enumerate(group, next_id)])
                next_id += len(group)
        except Exception:
            self._ready.clear()  # a day table dropped behind our back: the retry makes it again
            raise

    def expire(self, cutoff: datetime) -> list[str]:
        """Drop the partitions of days before cutoff's UTC day; returns their names."""
        day = utc_day(cutoff)
        dropped = drop_expired(self.engine, day)
        self._ready = {d for d in self._ready if d >= day}
        return dropped


def manage(metadata: MetaData, table: Table) -> None:
    """Take table out of metadata's plain DDL: create_all and drop_all build and drop the layout."""
    global _table
    _table = table
    metadata.remove(table)
    event.listen(metadata, "after_create", _after_create)
    event.listen(metadata, "before_drop", _before_drop)


def _after_create(_target: MetaData, connection: Connection, **_kw: Any) -> None:
    create(connection)


def _before_drop(_target: MetaData, connection: Connection, **_kw: Any) -> None:
    drop(connection)
