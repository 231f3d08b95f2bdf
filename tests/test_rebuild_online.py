"""The rebuild without downtime (projections/rebuild.py): the result equals a from-zero
rebuild through the handlers row for row (the projection check), a reader of the live
tables never gets an error or an empty answer while it runs, events written during the
rebuild are in the result exactly once, and one projection rebuilt alone leaves the
other tables and positions as they were."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from aggregates.metric_ledger import MetricLedger
from aggregates.weekly_cycle import WeeklyCycle, cycle_uuid
from bench.rebuild import write_cycles
from careerflow.audit.projection_check import check_projections
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.base import event_of
from projections.cycle_fold import FOLDS, OPENS
from projections.cycle_parts import PARALLEL_FROM_ENV, PROCESSES_ENV
from projections.cycles import CyclesProjection
from projections.metrics import MetricsProjection
from projections.rebuild import chosen, rebuild_online
from projections.runner import ReadModels
from tests.test_cli import cli
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
REPS = ["E1", "E2", "E3"]


@pytest.fixture
def world(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels]]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        ingest(s, year_of_metrics("E1", "2026-10", {}, mentored=2))
        write_cycles(s, REPS, [f"2026-W{w:02d}" for w in range(1, 9)])
        s.store.cycles.close_month("E1", "2026-10", "month-close-E1-2026-10")
        # Launches: a month's by HR, finished; a week's by the schedule, still running.
        s.store.cycles.record_launch("month", "2026-10", "cycle-launch-month-2026-10", "H001")
        s.store.cycles.finish_launch("month", "2026-10", "cycle-launch-month-2026-10", 1, 0)
        s.store.cycles.record_launch("week", "2026-W08", "cycle-weekly-2026-W08")
        rm.wait_caught_up(s.store.applications())
        yield s, rm


def rows(pg: PostgresSettings, statement: str) -> list[Any]:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        return conn.execute(statement).fetchall()


def oids(pg: PostgresSettings) -> dict[str, int]:
    found = rows(pg, "SELECT relname, oid::int FROM pg_class WHERE relname LIKE 'rm\\_%' "
                 "AND relkind = 'r' AND relnamespace = 'public'::regnamespace")  # fmt: skip
    return dict(found)


def positions(pg: PostgresSettings) -> dict[str, int]:
    out = {}
    for _, proj in chosen([]):
        got = rows(pg, f"SELECT max(notification_id) FROM {proj.name}_tracking")
        out[proj.name] = got[0][0] or 0
    return out


def test_every_handled_event_has_a_set_based_fold() -> None:
    assert set(CyclesProjection.handlers) == set(FOLDS) | set(OPENS)
    # projections/cycle_fold.py load_measurements folds exactly this one.
    assert set(MetricsProjection.handlers) == {event_of(MetricLedger, "MetricsRecorded")}


@pytest.mark.parametrize("processes", [1, 3], ids=["one fold", "split over 3 processes"])
def test_rebuilt_models_equal_a_rebuild_from_zero(
    world: tuple[Engine, ReadModels], processes: int
) -> None:
    """Also with the cycles fold split over processes (a large log's way), forced here on
    a small one: every aggregate in exactly one part, the rows the same."""
    services, _ = world
    pg = services.store.pg
    before = oids(pg)
    env = application_env(pg)
    env.update({PARALLEL_FROM_ENV: "1", PROCESSES_ENV: str(processes)})
    result = rebuild_online(pg, env)
    measurements = rows(pg, "SELECT count(*) FROM rm_measurement")[0][0]
    loaded = 3 * 8 + 1 + 2  # weeks, the statement, the launches
    assert result.events > 0 and result.rows_loaded == loaded + measurements > loaded
    launches = rows(pg, "SELECT launch_id, launched_by, started, finished_at IS NOT NULL "
                    "FROM rm_cycle_launch ORDER BY 1")  # fmt: skip
    assert launches == [("month/2026-10", "H001", 1, True), ("week/2026-W08", None, 0, False)]
    after = oids(pg)
    assert after["rm_cycle"] != before["rm_cycle"]  # switched, not refilled
    assert after["rm_readiness"] == before["rm_readiness"]  # derived: recomputed in place
    report = check_projections(services.store, services.history, AUDITOR)
    assert report.ok, report.differences
    assert report.live_positions == report.rebuilt_positions
    assert rows(pg, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm\\_re%'") == []


def test_readers_keep_answering_and_writes_during_the_rebuild_land_once(
    world: tuple[Engine, ReadModels],
) -> None:
    services, rm = world
    pg = services.store.pg
    stop = threading.Event()
    answers: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def reader() -> None:
        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            while not stop.is_set():
                try:
                    cycles = conn.execute("SELECT count(*) FROM rm_cycle").fetchone()
                    people = conn.execute("SELECT count(*) FROM rm_employee").fetchone()
                    assert cycles is not None and people is not None
                    answers.append((cycles[0], people[0]))
                except BaseException as exc:  # reported below
                    errors.append(exc)
                    return

    written: list[int] = []

    def progress(done: int, total: int) -> None:
        if not written:  # once, after the bulk read its head: the catch-up must take it
            written.append(write_cycles(services, REPS, ["2026-W20", "2026-W21"]))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        rebuild_online(pg, application_env(pg), progress=progress)
        rebuild_online(pg, application_env(pg), ["cycles"])
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert answers and all(c > 0 and p > 0 for c, p in answers)
    assert written == [3 * 2 * 4]
    # The live runner goes on into the switched tables (its statements, prepared on the
    # old ones, find the new ones by name).
    write_cycles(services, REPS, ["2026-W22"])
    rm.check()
    rm.wait_caught_up(services.store.applications())
    assert rows(pg, "SELECT count(*) FROM rm_cycle") == [(3 * 11,)]
    revisions = rows(pg, "SELECT DISTINCT plan_revisions FROM rm_cycle")
    assert revisions == [(1,)]  # each plan folded once
    report = check_projections(services.store, services.history, AUDITOR)
    assert report.ok, report.differences


def test_one_projection_alone_leaves_the_others_untouched(
    world: tuple[Engine, ReadModels],
) -> None:
    services, rm = world
    pg = services.store.pg
    rm.stop()  # nothing else moves the positions meanwhile
    before, at = oids(pg), positions(pg)
    marker = "UPDATE rm_employee SET name = 'Left alone' WHERE employee_id = 'E3'"
    rows_before = rows(pg, f"{marker} RETURNING employee_id")
    assert rows_before == [("E3",)]
    result = rebuild_online(pg, application_env(pg), ["cycles"])
    assert result.projections == ["cycles_projection"]
    after = oids(pg)
    changed = {t for t in before if before[t] != after.get(t)}
    assert changed == {"rm_cycle", "rm_month_statement", "rm_cycle_launch"}
    assert positions(pg) == at
    assert rows(pg, "SELECT name FROM rm_employee WHERE employee_id = 'E3'") == [("Left alone",)]
    with pytest.raises(ValueError, match="no projection named"):
        chosen(["nonsense"])


def test_the_command_rebuilds_one_projection_or_refuses_an_unknown_name(
    world: tuple[Engine, ReadModels], tmp_path: Path
) -> None:
    services, _ = world
    pg = services.store.pg
    done = cli(pg, tmp_path, "projections", "rebuild", "cycles")
    assert done.returncode == 0, done.stderr
    assert "read models rebuilt: cycles_projection;" in done.stdout
    refused = cli(pg, tmp_path, "projections", "rebuild", "nonsense")
    assert refused.returncode != 0
    assert "no projection named nonsense" in refused.stderr


def _restore_old_shape(services: Engine, employee_id: str, week: str, name: str,
                       change: Callable[[dict[str, Any]], None]) -> None:  # fmt: skip
    """Rewrites one stored event of a week as an older version of the code stored it
    (through the application's own transcoder, compressor and cipher)."""
    app = services.store.cycles
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    table = Identifier(recorder.datastore.schema, recorder.events_table_name)
    topic = get_topic(event_of(WeeklyCycle, name))
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        found = conn.execute(
            SQL("SELECT originator_version, state FROM {0} WHERE originator_id = %s "
                "AND topic = %s").format(table),
            (cycle_uuid(employee_id, week), topic),
        ).fetchall()  # fmt: skip
        assert len(found) == 1
        version, state = found[0]
        stored = StoredEvent(cycle_uuid(employee_id, week), version, topic, bytes(state))
        decoded = app.mapper.decode_state(stored)
        change(decoded)
        data = app.mapper.transcoder.encode(decoded)
        if app.mapper.compressor:
            data = app.mapper.compressor.compress(data)
        if app.mapper.cipher:
            data = app.mapper.cipher.encrypt(data)
        conn.execute(
            SQL("UPDATE {0} SET state = %s WHERE originator_id = %s AND topic = %s").format(table),
            (data, cycle_uuid(employee_id, week), topic),
        )


@pytest.mark.parametrize("processes", [1, 3], ids=["one fold", "split over 3 processes"])
def test_events_of_an_older_shape_fold_as_the_handlers_take_them(
    world: tuple[Engine, ReadModels], processes: int
) -> None:
    """Weekly cycles' events of an older shape (a field pydantic fills with its default
    missing) are constructed, not folded from their stored JSON (whose targets would lack
    the field): the rows equal the handlers' from zero. A week opened from its event is
    then folded from stored dicts, and one opened from its stored dict by an event."""
    services, _ = world
    pg = services.store.pg
    _restore_old_shape(services, "E1", "2026-W01", "Opened",
                       lambda s: s["targets"]["baseline"].pop("months"))  # fmt: skip
    _restore_old_shape(services, "E2", "2026-W01", "PlanSubmitted", lambda s: s.pop("meta"))
    _restore_old_shape(services, "E3", "2026-W03", "FeedbackGiven", lambda s: s.pop("event_id"))
    env = application_env(pg)
    env.update({PARALLEL_FROM_ENV: "1", PROCESSES_ENV: str(processes)})
    rebuild_online(pg, env)
    months = rows(pg, "SELECT targets->'baseline'->'months' FROM rm_cycle "
                  "WHERE cycle_id = 'E1/2026-W01'")  # fmt: skip
    assert months == [([],)]  # pydantic's default, as the handlers write it
    report = check_projections(services.store, services.history, AUDITOR)
    assert report.ok, report.differences


def test_events_at_reads_the_named_notifications_in_log_order(
    world: tuple[Engine, ReadModels],
) -> None:
    """What a split fold leaves to the handlers is read back by notification id in one
    query: the same events, in log order, as reading the log through."""
    from projections.log_reading import events_at, events_of

    app = world[0].store.cycles
    head = app.recorder.max_notification_id() or 0
    every = dict(events_of(app, 1, head))
    wanted = [head, 1, head // 2]
    got = list(events_at(app, wanted))
    assert [nid for nid, _ in got] == sorted(set(wanted))
    assert all(type(e) is type(every[nid]) and e.originator_id == every[nid].originator_id
               for nid, e in got)  # fmt: skip
    assert list(events_at(app, [])) == []
