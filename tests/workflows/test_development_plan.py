"""A full twelve-month development plan on the time-skipping server with the real event
store: measured progress, a reminder while behind, an overdue milestone and the alert,
manager confirmations, an adjustment mid-way, continue-as-new, and the closing summary."""

from __future__ import annotations

import concurrent.futures
import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notifications import NotificationActivities
from activities.plans import PlanActivities
from aggregates.base import NotFoundError
from aggregates.development_plan import DevelopmentPlan, plan_uuid
from aggregates.ladder import Role
from aggregates.plan_template import add_months
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import failure_message
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest
from worker import INTERCEPTORS, WORKFLOW_RUNNER
from workflows.development_plan import (
    AdjustRequest,
    ConfirmRequest,
    DevelopmentPlanWorkflow,
    StartPlan,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HR = Principal(person_id="H001", role=AccessRole.hr)
SUPERVISOR = Principal(person_id="S001", role=AccessRole.manager)
HISTORIES = Path(__file__).with_name("histories")


@pytest.fixture
def read_models(pg: PostgresSettings) -> Iterator[ReadModels]:
    with ReadModels(pg, application_env(pg)) as rm:
        yield rm


@pytest.fixture
def services(pg: PostgresSettings, read_models: ReadModels) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        build_org(s)
        yield s


def worker(env: WorkflowEnvironment, services: Engine, queue: str) -> Worker:
    notifications = NotificationActivities(services.notifications, services.people)
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[DevelopmentPlanWorkflow],
        activities=[
            *notifications.all(),
            *PlanActivities(services.store.plans).all(),
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(8),
        workflow_runner=WORKFLOW_RUNNER,
        interceptors=INTERCEPTORS,
    )


async def record_runs(env: WorkflowEnvironment, plan_id: str, run_id: str | None) -> None:
    """Every run of the plan (continue-as-new chains them) as a committed history."""
    number = 1
    while run_id:
        history = await env.client.get_workflow_handle(plan_id, run_id=run_id).fetch_history()
        (HISTORIES / f"plan_run{number:02d}.json").write_text(history.to_json())
        last = history.events[-1]
        attributes = last.workflow_execution_continued_as_new_event_attributes
        run_id = (
            attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
        number += 1


def month(effective: date, n: int) -> str:
    """The calendar month of plan month n."""
    return add_months(effective, n - 1).strftime("%Y-%m")


async def move_to(env: WorkflowEnvironment, day: date, hour: int = 12) -> None:
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


def plan_events(services: Engine, plan_id: str) -> list[object]:
    return list(services.store.plans.events.get(plan_uuid(plan_id)))


def names(events: list[object]) -> list[str]:
    return [type(e).__qualname__.split(".")[-1] for e in events]


def plan(services: Engine, plan_id: str) -> DevelopmentPlan:
    found: DevelopmentPlan = services.store.plans.repository.get(plan_uuid(plan_id))
    return found


async def test_twelve_months_of_a_supervisor_plan(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    now = (await env.get_current_time()).astimezone(SHANGHAI)
    effective = add_months(date(now.year, now.month, 1), 1)
    plan_id = f"plan-E1-{uuid.uuid4().hex[:6]}"
    queue = f"q-{uuid.uuid4()}"
    async with worker(env, services, queue):
        handle = await env.client.start_workflow(
            DevelopmentPlanWorkflow.run,
            StartPlan(
                employee_id="E1",
                role=Role.sales_supervisor,
                effective_date=effective,
                started_by=HR,
            ),
            id=plan_id,
            task_queue=queue,
        )
        first_run = handle.first_execution_run_id
        await move_to(env, effective + timedelta(days=3))

        # Month 1: both courses done; the manager confirms the team meetings.
        ingest(
            services,
            [
                ("E1", month(effective, 1), "course_completed", 9.5, "Sales Team Management"),
                ("E1", month(effective, 1), "course_completed", 9.0, "Goal Decomposition"),
            ],
        )
        await handle.signal(DevelopmentPlanWorkflow.metrics_arrived)
        stranger = Principal(person_id="E2", role=AccessRole.manager)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                DevelopmentPlanWorkflow.confirm,
                ConfirmRequest(principal=stranger, milestone_id="team_meetings"),
            )
        assert "is not E1's manager (S001)" in failure_message(info.value)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                DevelopmentPlanWorkflow.confirm,
                ConfirmRequest(principal=SUPERVISOR, milestone_id="mentoring"),
            )
        assert "is measured from the metrics ledger" in failure_message(info.value)
        await handle.execute_update(
            DevelopmentPlanWorkflow.confirm,
            ConfirmRequest(principal=SUPERVISOR, milestone_id="team_meetings", comment="joined"),
        )
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                DevelopmentPlanWorkflow.adjust,
                AdjustRequest(
                    principal=SUPERVISOR,
                    action="move",
                    milestone_id="team_goal",
                    due_month=13,
                    reason="later",
                ),
            )
        assert "after the plan's 12 months" in failure_message(info.value)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                DevelopmentPlanWorkflow.adjust,
                AdjustRequest(
                    principal=SUPERVISOR,
                    action="move",
                    milestone_id="courses",
                    due_month=0,
                    reason="earlier",
                ),
            )
        assert "before the milestone's start month" in failure_message(info.value)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                DevelopmentPlanWorkflow.adjust,
                AdjustRequest(
                    principal=SUPERVISOR, action="drop", milestone_id="courses", reason=" "
                ),
            )
        assert "needs a reason" in failure_message(info.value)

        # Months 4-6: new customers every month; mentoring stays one short.
        ingest(
            services,
            [("E1", month(effective, m), "new_customers", 5.0, "") for m in (4, 5, 6)]
            + [("E1", month(effective, m), "new_hires_mentored", 1.0, "") for m in (4, 5)],
        )
        due_mentoring = add_months(effective, 6) - timedelta(days=1)
        await move_to(env, due_mentoring - timedelta(days=3))
        assert any(k.startswith("mentoring/") for k in plan(services, plan_id).reminded)
        await move_to(env, due_mentoring + timedelta(days=2))
        assert plan(services, plan_id).overdue == ["mentoring"]

        # Mid-way adjustment: the team goal moves a month, with a reason.
        await handle.execute_update(
            DevelopmentPlanWorkflow.adjust,
            AdjustRequest(
                principal=SUPERVISOR,
                action="move",
                milestone_id="team_goal",
                due_month=8,
                reason="regional reorganisation in month 7",
            ),
        )
        assert plan(services, plan_id).milestone("team_goal").due_month == 8
        # HR drops the missed mentoring goal: there were no new hires to mentor.
        await handle.execute_update(
            DevelopmentPlanWorkflow.adjust,
            AdjustRequest(
                principal=HR, action="drop", milestone_id="mentoring", reason="no new hires"
            ),
        )
        await move_to(env, add_months(effective, 7) + timedelta(days=5))
        await handle.execute_update(
            DevelopmentPlanWorkflow.confirm,
            ConfirmRequest(principal=SUPERVISOR, milestone_id="team_goal", comment="set"),
        )
        # Month 12: team sales +16%.
        ingest(services, [("E1", month(effective, 12), "team_sales_growth", 16.0, "")])
        result = await handle.result()
        latest = await handle.describe()
        if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
            await record_runs(env, plan_id, first_run)

    assert result.overall == "completed"
    assert latest.run_id != first_run, "a twelve-month plan continues as new"
    events = plan_events(services, plan_id)
    kinds = names(events)
    assert kinds[0] == "Started" and kinds[-1] == "Closed"
    for expected in ("MilestoneConfirmed", "Reminded", "MilestoneOverdue", "Adjusted"):
        assert expected in kinds
    closed = events[-1]
    assert closed.outcome == "completed"  # type: ignore[attr-defined]
    texts = closed.summary.summary("en")  # type: ignore[attr-defined]
    assert "Sales Team Management" in texts
    moved = [e for e in events if names([e]) == ["Adjusted"]]
    assert [e.reason for e in moved] == [  # type: ignore[attr-defined]
        "regional reorganisation in month 7",
        "no new hires",
    ]
    reminder = next(e for e in events if names([e]) == ["Reminded"])
    assert reminder.milestone_id == "mentoring"  # type: ignore[attr-defined]

    # The read models: the employee's plan, the manager's team, HR's overview.
    read_models.wait_caught_up(services.store.applications(), timeout=60)
    employee = Principal(person_id="E1", role=AccessRole.employee)
    (mine,) = services.plan_queries.plans_of(employee, "E1")
    assert mine["plan_id"] == plan_id and mine["outcome"] == "completed"
    assert mine["overdue"] == []  # the dropped milestone no longer counts
    assert {m["id"] for m in mine["milestones"]} == {
        "courses",
        "team_meetings",
        "new_customers",
        "team_goal",
        "team_sales",
    }
    assert [p["plan_id"] for p in services.plan_queries.team(SUPERVISOR)] == [plan_id]
    assert services.plan_queries.overview(HR)["closed"] == {"completed": 1}
    with pytest.raises(NotFoundError):
        services.plan_queries.plans_of(Principal(person_id="E2", role=AccessRole.employee), "E1")
