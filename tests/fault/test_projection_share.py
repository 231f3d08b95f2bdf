"""Two projection runner processes share the projections, and one takes over what the
other held when it is killed (-9).

Each projection and the readiness refresher has an advisory lock of its own; a runner
process keeps a fair share of them and keeps trying for the rest. Shown here with two
real `careerflow projections run` processes: they hold disjoint halves of the locks,
both make progress (events of projections held by each, and the refresher in one of
them recomputing readiness for marks made by projections in the other), and after one
is killed the other holds every lock and catches up; the read models then equal a
from-scratch rebuild of the same events (careerflow/audit/projection_check.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from bench.rebuild import write_cycles
from careerflow.audit.projection_check import check_projections
from careerflow.engine import Engine
from careerflow.principal import SYSTEM
from projections.runner import (
    LOCK_CLASS,
    LOCKS_APPLICATION,
    PROJECTIONS,
    READINESS,
    ReadModels,
    lock_key,
)
from tests.fault.conftest import (
    EngineProcess,
    FaultStack,
    build_org,
    heads,
    projection_positions,
    say,
    wait_projected,
)
from tests.fault.test_projection_kill import import_months

REPS = 40
APP_OF = {proj_cls.name: app_cls.name for app_cls, proj_cls in PROJECTIONS}


def holders(services: Engine) -> dict[int, set[str]]:
    """Runner process id -> the projection (and refresher) locks its session holds."""
    names = {lock_key("public", n) & 0xFFFFFFFF: n for n in ReadModels.lock_names()}
    with psycopg.connect(services.store.pg.conninfo(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name, l.objid::bigint FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid::bigint = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (LOCK_CLASS,),
        ).fetchall()
    out: dict[int, set[str]] = {}
    for application, objid in rows:
        if str(application).startswith(f"{LOCKS_APPLICATION}/") and objid in names:
            out.setdefault(int(str(application).rsplit("/", 1)[1]), set()).add(names[objid])
    return out


def until(what: str, check: Callable[[], bool], timeout: float, *runners: EngineProcess) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        for runner in runners:
            assert runner.alive(), f"{runner.name} died:\n{runner.tail()}"
        assert time.monotonic() < deadline, f"never: {what}\n" + "\n".join(
            r.tail() for r in runners
        )
        time.sleep(0.1)


def readiness_as_of(services: Engine, month: str) -> int:
    """Readiness rows recomputed with `month` as the latest month of metrics."""
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM rm_readiness WHERE as_of_month = %s", (month,)
        ).fetchone()
    return int(row[0]) if row else 0


def test_two_runner_processes_share_the_projections_and_take_over_from_a_dead_one(
    fault_stack: FaultStack,
) -> None:
    every = set(ReadModels.lock_names())
    with fault_stack.services() as services:
        reps = build_org(services, REPS, metrics=False)
        first = fault_stack.projection_runner("projections-a")
        second = fault_stack.projection_runner("projections-b")
        FaultStack.start_all(first, second)

        def shared() -> bool:
            held = holders(services)
            halves = sorted(len(held.get(r.pid, ())) for r in (first, second))
            union = held.get(first.pid, set()) | held.get(second.pid, set())
            return halves == [len(every) // 2, -(-len(every) // 2)] and union == every

        until("the locks shared half and half", shared, 60, first, second)
        held = holders(services)
        say(f"{first.name} (pid {first.pid}) holds {sorted(held[first.pid])}")
        say(f"{second.name} (pid {second.pid}) holds {sorted(held[second.pid])}")
        assert not held[first.pid] & held[second.pid]

        # Work for both: metric imports (the metrics projection; every rep marked for a
        # readiness recompute) and weekly cycles (the cycles projection).
        before = projection_positions(services)
        assert readiness_as_of(services, "2025-02") == 0
        import_months(services, reps, ["2025-01", "2025-02"])
        write_cycles(services, reps[:10], ["2026-W01", "2026-W02"])
        wait_projected(services, heads(services), first)
        after = projection_positions(services)
        for runner in (first, second):
            moved = {
                name
                for name in held[runner.pid] - {READINESS}
                if after.get(APP_OF[name], 0) > before.get(APP_OF[name], 0)
            }
            # Marked by the metrics projection, wherever it runs; recomputed here.
            refreshed = READINESS in held[runner.pid] and readiness_as_of(services, "2025-02") > 0
            say(f"{runner.name} projected {sorted(moved)}; refresher here: {refreshed}")
            assert moved or refreshed, f"{runner.name} made no progress"
        assert second.alive()

        # The first dies; the second takes over its locks and projects what follows.
        victim, survivor = first, second
        victim.kill()
        say(f"SIGKILL {victim.name}; {survivor.name} takes over")
        until(
            "every lock with the survivor",
            lambda: holders(services) == {survivor.pid: every},
            30,
            survivor,
        )
        import_months(services, reps, ["2025-03"])
        write_cycles(services, reps[10:20], ["2026-W03"])
        wait_projected(services, heads(services), survivor)
        say(f"caught up after the takeover: {projection_positions(services)}")

        report = check_projections(services.store, services.history, SYSTEM)
        assert report.ok, report.differences[:20]
        assert report.live_positions == report.rebuilt_positions
        say(f"read models equal a rebuild: {sum(report.rows_compared.values())} rows")
