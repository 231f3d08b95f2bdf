"""The Temporal worker: workflows orchestrate, activities act on the event store.
Any number of workers may run against one task queue."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.assessments import AssessmentActivities
from activities.audit import AuditActivities
from activities.calendar import working_day_deadlines
from activities.cycles import CycleActivities
from activities.heartbeat import HeartbeatInterceptor
from activities.metrics import MetricActivities
from activities.notifications import NotificationActivities
from activities.plans import PlanActivities
from activities.promotions import PromotionActivities
from activities.support import SupportActivities
from careerflow import compiled_once
from careerflow.audit.integrity import count_events, verify_store
from careerflow.config import Settings
from careerflow.delivery import SmtpSettings, WebhookSettings
from careerflow.engine import Engine, connect
from careerflow.heap import freeze_startup_heap
from careerflow.services.calendar import warn_gaps
from workflows.assessment_round import AssessmentRoundWorkflow
from workflows.audit_verify import AuditVerifyWorkflow
from workflows.cycle_launcher import CycleLauncherWorkflow
from workflows.development_plan import DevelopmentPlanWorkflow
from workflows.metric_import import MetricImportWorkflow
from workflows.month_close import MonthCloseWorkflow
from workflows.month_close_batch import MonthCloseBatchWorkflow
from workflows.promotion import PromotionWorkflow
from workflows.support_request import SupportRequestWorkflow
from workflows.weekly_cycle import WeeklyCycleWorkflow
from workflows.weekly_cycle_batch import WeeklyCycleBatchWorkflow

log = logging.getLogger("careerflow.worker")

WORKFLOWS: list[type] = [
    MetricImportWorkflow,
    PromotionWorkflow,
    DevelopmentPlanWorkflow,
    WeeklyCycleWorkflow,
    WeeklyCycleBatchWorkflow,
    MonthCloseWorkflow,
    MonthCloseBatchWorkflow,
    CycleLauncherWorkflow,
    AssessmentRoundWorkflow,
    SupportRequestWorkflow,
    AuditVerifyWorkflow,
]

# Pydantic models cross into workflow code constantly; passing the library through keeps
# the sandbox from re-importing it for every workflow run.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("pydantic")
)
# The sandbox imports a workflow's module again for every run: compiled once per process,
# even where no bytecode may be written (careerflow/compiled_once.py).
compiled_once.install(os.path.dirname(os.path.abspath(__file__)))

# A verification reports its progress every this many events of an application.
VERIFY_BATCH = 1000

# Every worker heartbeats its running activities (a killed worker's work resumes in seconds).
INTERCEPTORS = [HeartbeatInterceptor()]


def build_worker(
    client: Client,
    engine: Engine,
    task_queue: str,
    executor: concurrent.futures.Executor,
    smtp: SmtpSettings | None = None,
    webhook: WebhookSettings | None = None,
) -> Worker:
    # Each activity class gets the application(s) it acts on, never the whole engine.
    metric_activities = MetricActivities(engine.ingest, engine.catalog, engine.open_plans_of)
    notifications = NotificationActivities(engine.notifications, engine.people, smtp, webhook)
    audit = AuditActivities(
        lambda principal, progress: verify_store(
            engine.store, engine.history, principal, progress=progress, batch=VERIFY_BATCH
        ).model_dump(mode="json"),
        lambda: count_events(engine.store),
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[
            metric_activities.ingest_metrics,
            metric_activities.open_plans_of,
            *notifications.all(),
            *PromotionActivities(engine.store.promotions).all(),
            *PlanActivities(engine.store.plans).all(),
            *CycleActivities(engine.store.cycles, client, task_queue).all(),
            *AssessmentActivities(engine.store.assessments).all(),
            *SupportActivities(engine.store.support).all(),
            working_day_deadlines,
            audit.verify_event_store,
        ],
        activity_executor=executor,
        workflow_runner=WORKFLOW_RUNNER,
        interceptors=INTERCEPTORS,
    )


async def ensure_cycle_schedules(client: Client, services: Engine, task_queue: str) -> None:
    """The weekly-cycle and month-close schedules exist and follow the calendar document.
    A worker must not fail to start over this (e.g. before the policies are seeded)."""
    from careerflow.principal import SYSTEM

    try:
        for state in await services.cycle_process(client, task_queue).ensure_schedules(SYSTEM):
            log.info(
                "schedule %s next runs %s (%s)",
                state.schedule_id,
                [t.isoformat() for t in state.next_runs[:2]],
                state.time_zone,
            )
    except Exception:
        log.exception("could not ensure the cycle schedules; `careerflow cycle schedules` can")


async def main(settings: Settings) -> None:
    client = await connect(settings)
    with (
        Engine.open(settings) as services,
        concurrent.futures.ThreadPoolExecutor(max_workers=16) as executor,
    ):
        worker = build_worker(
            client,
            services,
            settings.temporal.task_queue,
            executor,
            SmtpSettings.from_env(),
            WebhookSettings.from_env(),
        )
        if settings.ensure_schedules:
            await ensure_cycle_schedules(client, services, settings.temporal.task_queue)
        # A year the holiday calendars do not cover is said, never guessed in silence.
        warn_gaps(services.policies, log, datetime.now(UTC))
        freeze_startup_heap()  # everything is imported and built: keep full collections short
        log.info(
            "worker polling task queue %r at %s",
            settings.temporal.task_queue,
            settings.temporal.address,
        )
        await worker.run()


if __name__ == "__main__":
    from careerflow.runtime import load_settings

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(load_settings()))
