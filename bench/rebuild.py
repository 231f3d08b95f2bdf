"""Projection rebuild: events per second, and the time for 1,000,000 events.

The store holds what a year of operation mostly writes: the demo organisation (people,
twelve months of metrics, the seed policies) and `weeks` weekly cycles for every rep
(opened, plan submitted, reported, feedback given: four events each).

- measured: the product's rebuild (`careerflow projections rebuild`: `ReadModels.rebuild`
  and wait until every projection and the readiness refresher are caught up);
- baseline: reading and decoding every event of every application through its
  notification log (what any rebuild must do at least), no read-model writes;
- the two fixes the README's profile proposed, done by hand: the same projections with
  readiness recomputed once at the end (`bench.org.catch_up`); and that with read-model
  transactions that do not wait for their WAL flush (`synchronous_commit = off`). Both
  are the product's own behaviour now (the refresher waits until the projections have
  caught up; `ReadModelView.apply` commits asynchronously), so these rows should be near
  1.00x of the product's rebuild: they check that it does not fall behind again."""

from __future__ import annotations

from typing import Any

from aggregates.base import command_context
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.ladder import Role
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle
from bench.common import Lab, Report, stopwatch
from bench.org import AsyncCommitView, catch_up, load_org
from careerflow.engine import Engine, open_store
from careerflow.store import Store, application_env
from projections.runner import ReadModels, reset_read_models

NAME = "rebuild"
TITLE = "projection rebuild: events per second and the time for 1,000,000 events"
DEFAULTS: dict[str, Any] = {"reps": 500, "weeks": 20}
SMOKE: dict[str, Any] = {"reps": 10, "weeks": 2}
MILLION = 1_000_000
SAVE_BATCH = 250


def _weeks(n: int) -> list[str]:
    return [f"2026-W{w:02d}" for w in range(1, n + 1)]


def write_cycles(services: Engine, rep_ids: list[str], weeks: list[str]) -> int:
    """Four events per rep and week, through the `cycles` application."""
    settings = WeeklyCycleSettings()
    commands = services.store.cycles
    written = 0
    pending: list[WeeklyCycle] = []
    with command_context(actor="bench", role="system"):
        for employee_id in rep_ids:
            employee = services.people.get(employee_id)
            base = commands.targets(employee_id, employee.team_id, Role(employee.role), weeks[0])
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


def read_everything(store: Store) -> int:
    """Every event of every application, read in sections and decoded."""
    total = 0
    for app in store.applications():
        start = 1
        while True:
            notifications = app.recorder.select_notifications(start, 500)
            if not notifications:
                break
            for n in notifications:
                app.mapper.to_domain_event(n)
            total += len(notifications)
            start = notifications[-1].id + 1
    return total


async def run(lab: Lab, reps: int, weeks: int) -> Report:
    report = Report(NAME, TITLE, {"reps": reps, "weeks": weeks})
    pg = lab.database(NAME)
    try:
        org = load_org(pg, reps, max(1, reps // 10))
        with Engine(open_store(pg)) as services:
            write_cycles(services, org.rep_ids, _weeks(weeks))
            catch_up(pg)  # the cycles projected once, as in a live store
            with stopwatch() as read_time:
                events = read_everything(services.store)
            baseline_rate = events / read_time()

            env = application_env(pg)
            # The product's rebuild: forget, project again, wait until caught up.
            read_models = ReadModels(pg, env)
            with stopwatch() as product_time:
                read_models.rebuild()
                with read_models:
                    read_models.wait_caught_up(services.store.applications(), timeout=7200)
            read_models.refresher.close()
            product_rate = events / product_time()

            # By hand: projections first, readiness once (what the refresher now does).
            with stopwatch() as fixed_time:
                reset_read_models(pg, env)
                catch_up(pg, 7200)
            fixed_rate = events / fixed_time()

            # And read-model transactions that do not wait for their WAL flush.
            with stopwatch() as async_time:
                reset_read_models(pg, env)
                catch_up(pg, 7200, view_class=AsyncCommitView)
            async_rate = events / async_time()

        measured = events >= MILLION
        how = "measured" if measured else f"extrapolated linearly from {events:,} events"
        report.add(
            f"rebuild, events/s ({events:,} events)",
            product_rate,
            "ev/s",
            "read + decode every event, no projection",
            baseline_rate,
        )
        report.add(
            f"rebuild of 1,000,000 events ({how})",
            MILLION / product_rate,
            "s",
            "read + decode 1,000,000 events",
            MILLION / baseline_rate,
            higher_is_better=False,
        )
        report.add(
            "rebuild, events/s, readiness once at the end (by hand)",
            fixed_rate,
            "ev/s",
            "the product's rebuild (above)",
            product_rate,
        )
        report.add(
            "rebuild, events/s, readiness once + asynchronous commit (by hand)",
            async_rate,
            "ev/s",
            "the product's rebuild (above)",
            product_rate,
        )
        report.note(
            f"store: {org.employees:,} people, {org.measurements:,} measurements in "
            f"{len(org.rep_ids):,} ledgers, {weeks} weekly cycles per rep; {events:,} events"
        )
        report.note(f"1,000,000 events: {how}.")
    finally:
        lab.drop(pg)
    return report
