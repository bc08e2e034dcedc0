"""The archive's day partitions: made on demand, rows by received day, ids, reads, expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, event, insert, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import Session, select

from statusd import archive
from statusd.config import load_settings
from statusd.db import make_engine
from statusd.ingest.pipeline import Pipeline, RawLine
from statusd.metrics import Registry
from statusd.models import LogLine
from statusd.runtime import build_pipeline
from statusd.search import parse_query, search
from tests.conftest import PG_URL

DAY = date(2026, 5, 1)
MIDNIGHT = datetime(2026, 5, 2, tzinfo=UTC)
T = LogLine.__table__  # type: ignore[attr-defined]


def pipeline(db: Engine) -> Pipeline:
    """A pipeline with the shipped services and no rules, on db."""
    return build_pipeline(load_settings(None), Registry(), db=db)


def raw(message: str, received: datetime, host: str = "web1") -> RawLine:
    """A syslog line received at `received` (its own timestamp says the same)."""
    stamp = f"{received:%b} {received.day:2d} {received:%H:%M:%S}"
    return RawLine(f"<13>{stamp} {host} app: {message}".encode(), received, "192.0.2.1:514",
                   "udp")


def exists(db: Engine, name: str) -> bool:
    """True when the table is in the catalogue (sqlite_master or pg_class)."""
    if db.dialect.name == "sqlite":
        sql = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :n"
    else:
        sql = ("SELECT count(*) FROM pg_class WHERE relname = :n "
               "AND relnamespace = current_schema()::regnamespace")
    with db.connect() as conn:
        return bool(conn.execute(text(sql), {"n": name}).scalar())


def in_table(db: Engine, name: str) -> list[str]:
    """Messages stored in one partition, by id."""
    with db.connect() as conn:
        return list(conn.execute(text(f'SELECT message FROM "{name}" ORDER BY id')).scalars())


def messages(db: Engine) -> list[str]:
    """Messages read through log_line with the ORM, by id."""
    with Session(db) as s:
        return [r.message for r in s.exec(select(LogLine).order_by(LogLine.id)).all()]


def test_partitions_are_made_on_demand_for_the_day_and_the_next(db: Engine) -> None:
    assert archive.ensure_partitions(db, DAY) == ["log_line_p20260501", "log_line_p20260502"]
    assert archive.ensure_partitions(db, DAY) == []
    assert archive.ensure_partitions(db, DAY + timedelta(days=1)) == ["log_line_p20260503"]
    with db.connect() as conn:
        assert archive.partitions(conn) == ["log_line_p20260501", "log_line_p20260502",
                                            "log_line_p20260503"]
    assert all(exists(db, archive.partition_for(DAY + timedelta(days=i))) for i in range(3))
    assert archive.partition_for(DAY) == "log_line_p20260501"
    assert archive.day_of("log_line_p20260501") == DAY
    assert archive.day_of(archive.DEFAULT) is None


def test_a_batch_straddling_midnight_goes_to_both_days_in_one_insert_each(db: Engine) -> None:
    p = pipeline(db)
    inserts: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _params: Any, _ctx: Any,
             many: bool) -> None:
        target = statement.split("(")[0].strip()
        if many and target.startswith("INSERT INTO") and "log_line" in target:
            inserts.append((target, many))

    event.listen(db, "before_cursor_execute", seen)
    try:
        p.process_batch([raw("before 1", MIDNIGHT - timedelta(seconds=1)),
                         raw("before 2", MIDNIGHT - timedelta(microseconds=1)),
                         raw("after 1", MIDNIGHT),
                         raw("after 2", MIDNIGHT + timedelta(seconds=1))])
    finally:
        event.remove(db, "before_cursor_execute", seen)
    assert in_table(db, "log_line_p20260501") == ["before 1", "before 2"]
    assert in_table(db, "log_line_p20260502") == ["after 1", "after 2"]
    assert in_table(db, archive.DEFAULT) == []
    assert exists(db, "log_line_p20260503")  # the day after the newest, made ahead
    if db.dialect.name == "sqlite":  # one executemany per day table
        assert inserts == [('INSERT INTO "log_line_p20260501"', True),
                           ('INSERT INTO "log_line_p20260502"', True)]
    else:  # one executemany into the parent; PostgreSQL routes the rows
        assert inserts == [("INSERT INTO log_line", True)]


def test_ids_increase_across_days_and_read_through_log_line(db: Engine) -> None:
    p = pipeline(db)
    sent = []
    for day in range(4):
        at = MIDNIGHT + timedelta(days=day, hours=12)
        batch = [raw(f"d{day} n{i}", at + timedelta(seconds=i)) for i in range(3)]
        p.process_batch(batch)
        sent += [f"d{day} n{i}" for i in range(3)]
    assert messages(db) == sent  # ORM select(LogLine) sees every day, in arrival order
    with Session(db) as s:
        ids = [r.id for r in s.exec(select(LogLine).order_by(LogLine.received_at)).all()]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    hits = list(search(db, parse_query("program=app"), limit=100))
    assert [h["message"] for h in hits] == sent[::-1]  # newest first across every day
    assert [h["id"] for h in hits] == sorted(ids, reverse=True)
    assert [h["message"] for h in search(db, parse_query("n1"), limit=2)] == ["d3 n1", "d2 n1"]


def test_search_reads_a_window_per_partition_newest_first(db: Engine) -> None:
    p = pipeline(db)
    for day in range(6):
        p.process_batch([raw(f"day {day}", MIDNIGHT + timedelta(days=day, hours=1),
                             host=f"h{day}")])
    with db.connect() as conn:
        windows = archive.id_windows(conn)
    ids = [h["id"] for h in search(db, parse_query(""), limit=99)]
    # Disjoint [low, high) ranges, newest first, open above, down to the oldest id; six days
    # with lines make windows of 1, 1, 2 and 2 days.
    assert windows[0][1] is None and windows[-1][0] == min(ids)
    assert all(high == low for (low, _), (_, high) in pairwise(windows))
    assert len(windows) == 4
    assert [h["message"] for h in search(db, parse_query(""), device="h0")] == ["day 0"]
    assert [h["message"] for h in search(db, parse_query(""), limit=3)] == [
        "day 5", "day 4", "day 3"]


def test_update_and_delete_through_log_line_reach_the_day_tables(db: Engine) -> None:
    p = pipeline(db)
    p.process_batch([raw("first", MIDNIGHT - timedelta(hours=1)),
                     raw("second", MIDNIGHT + timedelta(hours=1))])
    with Session(db) as s:
        rows = {r.message: r.id for r in s.exec(select(LogLine)).all()}
    with db.begin() as conn:  # the shape statusd reparse uses
        conn.execute(update(T).where(T.c.id == rows["second"])
                     .values(service="app", message_id="app.x", fields='{"k":"v"}'))
        conn.execute(delete(T).where(T.c.id == rows["first"]))
    assert in_table(db, "log_line_p20260501") == []
    with db.connect() as conn:
        row = conn.execute(text('SELECT service, message_id, fields FROM "log_line_p20260502"')
                           ).one()
    assert tuple(row) == ("app", "app.x", '{"k":"v"}')
    assert messages(db) == ["second"]


def test_inserts_through_log_line_land_in_their_day_or_the_default(db: Engine) -> None:
    archive.ensure_partitions(db, DAY)
    base = {"ts": MIDNIGHT, "device": "web1", "message": "", "fields": "{}"}
    with Session(db) as s:
        s.execute(insert(LogLine), [
            base | {"received_at": MIDNIGHT - timedelta(hours=2), "message": "in a day"},
            base | {"received_at": MIDNIGHT + timedelta(days=5), "message": "no day yet"},
        ])
        s.commit()
    assert in_table(db, "log_line_p20260501") == ["in a day"]
    assert in_table(db, archive.DEFAULT) == ["no day yet"]
    assert messages(db) == ["in a day", "no day yet"]
    with Session(db) as s:
        assert all(not r.noise for r in s.exec(select(LogLine)).all())  # defaults filled in
    archive.ensure_partitions(db, DAY + timedelta(days=6))  # moves the day out of the default
    assert in_table(db, archive.DEFAULT) == []
    assert in_table(db, "log_line_p20260507") == ["no day yet"]
    assert messages(db) == ["in a day", "no day yet"]


def test_expiry_drops_whole_days_and_keeps_the_cutoff_day(db: Engine) -> None:
    p = pipeline(db)
    now = MIDNIGHT + timedelta(days=40, hours=15)
    for age in (40, 31, 30, 29, 0):
        p.process_batch([raw(f"{age} days old", now - timedelta(days=age))])
    with Session(db) as s:  # a stray row in the default partition, also too old
        s.execute(insert(LogLine), [{"received_at": now - timedelta(days=60), "ts": now,
                                     "device": "x", "message": "stray", "fields": "{}"}])
        s.commit()
    cutoff = now - timedelta(days=30)  # storage.retention_days = 30
    dropped = p.expire(cutoff)
    cut = archive.partition_for(archive.utc_day(cutoff))
    assert dropped and all(name < cut for name in dropped)
    assert {"log_line_p20260502", archive.partition_for(archive.utc_day(now - timedelta(days=31))),
            } <= set(dropped)
    assert not any(exists(db, name) for name in dropped)  # gone from the catalogue: no scan
    assert exists(db, cut)
    assert messages(db) == ["30 days old", "29 days old", "0 days old"]
    assert in_table(db, archive.DEFAULT) == []
    assert p.expire(cutoff) == []


def test_restart_keeps_the_ids_increasing(db: Engine, tmp_path: Path) -> None:
    p = pipeline(db)
    p.process_batch([raw(f"old {i}", MIDNIGHT) for i in range(3)])
    with Session(db) as s:
        top = max(r.id or 0 for r in s.exec(select(LogLine)).all())
    assert p.expire(MIDNIGHT + timedelta(days=10))  # every partition dropped
    assert messages(db) == []
    url = db.url.render_as_string(hide_password=False)
    again = make_engine(url) if db.dialect.name == "sqlite" else make_engine(url, create=False)
    try:
        pipeline(again).process_batch([raw("new", MIDNIGHT + timedelta(days=20))])
        with Session(again) as s:
            assert [(r.message, (r.id or 0) > top) for r in s.exec(select(LogLine)).all()] == [
                ("new", True)]
    finally:
        again.dispose()


def test_a_day_dropped_behind_the_pipeline_is_made_again_on_the_retry(db: Engine) -> None:
    p = pipeline(db)
    p.process_batch([raw("one", MIDNIGHT + timedelta(hours=1))])
    archive.drop_expired(db, DAY + timedelta(days=5))  # another process expired it
    batch = [raw("two", MIDNIGHT + timedelta(hours=2))]
    if db.dialect.name == "sqlite":
        with pytest.raises(Exception, match="no such table"):
            p.process_batch(batch)
    p.process_batch(batch)  # PostgreSQL routes to the default partition meanwhile
    assert messages(db) == ["two"]
    p.process_batch([raw("three", MIDNIGHT + timedelta(hours=3))])
    assert messages(db) == ["two", "three"]


def _legacy_table(db: Engine, with_noise: bool) -> None:
    """The plain log_line of older versions, with three rows over two days."""
    with db.begin() as conn:
        archive.drop(conn)
        conn.execute(CreateTable(T))
        for index in T.indexes:
            conn.execute(CreateIndex(index))
        if not with_noise:
            conn.exec_driver_sql("ALTER TABLE log_line DROP COLUMN noise")
    rows = [(5, MIDNIGHT - timedelta(hours=1), "a"), (6, MIDNIGHT + timedelta(hours=1), "b"),
            (9, MIDNIGHT + timedelta(hours=2), "c")]
    with db.begin() as conn:
        for row_id, at, msg in rows:
            conn.execute(text("INSERT INTO log_line (id, received_at, ts, device, transport, "
                              "level, fields, message, format) VALUES (:i, :r, :r, 'd', 'udp', "
                              "6, '{}', :m, 'raw')"),
                         {"i": row_id, "r": at.replace(tzinfo=None), "m": msg})


@pytest.mark.parametrize("with_noise", [True, False])
def test_an_older_plain_log_line_is_copied_into_day_partitions(db: Engine,
                                                               with_noise: bool) -> None:
    _legacy_table(db, with_noise)
    with db.begin() as conn:
        archive.create(conn)
    assert in_table(db, "log_line_p20260501") == ["a"]
    assert in_table(db, "log_line_p20260502") == ["b", "c"]
    assert not exists(db, archive.LEGACY)
    with Session(db) as s:
        assert [(r.id, r.message, r.noise) for r in s.exec(select(LogLine)).all()] == [
            (5, "a", False), (6, "b", False), (9, "c", False)]
    pipeline(db).process_batch([raw("d", MIDNIGHT + timedelta(hours=3))])
    with Session(db) as s:
        assert s.exec(select(LogLine.id).where(LogLine.message == "d")).one() > 9


def test_columns_missing_from_the_partitions_are_added(db: Engine) -> None:
    archive.ensure_partitions(db, DAY)
    with db.begin() as conn:
        if db.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP VIEW log_line")
            for name in [*archive.partitions(conn), archive.DEFAULT]:
                conn.exec_driver_sql(f'ALTER TABLE "{name}" DROP COLUMN noise')
        else:
            conn.exec_driver_sql("ALTER TABLE log_line DROP COLUMN noise")
    with db.begin() as conn:
        archive.create(conn)
    pipeline(db).process_batch([raw("x", MIDNIGHT - timedelta(hours=1))])
    with Session(db) as s:
        assert [(r.message, r.noise) for r in s.exec(select(LogLine)).all()] == [("x", False)]


def test_drop_all_and_create_all_remove_and_rebuild_the_layout(db: Engine) -> None:
    from sqlmodel import SQLModel

    archive.ensure_partitions(db, DAY)
    SQLModel.metadata.drop_all(db)
    assert not exists(db, "log_line_p20260501") and not exists(db, archive.DEFAULT)
    SQLModel.metadata.create_all(db)
    assert exists(db, archive.DEFAULT) and messages(db) == []


@pytest.mark.skipif(not PG_URL, reason="needs STATUSD_TEST_DATABASE_URL")
def test_postgresql_log_line_is_partitioned_by_received_at() -> None:
    assert PG_URL
    db = make_engine(PG_URL)
    with db.connect() as conn:
        strategy = conn.exec_driver_sql(
            "SELECT pg_get_partkeydef(to_regclass('log_line'))").scalar()
        key = conn.exec_driver_sql(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass('log_line') AND contype = 'p'").scalar()
    db.dispose()
    assert strategy == "RANGE (received_at)"
    assert key == "PRIMARY KEY (id, received_at)"


def test_sqlite_newest_first_merges_the_day_tables_without_sorting(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/plan.db")
    for i in range(30):
        archive.ensure_partitions(db, DAY + timedelta(days=i))
    with db.connect() as conn:
        plan = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM log_line WHERE device = 'x' "
            "ORDER BY id DESC LIMIT 50"))
        windowed = " | ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM log_line WHERE id >= 100 AND id < 200 "
            "ORDER BY id DESC LIMIT 50"))
    assert "MERGE (UNION ALL)" in plan and "TEMP B-TREE" not in plan
    assert "MERGE (UNION ALL)" in windowed and "INTEGER PRIMARY KEY" in windowed
    db.dispose()
