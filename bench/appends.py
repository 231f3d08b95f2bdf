"""Event appends per second through the application (pydantic event → orjson → our
recorder's one statement: table lock, NOTIFY, insert, ids, and the hash chain), against raw psycopg
inserts of the very same stored rows into a table of the same shape, in transactions of
the same size (no lock, no chain, no serialisation).

Two shapes: one event per save (a typical command) and `batch` events per save (a bulk
import). The events are `Employee.Moved` on existing employees, so every append extends
a stream whose previous hash the chain has to look up."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from aggregates.base import command_context
from aggregates.employee import Employee
from aggregates.ladder import Role
from bench.common import Lab, Report, stopwatch
from careerflow.config import PostgresSettings
from careerflow.engine import open_store
from careerflow.store import Store

NAME = "appends"
TITLE = "event appends per second: application + hash chain vs raw psycopg"
DEFAULTS: dict[str, Any] = {"events": 20000, "batch": 100, "streams": 1000}
SMOKE: dict[str, Any] = {"events": 200, "batch": 20, "streams": 20}

Rows = list[tuple[Any, int, str, bytes]]


def employees(n: int, start: int = 0) -> list[Employee]:
    """`n` new reps in team TA, not saved yet (tests/test_append_paths.py uses them too)."""
    with command_context(actor="bench", role="system"):
        return [
            Employee(
                employee_id=f"B{i:06d}",
                name=f"Bench {i}",
                role=Role.sales_rep,
                team_id="TA",
                manager_id=None,
                hire_date=date(2020, 1, 1),
            )
            for i in range(start, start + n)
        ]


def move(employee: Employee) -> None:
    """One `Moved` event: to the other of teams TA and TB."""
    employee.move("TB" if employee.team_id == "TA" else "TA", None)


def _app_run(store: Store, people: list[Employee], events: int, per_save: int) -> float:
    """Seconds for `events` Moved events in saves of `per_save` aggregates."""
    assert per_save <= len(people), "one event per aggregate per save"
    done = 0
    with stopwatch() as elapsed, command_context(actor="bench", role="system"):
        while done < events:
            n = min(per_save, events - done)
            changed = []
            for i in range(n):
                employee = people[(done + i) % len(people)]
                move(employee)
                changed.append(employee)
            store.people.save(*changed)
            done += n
    return elapsed()


def _stored_rows(pg: PostgresSettings, after: int, limit: int) -> Rows:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        return [
            (r[0], r[1], r[2], bytes(r[3]))
            for r in conn.execute(
                "SELECT originator_id, originator_version, topic, state FROM people_events "
                "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                (after, limit),
            )
        ]


def _raw_table(pg: PostgresSettings, name: str) -> None:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute(
            SQL("CREATE TABLE {0} (LIKE people_events INCLUDING ALL)").format(Identifier(name))
        )
        # INCLUDING ALL shares the original's sequence: give the copy its own.
        conn.execute(SQL("CREATE SEQUENCE {0}").format(Identifier(f"{name}_seq")))
        conn.execute(
            SQL("ALTER TABLE {0} ALTER notification_id SET DEFAULT nextval({1})").format(
                Identifier(name), f"{name}_seq"
            )
        )


def _raw_run(pg: PostgresSettings, table: str, rows: Rows, per_save: int) -> float:
    """The same rows, the same statement shape as the library's insert (one unnest
    per transaction, ids returned), nothing else."""
    insert = SQL(
        "INSERT INTO {0} (originator_id, originator_version, topic, state) "
        "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
        "RETURNING notification_id"
    ).format(Identifier(table))
    with psycopg.connect(pg.conninfo()) as conn, stopwatch() as elapsed:
        for offset in range(0, len(rows), per_save):
            chunk = rows[offset : offset + per_save]
            with conn.transaction(), conn.cursor() as curs:
                curs.execute(insert, [list(c) for c in zip(*chunk, strict=True)])
                curs.fetchall()
    return elapsed()


def _max_id(pg: PostgresSettings) -> int:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM people_events")
        return int(row.fetchone()[0])  # type: ignore[index]


async def run(lab: Lab, events: int, batch: int, streams: int) -> Report:
    report = Report(NAME, TITLE, {"events": events, "batch": batch, "streams": streams})
    batch = min(batch, streams)
    pg = lab.database(NAME)
    try:
        with open_store(pg) as store:
            people = employees(streams)
            store.people.save(*people)  # the streams exist: each append chains onto one
            for per_save, label in ((1, "1 event per save"), (batch, f"{batch} events per save")):
                # One event per save is slow: a fifth of the events tell the same story.
                n = max(per_save, events // 5 if per_save == 1 else events)
                start = _max_id(pg)
                app_seconds = _app_run(store, people, n, per_save)
                rows = _stored_rows(pg, start, n)
                table = f"raw_{per_save}"
                _raw_table(pg, table)
                raw_seconds = _raw_run(pg, table, rows, per_save)
                report.add(
                    f"appends/s, {label} (application + chain)",
                    n / app_seconds,
                    "ev/s",
                    "raw psycopg INSERT of the same rows",
                    len(rows) / raw_seconds,
                )
        report.note(
            "application = `Application.save`: pydantic event → orjson → one statement in "
            "autocommit, the recorder's PL/pgSQL append function: LOCK TABLE, NOTIFY, INSERT "
            "... unnest (binary arrays), ids, hash chain rows; one round trip per save."
        )
    finally:
        lab.drop(pg)
    return report
