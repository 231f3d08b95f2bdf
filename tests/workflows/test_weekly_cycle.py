"""The weekly performance cycle on the time-skipping server with the real event store:
a full week (plans, reminder, default, late plan, report, feedback, missed feedback) and a
full month of weeks ending in the month close (bonus, commission, training rules)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import activities.cycles as cycle_activities
from activities.cycles import (
    CycleActivities,
    StartCycle,
    StartCycleBatch,
    cycle_batch_workflow_id,
    cycle_workflow_id,
    month_batch_workflow_id,
)
from activities.notifications import NotificationActivities
from aggregates.base import DomainError
from aggregates.calendar_periods import shift_month
from aggregates.cycle_launch import CycleLaunch, launch_uuid
from aggregates.goals import GoalCascade, weeks_of_month
from aggregates.month_close import MonthClose, month_close_uuid
from aggregates.weekly_cycle import WeeklyCycle, cycle_key, cycle_uuid
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import failure_message
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cycle_weeks import RepHandle, week_workflow_id
from tests.workflows.promotion_support import build_org, ingest
from tests.workflows.test_promotion_local_steps import local_activities, scheduled
from words.catalogue import stored_text
from worker import INTERCEPTORS, WORKFLOW_RUNNER
from workflows.cycle_launcher import CycleLauncherWorkflow, Launch, LaunchSummary
from workflows.month_close import MonthCloseWorkflow
from workflows.month_close_batch import MonthCloseBatchWorkflow
from workflows.weekly_cycle import WeeklyCycleWorkflow
from workflows.weekly_cycle_batch import WeeklyCycleBatchWorkflow
from workflows.weekly_cycle_io import FeedbackRequest, PlanRequest

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORIES = Path(__file__).with_name("histories")
S001 = Principal(person_id="S001", role=AccessRole.manager)
M001 = Principal(person_id="M001", role=AccessRole.manager)


def rep(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.employee)


@pytest.fixture
def read_models(pg: PostgresSettings) -> Iterator[ReadModels]:
    with ReadModels(pg, application_env(pg)) as rm:
        yield rm


@pytest.fixture
def services(pg: PostgresSettings, read_models: ReadModels) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        build_org(s)
        # No growth: a previous-year mean of 1,000,000 is then exactly the monthly target.
        s.policies.publish(
            DEMO_HR,
            "goal_cascade",
            "default",
            GoalCascade(individual_growth_percent=0).model_dump(mode="json"),
            "test: flat targets",
        )
        read_models.wait_caught_up(s.store.applications(), timeout=60)
        yield s


def worker(env: WorkflowEnvironment, services: Engine, queue: str) -> Worker:
    notifications = NotificationActivities(services.notifications, services.people)
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[
            WeeklyCycleWorkflow,
            WeeklyCycleBatchWorkflow,
            MonthCloseWorkflow,
            MonthCloseBatchWorkflow,
            CycleLauncherWorkflow,
        ],
        activities=[
            *notifications.all(),
            *CycleActivities(services.store.cycles, env.client, queue).all(),
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(8),
        workflow_runner=WORKFLOW_RUNNER,
        interceptors=INTERCEPTORS,
    )


async def launch(env: WorkflowEnvironment, request: Launch, ident: str, queue: str) -> Any:
    """Runs the launcher to its end without letting the test server skip time meanwhile
    (a handle from `start_workflow` would unlock time skipping while awaiting the result,
    and the weeks' timers could fire before the test acts)."""
    await env.client.start_workflow(CycleLauncherWorkflow.run, request, id=ident, task_queue=queue)
    handle = env.client.get_workflow_handle_for(CycleLauncherWorkflow.run, ident)
    return await handle.result()


def iso_week(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


async def move_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Polls until `check()` is truthy (activities run in real time after a time skip)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        await asyncio.sleep(0.2)


def cycle(services: Engine, employee: str, week: str) -> WeeklyCycle | None:
    found: WeeklyCycle | None = services.store.cycles.find(cycle_uuid(employee, week))
    return found


def names(services: Engine, employee: str, week: str) -> list[str]:
    events = services.store.cycles.events.get(cycle_uuid(employee, week))
    return [type(e).__qualname__.split(".")[-1] for e in events]


def inbox(services: Engine, recipient: str, kind: str) -> list[dict[str, Any]]:
    with services.read_pool.connection() as conn:
        rows: Any = conn.execute(
            "SELECT key, body FROM rm_inbox WHERE recipient_id = %s AND kind = %s",
            (recipient, kind),
        ).fetchall()
    return list(rows)


def previous_year(
    employee: str, year: int, amount: float
) -> list[tuple[str, str, str, float, str]]:
    return [(employee, f"{year - 1}-{m:02d}", "sales_amount", amount, "") for m in range(1, 13)]


async def next_monday_8(env: WorkflowEnvironment) -> datetime:
    now = (await env.get_current_time()).astimezone(SHANGHAI)
    monday = now.date() + timedelta(days=(7 - now.weekday()) % 7 or 7)
    return datetime(monday.year, monday.month, monday.day, 8, 5, tzinfo=SHANGHAI)


async def test_a_full_week(
    env: WorkflowEnvironment,
    services: Engine,
    read_models: ReadModels,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A batch opens and starts in chunks, the next opening while the last one's workflow
    # starts; each chunk's weeks run in one workflow. Chunks of two reps here: the
    # launcher's batches of two are one chunk each, and E1 and E2 share a workflow.
    monkeypatch.setattr(cycle_activities, "STARTS_AT_ONCE", 2)
    start = await next_monday_8(env)
    week = iso_week(start.date())
    ingest(services, previous_year("E1", start.year, 100_000.0))
    queue = f"q-week-{week}-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        summary: LaunchSummary = await launch(
            env, Launch(kind="week", batch_size=2), f"launch-{week}", queue
        )
        launched = env.client.get_workflow_handle(f"launch-{week}")
        # E1, E2, E3 are the reps (two batches of two); S001 and M001 are not in the cycle.
        assert (summary.period, summary.started, summary.skipped) == (week, 3, 0)
        # Launching the same week again starts nothing twice.
        again = await launch(env, Launch(kind="week", period=week), f"launch-{week}-again", queue)
        assert (again.started, again.skipped) == (0, 3)

        await eventually(lambda: all(cycle(services, e, week) for e in ("E1", "E2", "E3")))
        ids = {e: week_workflow_id(services, e, week) for e in ("E1", "E2", "E3")}
        assert ids["E1"] == ids["E2"] == cycle_batch_workflow_id(week, ["E1", "E2"])
        assert ids["E3"] == cycle_batch_workflow_id(week, ["E3"])
        e1, e2, e3 = (RepHandle(env.client, ids[e], e) for e in ("E1", "E2", "E3"))
        c1 = cycle(services, "E1", week)
        assert c1 is not None and c1.targets.weekly == {
            "customer_visits": 10.0,
            "new_customers": 4.0,
            "sales_amount": round(100_000 * 12 / 52, 2),
        }

        # Refusals change nothing: someone else's plan, negative numbers, absurd numbers.
        plan = {"customer_visits": 10, "new_customers": 4, "sales_amount": 25_000}
        refusals = [
            (e1, PlanRequest(principal=rep("E2"), items=plan), "cannot submit E1's weekly plan"),
            (e1, PlanRequest(principal=S001, items=plan), "reps submit their own plan"),
            (
                e1,
                PlanRequest(principal=rep("E1"), items={**plan, "customer_visits": -3}),
                "customer_visits: -3 is negative",
            ),
            (
                e1,
                PlanRequest(principal=rep("E1"), items={**plan, "new_customers": 12}),
                "new_customers (12) cannot exceed customer_visits (10)",
            ),
        ]
        for handle, request, message in refusals:
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await handle.submit_plan(request)
            assert message in failure_message(info.value)
        assert names(services, "E1", week) == ["Opened"]

        submitted = await e1.submit_plan(PlanRequest(principal=rep("E1"), items=plan))
        assert submitted.plan_source == "submitted"

        # Noon: E2 and E3 have no plan, so they are reminded; E1 is not.
        await move_to(env, start.replace(hour=12, minute=30))
        await eventually(lambda: inbox(services, "E2", "cycle.plan_reminder"))
        await eventually(lambda: inbox(services, "E3", "cycle.plan_reminder"))
        assert inbox(services, "E1", "cycle.plan_reminder") == []

        # 18:00: the deadline passes; the targets become E2's and E3's plans, recorded.
        await move_to(env, start.replace(hour=18, minute=30))
        await eventually(lambda: "PlanDefaulted" in names(services, "E2", week))
        await eventually(lambda: "PlanDefaulted" in names(services, "E3", week))
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await e3.submit_plan(PlanRequest(principal=rep("E3"), items=plan))
        assert "the plan deadline" in failure_message(info.value)
        assert "has passed" in failure_message(info.value)
        assert names(services, "E3", week) == ["Opened", "PlanDefaulted"]

        # During the week the CRM export lands in the ledger (daily rows for E1).
        monday = start.date()
        ingest(
            services,
            [
                ("E1", (monday + timedelta(days=d)).isoformat(), "customer_visits", v, "")
                for d, v in enumerate([3.0, 2.0, 4.0, 3.0])
            ]
            + [
                ("E1", week, "new_customers", 3.0, ""),
                ("E1", week, "sales_amount", 30_000.0, ""),
            ],
        )
        # Feedback before the report is refused.
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await e1.give_feedback(FeedbackRequest(principal=S001, text="ok"))
        assert "not reported yet" in failure_message(info.value)

        # Friday 18:00: the report, item by item (the seed's "visited 12: met; 3 new: not met").
        await move_to(env, start + timedelta(days=4, hours=10, minutes=30))
        await eventually(lambda: "ReportBuilt" in names(services, "E1", week))
        c1 = cycle(services, "E1", week)
        assert c1 is not None and c1.report is not None
        lines = {line.item: line for line in c1.report}
        assert (lines["customer_visits"].actual, lines["customer_visits"].met) == (12.0, True)
        assert (lines["new_customers"].actual, lines["new_customers"].met) == (3.0, False)
        assert lines["sales_amount"].met is True
        assert "customer visits: 12 of 10 planned: met" in lines["customer_visits"].text["en"]
        report_note = await eventually(lambda: inbox(services, "E1", "cycle.report"))
        assert "new customers: 3 of 4 planned: not met" in stored_text(report_note[0]["body"], "en")

        # The weekend: only E1's manager gives feedback, once; next week's plan is agreed.
        next_plan = {"customer_visits": 12, "new_customers": 5, "sales_amount": 26_000}
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await e1.give_feedback(
                FeedbackRequest(principal=M001, text="good", next_plan=next_plan)
            )
        assert "is not E1's manager (S001)" in failure_message(info.value)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await e1.give_feedback(
                FeedbackRequest(
                    principal=S001, text="good", next_plan={**next_plan, "new_customers": -1}
                ),
            )
        assert "next week's plan was not taken" in failure_message(info.value)
        given = await e1.give_feedback(
            FeedbackRequest(principal=S001, text="visits good; two more new", next_plan=next_plan)
        )
        assert given.feedback_given
        # Sunday noon: S001 is reminded about E2 and E3; next Monday 08:00 it is missed.
        await move_to(env, start + timedelta(days=6, hours=4, minutes=30))
        await eventually(lambda: len(inbox(services, "S001", "cycle.feedback_reminder")) == 2)
        # Next Monday 08:00: the week ends (handles we did not start do not skip time).
        await move_to(env, start + timedelta(days=7, minutes=30))
        outcome = await e1.result()
        assert (outcome.plan_source, outcome.met, outcome.total, outcome.feedback) == (
            "submitted",
            2,
            3,
            "given",
        )
        for handle in (e2, e3):
            result = await handle.result()
            assert (result.plan_source, result.feedback) == ("defaulted", "missed")
        # In a batch, the reps that reach a moment together share one regular activity
        # per step and one for their notifications: E2's defaulted plan, E1's and E2's
        # reports (one), E2's missed feedback; E2's reminder, defaulted plan notice, both
        # reports' notices (one) and S001's reminder about E2. No local activities.
        history = json.loads((await e1.handle.fetch_history()).to_json())
        assert scheduled(history).count("cycle_steps") == 3
        assert scheduled(history).count("notification_create_many") == 4
        assert local_activities(history) == []
        assert names(services, "E2", week) == [
            "Opened",
            "PlanDefaulted",
            "ReportBuilt",
            "FeedbackMissed",
        ]
        # Every event says who did it and from which workflow.
        for event in services.store.cycles.events.get(cycle_uuid("E1", week)):
            assert event.meta.workflow_id == ids["E1"]
        feedback = list(services.store.cycles.events.get(cycle_uuid("E1", week)))[-1]
        assert (feedback.meta.actor, feedback.meta.role) == ("S001", "manager")

        # Next Monday: E1's cycle opens with the agreed plan and sends no plan reminder.
        following = iso_week(start.date() + timedelta(days=7))
        second = await env.client.start_workflow(
            WeeklyCycleWorkflow.run,
            StartCycle(employee_id="E1", week=following),
            id=cycle_workflow_id("E1", following),
            task_queue=queue,
        )
        c2 = await eventually(lambda: cycle(services, "E1", following))
        assert (c2.plan, c2.plan_source) == (
            {k: float(v) for k, v in next_plan.items()},
            "agreed",
        )
        await second.terminate("test over")
        # E1's week is closed; the service explains a second feedback from the record.
        # (Last: the test server stops skipping time after an update to a closed workflow.)
        process = services.cycle_process(env.client, queue)
        with pytest.raises(DomainError, match="already gave feedback for week"):
            await process.give_feedback(S001, "E1", week, "again")
        if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
            # (cycle_week_*.json: weeks in their own workflows, recorded before batches.)
            history = await e1.handle.fetch_history()
            (HISTORIES / "cycle_batch_week.json").write_text(history.to_json())
            history = await launched.fetch_history()
            (HISTORIES / "cycle_launcher_week.json").write_text(history.to_json())


async def test_a_batch_whose_start_was_lost_takes_its_weeks_on_when_launched_again(
    env: WorkflowEnvironment, services: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A launch opened three weeks for batch X and stopped before starting it (say, the
    launcher was terminated). Launched again in chunks of two, the first chunk starts X
    with E1 and E2; the second finds X running and X takes E3 on by its `join` Update."""
    monkeypatch.setattr(cycle_activities, "STARTS_AT_ONCE", 2)
    start = await next_monday_8(env) + timedelta(days=21)  # the other tests' weeks are earlier
    week = iso_week(start.date())
    lost = cycle_batch_workflow_id(week, ["E1", "E2", "E3"])
    services.store.cycles.open_weeks(["E1", "E2", "E3"], week, lambda _: lost)
    queue = f"q-lost-{week}-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        summary = await launch(env, Launch(kind="week", period=week), f"relaunch-{week}", queue)
        assert (summary.started, summary.skipped) == (3, 0)
        batch = env.client.get_workflow_handle_for(WeeklyCycleBatchWorkflow.run, lost)
        for e in ("E1", "E2", "E3"):
            info = await batch.query(WeeklyCycleBatchWorkflow.current, e)
            assert info is not None and info.employee_id == e
        # Once more: every week runs already, so nothing starts or joins.
        again = await launch(env, Launch(kind="week", period=week), f"again-{week}", queue)
        assert (again.started, again.skipped) == (0, 3)
        assert [names(services, e, week) for e in ("E1", "E2", "E3")] == [["Opened"]] * 3
        await batch.terminate("test over")


async def test_a_full_month_then_the_month_close(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    now = (await env.get_current_time()).astimezone(SHANGHAI)
    # A whole month of weeks, two months ahead: the week test (same server) runs the next
    # two weeks, and cycle workflow ids are per rep and week, so they must not share one.
    month = shift_month(now.strftime("%Y-%m"), 2)
    first_week = weeks_of_month(month)[0]
    monday = date.fromisocalendar(int(first_week[:4]), int(first_week[6:]), 1)
    first = datetime(monday.year, monday.month, monday.day, 8, 5, tzinfo=SHANGHAI)
    before = shift_month(month, -1)
    year = int(month[:4])
    rows = previous_year("E1", year, 1_000_000.0)
    rows += previous_year("E2", year, 500_000.0)
    rows += previous_year("E3", year, 400_000.0)
    # Retention target 75%: E2 below it two months running, E3 only in the closed month.
    rows += [
        ("E2", before, "retention_rate", 70.0, ""),
        ("E3", before, "retention_rate", 80.0, ""),
    ]
    ingest(services, rows)
    queue = f"q-month-{month}-{os.getpid()}"
    async with worker(env, services, queue):
        monday = first
        weeks: list[str] = []
        while (monday + timedelta(days=3)).strftime("%Y-%m") == month:
            await move_to(env, monday)
            week = iso_week(monday.date())
            weeks.append(week)
            summary = await launch(env, Launch(kind="week"), f"launch-{week}", queue)
            assert (summary.period, summary.started) == (week, 3)
            ingest(
                services,
                [(e, week, "customer_visits", 10.0, "") for e in ("E1", "E2", "E3")]
                + [(e, week, "new_customers", n, "") for e, n in (("E1", 5.0), ("E2", 2.0))],
            )
            monday += timedelta(days=7)
        assert len(weeks) in (4, 5)
        # The CRM's monthly totals arrive before the close.
        ingest(
            services,
            [
                ("E1", month, "sales_amount", 1_200_000.0, ""),
                ("E1", month, "retention_rate", 78.0, ""),
                ("E1", month, "small_deal_sales", 200_000.0, ""),
                ("E1", month, "big_client_sales", 1_000_000.0, ""),
                ("E1", month, "repurchase_sales", 100_000.0, ""),
                ("E2", month, "sales_amount", 450_000.0, ""),
                ("E2", month, "retention_rate", 72.0, ""),
                ("E3", month, "sales_amount", 400_000.0, ""),
                ("E3", month, "retention_rate", 60.0, ""),
                ("E3", month, "new_customers", 30.0, ""),
            ],
        )
        close_day = datetime(
            *(int(x) for x in shift_month(month, 1).split("-")), 3, 9, 5, tzinfo=SHANGHAI
        )
        await move_to(env, close_day)
        summary = await launch(
            env, Launch(kind="month", launched_by="H001"), f"launch-month-{month}", queue
        )
        assert (summary.period, summary.started) == (month, 3)
        # The launch is recorded with who launched it, and finished once with its counts.
        recorded: CycleLaunch = services.store.cycles.repository.get(launch_uuid("month", month))
        assert (recorded.launched_by, recorded.finished) == ("H001", True)
        assert (recorded.started, recorded.skipped, recorded.version) == (3, 0, 2)
        # The three reps' closes run in one batch workflow.
        batch = env.client.get_workflow_handle(month_batch_workflow_id(month, ["E1", "E2", "E3"]))
        assert sorted((await batch.result())["outcomes"]) == ["E1", "E2", "E3"]

        def closed(e: str) -> MonthClose:
            found: MonthClose = services.store.cycles.repository.get(month_close_uuid(e, month))
            return found

        e1 = closed("E1")
        assert e1.bonus is not None and e1.commission is not None
        # The seed's worked example: (5,000 + 1% of 200,000) × 1.10.
        assert e1.bonus.amount == 7_700.0
        assert e1.bonus.inputs.sales_target == 1_000_000.0
        assert e1.bonus.rules_version == 1
        assert e1.targets.cascade_version == 2
        # 2% of 200,000 + 2.3% of 1,000,000 + 5% of 100,000.
        assert e1.commission.amount == 4_000.0 + 23_000.0 + 5_000.0
        assert [r.course for r in e1.recommendations] == []
        e2 = closed("E2")
        assert e2.bonus is not None and e2.bonus.amount == 0.0
        assert [r.course for r in e2.recommendations] == [
            "Prospecting Skills",
            "Customer Relationship Management",
        ]
        e3 = closed("E3")
        # One month below the retention target is not enough.
        assert [r.course for r in e3.recommendations] == []
        assert await eventually(lambda: inbox(services, "S001", "training.alert"))
        alerts = inbox(services, "S001", "training.alert")
        assert [a["key"].split("/")[1] for a in alerts] == ["E2"]
        assert inbox(services, "E1", "month.statement")
        # A second close of the same month is a no-op.
        versions = {e: closed(e).version for e in ("E1", "E2", "E3")}
        again = await launch(
            env, Launch(kind="month", period=month), f"launch-month-{month}-again", queue
        )
        assert (again.started, again.skipped) == (0, 3)
        assert {e: closed(e).version for e in versions} == versions
        # Finished is recorded once: the second launch's end changes nothing.
        store = services.store.cycles.repository.event_store
        launch_events = list(store.get(launch_uuid("month", month)))
        assert [type(e).__name__ for e in launch_events] == ["Started", "Finished"]
        assert (launch_events[1].started, launch_events[1].skipped) == (3, 0)
        read_models.wait_caught_up(services.store.applications(), timeout=60)
        row = services.cycle_queries.month_launches([month])[month]
        assert (row.launched_by, row.started, row.skipped) == ("H001", 3, 0)
        assert row.finished_at is not None
        await move_to(env, close_day + timedelta(days=7))
        for week in weeks:
            for workflow_id in {week_workflow_id(services, e, week) for e in ("E1", "E2", "E3")}:
                await env.client.get_workflow_handle(workflow_id).result()
        # One activity closes the three months, one creates every notice.
        closing = await batch.fetch_history()
        events = json.loads(closing.to_json())
        assert scheduled(events)[:2] == ["cycle_close_months", "notification_create_many"]
        assert local_activities(events) == []
        if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
            # (month_close_*.json: a month in its own workflow, before and after the patch
            # that made its close local; kept to replay.)
            (HISTORIES / "month_close_batch.json").write_text(closing.to_json())


async def test_a_refused_step_stops_one_week_of_a_batch_and_not_the_others(
    env: WorkflowEnvironment, services: Engine
) -> None:
    """A batch runs E1's week and one whose record is missing (E404: its plan cannot be
    defaulted, the store refuses). E404's week stops at the refusal and is named in the
    outcome; E1's goes on to its end."""
    start = await next_monday_8(env) + timedelta(weeks=16)  # after the other tests' weeks
    week = iso_week(start.date())
    batch_id = cycle_batch_workflow_id(week, ["E1", "E404"])
    e1 = services.store.cycles.open_weeks(["E1"], week, lambda _: batch_id)["E1"]
    ghost = e1.model_copy(update={"employee_id": "E404", "cycle_id": cycle_key("E404", week)})
    queue = f"q-refused-{week}-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        handle = await env.client.start_workflow(
            WeeklyCycleBatchWorkflow.run,
            StartCycleBatch(week=week, weeks=[e1, ghost]),
            id=batch_id,
            task_queue=queue,
        )
        outcome = await handle.result()
    assert list(outcome.outcomes) == ["E1"]
    assert outcome.outcomes["E1"].feedback == "missed"
    assert list(outcome.failed) == ["E404"]
    assert names(services, "E1", week) == [
        "Opened",
        "PlanDefaulted",
        "ReportBuilt",
        "FeedbackMissed",
    ]
    assert cycle(services, "E404", week) is None
