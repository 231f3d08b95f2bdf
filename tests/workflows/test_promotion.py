"""The promotion process on the time-skipping test server, with the real event store:
SLA reminders and escalation on the working-day calendar, return → resubmit → approve,
withdraw, HR override, bad decisions, and an activity retried after its write."""

from __future__ import annotations

import concurrent.futures
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio import activity
from temporalio.activity import _Definition
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.calendar import working_day_deadlines
from activities.notifications import NotificationActivities
from activities.plans import PlanActivities
from activities.promotions import PromotionActivities, RecordDecision
from aggregates.development_plan import plan_uuid
from aggregates.employee import employee_uuid
from aggregates.ladder import Role
from aggregates.notification import notification_uuid
from aggregates.promotion import PromotionApplication, Stage, application_uuid
from aggregates.promotion_rules import CommandResult
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from careerflow.workdays import add_working_days
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics
from words.catalogue import stored_label, stored_text
from worker import INTERCEPTORS, WORKFLOW_RUNNER
from workflows.development_plan import DevelopmentPlanWorkflow, plan_workflow_id
from workflows.promotion import (
    HrReview,
    ManagerDecision,
    PromotionStatus,
    PromotionWorkflow,
    Resubmit,
    StartPromotion,
    Withdraw,
    promotion_workflow_id,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HR = Principal(person_id="H001", role=AccessRole.hr)
SUPERVISOR = Principal(person_id="S001", role=AccessRole.manager)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    # The projections run too: top-percent rules rank against the read model.
    with Engine(Store(pg)) as s, ReadModels(pg, application_env(pg)):
        build_org(s)
        yield s


def activity_name(fn: object) -> str:
    name = _Definition.must_from_callable(fn).name  # type: ignore[arg-type]
    assert name is not None
    return name


def run_worker(
    client: Client, services: Engine, queue: str, extra: list[object] | None = None
) -> Worker:
    notifications = NotificationActivities(services.notifications, services.people)
    activities = {
        activity_name(a): a
        for a in [
            *notifications.all(),
            *PromotionActivities(services.store.promotions).all(),
            *PlanActivities(services.store.plans).all(),
            working_day_deadlines,
        ]
    }
    for replacement in extra or []:
        activities[activity_name(replacement)] = replacement
    return Worker(
        client,
        task_queue=queue,
        workflows=[PromotionWorkflow, DevelopmentPlanWorkflow],
        activities=list(activities.values()),  # type: ignore[arg-type]
        activity_executor=concurrent.futures.ThreadPoolExecutor(8),
        workflow_runner=WORKFLOW_RUNNER,
        interceptors=INTERCEPTORS,
    )


HISTORIES = Path(__file__).with_name("histories")


async def keep_history(
    handle: WorkflowHandle[PromotionWorkflow, PromotionStatus], name: str
) -> None:
    """With CAREERFLOW_RECORD_HISTORIES=1, refreshes the committed history of this path
    (test_replay.py replays them against the current workflow code)."""
    if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
        history = await handle.fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"promotion_{name}.json").write_text(history.to_json())


async def end_plan(env: WorkflowEnvironment, services: Engine, status: PromotionStatus) -> None:
    """An approved promotion leaves its development plan running; stop it here, or its
    timers (with no worker left to serve them) would hold the test server's clock."""
    effective = application(services, status).effective_date
    assert effective is not None
    await env.client.get_workflow_handle(plan_workflow_id(status.employee_id, effective)).terminate(
        "test over"
    )


async def move_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


def next_dec_30(now: datetime) -> datetime:
    year = now.year if now < datetime(now.year, 12, 30, tzinfo=SHANGHAI) else now.year + 1
    return datetime(year, 12, 30, 10, 0, tzinfo=SHANGHAI)


async def start(
    env: WorkflowEnvironment, queue: str, employee: str, target: Role, by: Principal = HR
) -> WorkflowHandle[PromotionWorkflow, PromotionStatus]:
    return await env.client.start_workflow(
        PromotionWorkflow.run,
        StartPromotion(
            employee_id=employee, target_role=target, started_by=by, use_search_attributes=False
        ),
        id=f"{promotion_workflow_id(employee, target)}-{uuid.uuid4().hex[:6]}",
        task_queue=queue,
    )


async def until_stage(
    handle: WorkflowHandle[PromotionWorkflow, PromotionStatus], stage: Stage
) -> PromotionStatus:
    import asyncio

    for _ in range(200):
        status = await handle.query(PromotionWorkflow.status)
        if status.stage == stage:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"stage stayed {status.stage}, expected {stage}")


def application(services: Engine, status: PromotionStatus) -> PromotionApplication:
    found: PromotionApplication = services.store.promotions.repository.get(
        application_uuid(status.application_id)
    )
    return found


def event_names(services: Engine, status: PromotionStatus) -> list[str]:
    events = services.store.promotions.events.get(application_uuid(status.application_id))
    return [type(e).__qualname__.split(".")[-1] for e in events]


async def test_sla_reminder_and_escalation_skip_weekend_and_holiday_then_promote(
    env: WorkflowEnvironment, services: Engine
) -> None:
    began = next_dec_30(await env.get_current_time())
    await move_to(env, began)
    as_of = f"{began.year}-11"
    ingest(services, year_of_metrics("E1", as_of, {}, mentored=2))
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        handle = await start(env, queue, "E1", Role.sales_supervisor)
        status = await until_stage(handle, Stage.manager_review)
        remind_at = add_working_days(began, 2, "CN", "Asia/Shanghai")
        escalate_at = add_working_days(began, 3, "CN", "Asia/Shanghai")
        # Two working days from Wednesday 30 Dec cross 1 Jan and a weekend.
        assert (remind_at - began) >= timedelta(days=4)

        await move_to(env, remind_at - timedelta(hours=1))
        assert application(services, status).reminded == []
        await move_to(env, remind_at + timedelta(minutes=5))
        assert application(services, status).reminded == ["round-1/reminder"]
        await move_to(env, escalate_at + timedelta(minutes=5))
        assert application(services, status).reminded == [
            "round-1/reminder",
            "round-1/escalation",
        ]

        # Wrong people and wrong forms are refused before anything is written.
        stranger = Principal(person_id="E2", role=AccessRole.manager)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.decide, ManagerDecision(principal=stranger, approve=True)
            )
        assert "is not E1's manager (S001)" in str(info.value.cause)
        with pytest.raises(WorkflowUpdateFailedError, match="Workflow update failed") as info:
            await handle.execute_update(
                PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=False)
            )
        assert "rejection needs a comment" in str(info.value.cause)
        assert "ManagerDecided" not in event_names(services, status)

        done = await handle.execute_update(
            PromotionWorkflow.decide,
            ManagerDecision(
                principal=SUPERVISOR, approve=True, comment="approve; focus on management skills"
            ),
        )
        assert done.stage == Stage.hr_review  # every criterion met: HR confirms
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=True)
            )
        assert "not manager review" in str(info.value.cause)

        await handle.execute_update(
            PromotionWorkflow.hr_review, HrReview(principal=HR, action="confirm", text="ok")
        )
        await until_stage(handle, Stage.approved)
        result = await handle.result()  # time skips to the 1st of next month
        await keep_history(handle, "approved_after_escalation")
        await end_plan(env, services, await handle.query(PromotionWorkflow.status))
    assert result.stage == Stage.promoted
    employee = services.store.people.repository.get(employee_uuid("E1"))
    assert employee.role == Role.sales_supervisor
    assert event_names(services, status) == [
        "Started",
        "Submitted",
        "Reminded",
        "Reminded",
        "ManagerDecided",
        "HrConfirmed",
        "Announced",
        "Promoted",
    ]
    app = application(services, status)
    assert app.effective_date is not None and app.effective_date.day == 1
    # The hand-off: the development plan runs as its own workflow from the effective date.
    plan = services.store.plans.repository.get(
        plan_uuid(plan_workflow_id("E1", app.effective_date))
    )
    assert plan.employee_id == "E1" and plan.effective_date == app.effective_date
    inbox_kinds = {(n["recipient_id"], n["kind"]) for n in _notifications(services)}
    assert ("S001", "promotion.approval_waiting") in inbox_kinds
    assert ("S001", "promotion.reminder") in inbox_kinds
    assert ("M001", "promotion.escalation") in inbox_kinds
    assert ("HR", "promotion.escalation") in inbox_kinds
    assert ("E1", "promotion.announced") in inbox_kinds


def _notifications(services: Engine) -> list[dict[str, str]]:
    out = []
    for notification in services.store.notifications.recorder.select_notifications(
        start=1, limit=1000
    ):
        event = services.store.notifications.mapper.to_domain_event(notification)
        if type(event).__qualname__.endswith(".Created"):
            out.append({"recipient_id": event.recipient_id, "kind": event.kind})  # type: ignore[attr-defined]
    return out


async def test_return_resubmit_on_fresh_data_then_approve(
    env: WorkflowEnvironment, services: Engine
) -> None:
    now = await env.get_current_time()
    as_of = f"{now.year:04d}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
    ingest(services, year_of_metrics("E2", as_of, {"repurchase_rate": 55.0}, mentored=1))
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        handle = await start(
            env,
            queue,
            "E2",
            Role.sales_supervisor,
            by=Principal(person_id="E2", role=AccessRole.employee),
        )
        status = await until_stage(handle, Stage.manager_review)
        await handle.execute_update(
            PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=True)
        )
        status = await until_stage(handle, Stage.returned)
        app = application(services, status)
        assert app.stage == Stage.returned
        # Someone else cannot resubmit for E2.
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.resubmit,
                Resubmit(principal=Principal(person_id="E3", role=AccessRole.employee)),
            )
        assert "only the applicant or HR" in str(info.value.cause)
        # Fresh data: the missing mentoring and better repurchase.
        ingest(services, year_of_metrics("E2", as_of, {}, mentored=2))
        await handle.execute_update(
            PromotionWorkflow.resubmit,
            Resubmit(principal=Principal(person_id="E2", role=AccessRole.employee)),
        )
        status = await until_stage(handle, Stage.manager_review)
        assert status.round == 2
        await handle.execute_update(
            PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=True)
        )
        await until_stage(handle, Stage.hr_review)
        await handle.execute_update(
            PromotionWorkflow.hr_review, HrReview(principal=HR, action="confirm")
        )
        result = await handle.result()
        await keep_history(handle, "returned_resubmitted_approved")
        await end_plan(env, services, await handle.query(PromotionWorkflow.status))
    assert result.stage == Stage.promoted
    names = event_names(services, status)
    assert names[:6] == [
        "Started",
        "Submitted",
        "ManagerDecided",
        "Returned",
        "Submitted",
        "ManagerDecided",
    ]
    events = list(services.store.promotions.events.get(application_uuid(status.application_id)))
    returned = next(e for e in events if type(e).__qualname__.endswith("Returned"))
    unmet = {r.id: r for r in returned.unmet}  # type: ignore[attr-defined]
    assert set(unmet) == {"repurchase", "mentored"}
    assert str(unmet["mentored"].message()) == "mentored 1 of 2 ✗"
    assert unmet["repurchase"].suggestion is not None
    # The applicant was told why, in each language, from the catalogue.
    told = services.notifications.get(
        notification_uuid(f"promotion/{status.application_id}/round-1/returned")
    )
    assert stored_text(told.body, "en").startswith("Not yet met: ")
    assert "mentored 1 of 2 (needs ≥ 2) ✗" in stored_text(told.body, "en")
    assert stored_text(told.body, "zh").startswith("尚未达到：")
    assert "带教新人 1/2（要求 ≥ 2） ✗" in stored_text(told.body, "zh")
    assert stored_label(told.title) == {
        "en": "Your application was returned",
        "zh": "你的晋升申请已退回",
    }
    resubmitted = [e for e in events if type(e).__qualname__.endswith("Submitted")][1]
    assert resubmitted.meta.actor == "E2"  # type: ignore[attr-defined]


async def test_withdraw_and_deciding_a_withdrawn_application(
    env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        handle = await start(env, queue, "E3", Role.senior_sales_rep)
        status = await until_stage(handle, Stage.manager_review)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.withdraw,
                Withdraw(principal=Principal(person_id="E1", role=AccessRole.employee)),
            )
        assert "only the applicant or HR" in str(info.value.cause)
        await handle.execute_update(
            PromotionWorkflow.withdraw,
            Withdraw(
                principal=Principal(person_id="E3", role=AccessRole.employee), reason="next year"
            ),
        )
        result = await handle.result()
        assert result.stage == Stage.withdrawn
        await keep_history(handle, "withdrawn")
        with pytest.raises(Exception, match=r"completed|withdrawn|not found"):
            await handle.execute_update(
                PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=True)
            )
    assert event_names(services, status) == ["Started", "Submitted", "Withdrawn"]


async def test_hr_override_promotes_despite_unmet_criteria_with_a_reason(
    env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        handle = await start(env, queue, "E2", Role.sales_supervisor)  # no metrics at all
        await until_stage(handle, Stage.manager_review)
        await handle.execute_update(
            PromotionWorkflow.decide, ManagerDecision(principal=SUPERVISOR, approve=True)
        )
        status = await until_stage(handle, Stage.returned)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.hr_review, HrReview(principal=HR, action="override")
            )
        assert "needs a reason" in str(info.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as info:
            await handle.execute_update(
                PromotionWorkflow.hr_review,
                HrReview(principal=SUPERVISOR, action="override", text="trust me"),
            )
        assert "only HR" in str(info.value.cause)
        await handle.execute_update(
            PromotionWorkflow.hr_review,
            HrReview(principal=HR, action="override", text="interim lead for the new region"),
        )
        result = await handle.result()
        await keep_history(handle, "hr_override")
        await end_plan(env, services, await handle.query(PromotionWorkflow.status))
    assert result.stage == Stage.promoted
    events = list(services.store.promotions.events.get(application_uuid(status.application_id)))
    override = next(e for e in events if type(e).__qualname__.endswith("HrOverridden"))
    assert override.reason == "interim lead for the new region"  # type: ignore[attr-defined]
    assert override.meta.actor == "H001"  # type: ignore[attr-defined]


async def test_a_decision_activity_retried_after_its_write_records_one_event(
    env: WorkflowEnvironment, services: Engine
) -> None:
    real = PromotionActivities(services.store.promotions)
    crashed: list[int] = []

    @activity.defn(name="promotion_record_decision")
    def crash_after_write(request: RecordDecision) -> CommandResult:
        result = real.record_decision(request)
        if not crashed:
            crashed.append(activity.info().attempt)
            raise RuntimeError("worker lost after the event was written")
        return result

    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue, extra=[crash_after_write]):
        handle = await start(env, queue, "E3", Role.senior_sales_rep)
        status = await until_stage(handle, Stage.manager_review)
        await handle.execute_update(
            PromotionWorkflow.decide,
            ManagerDecision(principal=SUPERVISOR, approve=False, comment="not yet"),
        )
        result = await handle.result()
        await keep_history(handle, "rejected_after_activity_retry")
    assert crashed == [1]
    assert result.stage == Stage.rejected
    # The manager's words reach the applicant apart from the sentence: data, as typed.
    told = services.notifications.get(
        notification_uuid(f"promotion/{status.application_id}/rejected")
    )
    assert told.body == {"template": "{text}", "params": {"text": {"$quote": "not yet"}}}
    assert stored_text(told.body, "zh") == "not yet"
    assert event_names(services, status) == ["Started", "Submitted", "ManagerDecided"]
