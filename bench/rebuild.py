"""Projection rebuild without downtime: events per second, the time for 1,000,000 events,
one projection alone, and the API's latency while a rebuild runs.

The store holds what a year of operation mostly writes: the demo organisation (people,
twelve months of metrics, the seed policies) and weekly cycles for every rep (opened,
plan submitted, reported, feedback given: four events each), written through the bulk
path (`Application.save` of 250 aggregates at a time). `--rebuild-events N` chooses the
weeks so that the store holds at least N events (`--rebuild-events 1000000` measures a
million; nothing is extrapolated then).

- measured: the product's rebuild (`careerflow projections rebuild`:
  `projections.rebuild.rebuild_online`, built aside and switched in) of every projection,
  and of the cycles projection alone; readiness recomputed after, on its own row;
- baseline: reading and decoding every event of every application through its
  notification log (what any rebuild must do at least), no read-model writes; for the
  cycles projection alone, the same over the `cycles` log;
- the API (in-process ASGI, as bench/api.py) p50/p95 while a rebuild of every projection
  runs in another process, against the same requests before it."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import time
from typing import Any

import httpx
from temporalio.client import Client

from aggregates.base import command_context
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.ladder import Role
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle
from bench.common import Lab, Report, p50, percentile, stopwatch
from bench.org import load_org
from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole
from careerflow.store import Store, application_env
from projections.readiness import ReadinessRefresher
from projections.rebuild import rebuild_online

NAME = "rebuild"
TITLE = "projection rebuild without downtime: events/s, 1,000,000 events, one alone, API"
DEFAULTS: dict[str, Any] = {"reps": 500, "weeks": 20, "events": 0, "requests": 200}
SMOKE: dict[str, Any] = {"reps": 10, "weeks": 2, "events": 0, "requests": 5}
MILLION = 1_000_000
SAVE_BATCH = 250


def _weeks(n: int) -> list[str]:
    """`n` ISO weeks, 52 a year, from 2026 backwards when more than a year is asked."""
    first = 2026 - (n - 1) // 52
    return [f"{first + i // 52}-W{i % 52 + 1:02d}" for i in range(n)]


def write_cycles(
    services: Engine,
    rep_ids: list[str],
    weeks: list[str],
    known: dict[str, tuple[Any, Any]] | None = None,
) -> int:
    """Four events per rep and week, through the `cycles` application. `known` keeps each
    rep's employee and targets between calls (a writer that calls again and again)."""
    settings = WeeklyCycleSettings()
    commands = services.store.cycles
    written = 0
    pending: list[WeeklyCycle] = []
    known = {} if known is None else known
    with command_context(actor="bench", role="system"):
        for employee_id in rep_ids:
            if employee_id not in known:
                employee = services.people.get(employee_id)
                known[employee_id] = (
                    employee,
                    commands.targets(employee_id, employee.team_id, Role(employee.role), weeks[0]),
                )
            employee, base = known[employee_id]
            for week in weeks:
                targets = base.model_copy(update={"period": week})
                plan: dict[str, float] = {
                    k: v for k, v in targets.weekly.items() if k in settings.plan_items
                }
                cycle = WeeklyCycle(
                    employee_id=employee_id,
                    week=week,
                    manager_id=employee.manager_id,
                    team_id=employee.team_id,
                    targets=targets,
                    settings_version=1,
                    deadlines=Deadlines(
                        plan_reminder=settings.at(week, settings.plan_reminder),
                        plan_deadline=settings.at(week, settings.plan_deadline),
                        report_at=settings.at(week, settings.report_at),
                        feedback_reminder=settings.at(week, settings.feedback_reminder),
                        feedback_deadline=settings.at(week, settings.feedback_deadline),
                    ),
                    workflow_id=f"cycle-{employee_id}-{week}",
                    agreed_plan=None,
                )
                cycle.submit_plan(f"plan-{week}", plan, cycle.deadlines.plan_deadline)
                lines = [
                    ReportLine(
                        item=item,
                        label={"en": item, "zh": item},
                        planned=planned,
                        actual=planned * 0.9,
                        met=False,
                        text={"en": f"{item}: 90%", "zh": f"{item}: 90%"},
                    )
                    for item, planned in plan.items()
                ]
                cycle.build_report(lines, 1)
                cycle.give_feedback(f"fb-{week}", employee.manager_id or "", "keep going", plan)
                written += len(cycle.pending_events)
                pending.append(cycle)
                if len(pending) >= SAVE_BATCH:
                    services.store.cycles.save(*pending)
                    pending = []
        if pending:
            services.store.cycles.save(*pending)
    return written


def read_everything(store: Store) -> tuple[int, dict[str, tuple[int, float]]]:
    """Every event of every application, read in sections and decoded; per application
    (events, seconds) too."""
    total = 0
    per_app: dict[str, tuple[int, float]] = {}
    for app in store.applications():
        started = time.perf_counter()
        start, count = 1, 0
        while True:
            notifications = app.recorder.select_notifications(start, 500)
            if not notifications:
                break
            for n in notifications:
                app.mapper.to_domain_event(n)
            count += len(notifications)
            start = notifications[-1].id + 1
        per_app[app.name] = (count, time.perf_counter() - started)
        total += count
    return total, per_app


def _rebuild_elsewhere(pg: PostgresSettings, env: dict[str, str], out: Any) -> None:
    """The rebuild in its own process (as the CLI runs it beside the API's processes)."""
    result = rebuild_online(pg, env)
    out.put(result.seconds)


async def _no_temporal() -> Client:
    raise RuntimeError("the rebuild benchmark does not talk to Temporal")


async def _api_during(
    services: Engine, pg: PostgresSettings, env: dict[str, str], rep_ids: list[str],
    weeks: list[str], requests: int,
) -> tuple[list[float], list[float], float]:  # fmt: skip
    """API latencies without a rebuild (`requests`), then while one runs elsewhere."""
    token = services.tokens.issue(DEMO_HR, "H001", AccessRole.hr, "bench").token
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(ApiContext(services, _no_temporal, "bench"))
    sample = rep_ids[:: max(1, len(rep_ids) // 50)]
    paths = [f"/api/v1/cycles/{e}/{weeks[-1]}" for e in sample] + [
        f"/api/v1/employees/{e}/readiness" for e in sample
    ]

    async def one(http: httpx.AsyncClient, path: str) -> float:
        started = time.perf_counter()
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert response.json(), path  # never an empty answer
        return time.perf_counter() - started

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for path in paths[:5]:
            await one(http, path)
        before = [await one(http, paths[i % len(paths)]) for i in range(requests)]
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        process = context.Process(target=_rebuild_elsewhere, args=(pg, env, out))
        process.start()
        during: list[float] = []
        i = 0
        while process.is_alive() or not during:
            during.append(await one(http, paths[i % len(paths)]))
            i += 1
            if not process.is_alive() and out.empty() and process.exitcode not in (0, None):
                break
        process.join()
        assert process.exitcode == 0, f"the rebuild process failed ({process.exitcode})"
        seconds = float(out.get(timeout=10))
    return before, during, seconds


async def run(lab: Lab, reps: int, weeks: int, events: int, requests: int) -> Report:
    report = Report(
        NAME, TITLE, {"reps": reps, "weeks": weeks, "events": events, "requests": requests}
    )
    pg = lab.database(NAME)
    try:
        org = await asyncio.to_thread(load_org, pg, reps, max(1, reps // 10))
        env = application_env(pg)
        with Engine(open_store(pg)) as services:
            if events:
                present = sum(
                    a.recorder.max_notification_id() or 0 for a in services.store.applications()
                )
                weeks = max(1, math.ceil((events - present) / (4 * len(org.rep_ids))))
                report.params["weeks"] = weeks
            week_list = _weeks(weeks)
            with stopwatch() as write_time:
                await asyncio.to_thread(write_cycles, services, org.rep_ids, week_list)
            # The cycles projected once, as in a live store.
            await asyncio.to_thread(rebuild_online, pg, env, ["cycles"])
            with stopwatch() as read_time:
                total, per_app = await asyncio.to_thread(read_everything, services.store)
            baseline_rate = total / read_time()

            # The product's rebuild of every projection, alone on the machine.
            result = await asyncio.to_thread(rebuild_online, pg, env)
            product_rate = total / result.seconds
            refresher = ReadinessRefresher(pg)
            with stopwatch() as readiness_time:
                while await asyncio.to_thread(refresher.refresh_batch) > 0:
                    pass
            refresher.close()

            # The cycles projection alone.
            alone = await asyncio.to_thread(rebuild_online, pg, env, ["cycles"])
            cycle_events, cycle_read = per_app["cycles"]

            # The API while a rebuild runs in another process.
            before, during, during_seconds = await _api_during(
                services, pg, env, org.rep_ids, week_list, requests
            )

        measured = total >= MILLION
        how = "measured" if measured else f"extrapolated linearly from {total:,} events"
        report.add(
            f"rebuild of every projection, events/s ({total:,} events)",
            product_rate,
            "ev/s",
            "read + decode every event, no projection",
            baseline_rate,
        )
        report.add(
            f"rebuild of 1,000,000 events ({how})",
            result.seconds if measured else MILLION / product_rate,
            "s",
            "read + decode 1,000,000 events",
            read_time() if measured else MILLION / baseline_rate,
            higher_is_better=False,
        )
        report.add(
            f"rebuild of the cycles projection alone, events/s ({cycle_events:,} events)",
            cycle_events / alone.seconds,
            "ev/s",
            "read + decode the cycles log",
            cycle_events / cycle_read,
        )
        report.add(
            "readiness recomputed for everyone after the rebuild",
            readiness_time(),
            "s",
            "the rebuild itself",
            result.seconds,
            higher_is_better=False,
        )
        report.add(
            f"API p50 during a rebuild ({len(during)} requests)",
            p50(during) * 1000,
            "ms",
            "the same requests without one, p50",
            p50(before) * 1000,
            higher_is_better=False,
        )
        report.add(
            "API p95 during a rebuild",
            percentile(during, 95) * 1000,
            "ms",
            "the same requests without one, p95",
            percentile(before, 95) * 1000,
            higher_is_better=False,
        )
        report.note(
            f"store: {org.employees:,} people, {org.measurements:,} measurements in "
            f"{len(org.rep_ids):,} ledgers, {weeks} weekly cycles per rep; {total:,} events "
            f"(cycles written in {write_time():.0f} s through the bulk path)"
        )
        report.note(
            f"rows loaded with COPY: {result.rows_loaded:,}; the rebuild with the API "
            f"sampled beside it took {during_seconds:.1f} s (its own process)."
        )
        report.note(f"1,000,000 events: {how}.")
    finally:
        lab.drop(pg)
    return report
