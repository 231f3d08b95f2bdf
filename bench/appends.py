"""Event appends per second through the application (pydantic event → orjson → our
recorder's one statement: table lock, NOTIFY, insert, ids, and the hash chain), against raw psycopg
inserts of the very same stored rows into a table of the same shape, in transactions of
the same size (no lock, no chain, no serialisation).

Two shapes: one event per save (a typical command) and `batch` events per save (a bulk
import). The events are `Employee.Moved` on existing employees, so every append extends
a stream whose previous hash the chain has to look up.

Each shape gives two figures against the same raw baseline: the command and its save
(`Employee.move`, the library's `@event` machinery and the pydantic event, then the
save), and the save alone, the write path (`Application.save`: the mapping to stored
events, the hashes and the recorder's statement), timed inside the same run."""

from __future__ import annotations

import statistics
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
DEFAULTS: dict[str, Any] = {"events": 20000, "batch": 100, "streams": 1000, "rounds": 3}
SMOKE: dict[str, Any] = {"events": 200, "batch": 20, "streams": 20, "rounds": 1}

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


def _app_run(
    store: Store, people: list[Employee], events: int, per_save: int
) -> tuple[float, float]:
    """Seconds for `events` Moved events in saves of `per_save` aggregates: in all
    (commands and saves), and in the saves alone."""
    assert per_save <= len(people), "one event per aggregate per save"
    done = 0
    saving = 0.0
    with stopwatch() as elapsed, command_context(actor="bench", role="system"):
        while done < events:
            n = min(per_save, events - done)
            changed = []
            for i in range(n):
                employee = people[(done + i) % len(people)]
                move(employee)
                changed.append(employee)
            with stopwatch() as save_elapsed:
                store.people.save(*changed)
            saving += save_elapsed()
            done += n
    return elapsed(), saving


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


async def run(lab: Lab, events: int, batch: int, streams: int, rounds: int) -> Report:
    rounds = max(1, rounds)
    params = {"events": events, "batch": batch, "streams": streams, "rounds": rounds}
    report = Report(NAME, TITLE, params)
    batch = min(batch, streams)
    pg = lab.database(NAME)
    baseline = "raw psycopg INSERT of the same rows"
    per_round: list[str] = []
    try:
        with open_store(pg) as store:
            people = employees(streams)
            store.people.save(*people)  # the streams exist: each append chains onto one
            for per_save, label in ((1, "1 event per save"), (batch, f"{batch} events per save")):
                # One event per save is slow: a fifth of the events tell the same story.
                n = max(per_save, events // 5 if per_save == 1 else events)
                table = f"raw_{per_save}"
                _raw_table(pg, table)
                app: list[float] = []
                save: list[float] = []
                raw: list[float] = []
                for _ in range(rounds):
                    start = _max_id(pg)
                    app_seconds, save_seconds = _app_run(store, people, n, per_save)
                    rows = _stored_rows(pg, start, n)
                    app.append(n / app_seconds)
                    save.append(n / save_seconds)
                    raw.append(len(rows) / _raw_run(pg, table, rows, per_save))
                report.add(
                    f"appends/s, {label} (command + save)",
                    statistics.median(app),
                    "ev/s",
                    baseline,
                    statistics.median(raw),
                )
                report.add(
                    f"appends/s, {label} (the save alone: the write path)",
                    statistics.median(save),
                    "ev/s",
                    baseline,
                    statistics.median(raw),
                )
                per_round.append(
                    f"{label}: command + save "
                    + " / ".join(f"{a / r:.2f}" for a, r in zip(app, raw, strict=True))
                    + "×, the save alone "
                    + " / ".join(f"{s / r:.2f}" for s, r in zip(save, raw, strict=True))
                    + "×"
                )
        report.note(
            "command = `Employee.move`: the library's `@event` machinery, the pydantic event "
            "(its id, time and context) and its application to the aggregate. save = "
            "`Application.save`: the pydantic event → orjson, its hash, one statement in "
            "autocommit, the recorder's PL/pgSQL append function: LOCK TABLE, NOTIFY, INSERT "
            "... unnest (binary arrays), ids, hash chain rows; one round trip per save."
        )
        report.note(
            f"{rounds} round{'s' if rounds > 1 else ''} per shape (the application's run, "
            "then the raw inserts of the rows it stored), medians; each round's ratio: "
            + "; ".join(per_round)
            + "."
        )
    finally:
        lab.drop(pg)
    return report
