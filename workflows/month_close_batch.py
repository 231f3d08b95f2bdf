"""The month closes of one launch batch in one workflow: one activity closes every rep's
month (bonus, commission, training; each close idempotent, a closed month answered as it
is), one creates every notice (`month_notices`, as a one-rep close sends them), and the
notices with channels left are delivered. One workflow start per 50 reps instead of one
per rep, as for the weeks (`workflows.weekly_cycle_batch`). A rep whose close is refused
is named in the outcome (`failed`); the others' closes go on."""

from __future__ import annotations

import asyncio

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import (
        MONTH_CLOSE_BATCH,
        CloseMonths,
        CycleActivities,
        MonthBatchOutcome,
        StartMonthCloseBatch,
    )
    from activities.notifications import NotificationActivities, SendNotifications
    from workflows.month_notices import month_notices
    from workflows.notify import deliver
    from workflows.steps import run


@workflow.defn(name=MONTH_CLOSE_BATCH)
class MonthCloseBatchWorkflow:
    @workflow.run
    async def run(self, start: StartMonthCloseBatch) -> MonthBatchOutcome:
        done = await run(
            CycleActivities.close_months,
            CloseMonths(
                month=start.month,
                employee_ids=start.employee_ids,
                workflow_id=workflow.info().workflow_id,
            ),
        )
        outcome = MonthBatchOutcome(month=start.month, outcomes={})
        for employee_id, closed in zip(start.employee_ids, done, strict=True):
            if closed.outcome is None:
                workflow.logger.error("the close of %s failed: %s", employee_id, closed.refused)
                outcome.failed[employee_id] = closed.refused or ""
            else:
                outcome.outcomes[employee_id] = closed.outcome
        requests = [
            notice
            for employee_id, closed in outcome.outcomes.items()
            for notice in month_notices(employee_id, start.month, closed)
        ]
        if not requests:
            return outcome
        created = await run(
            NotificationActivities.create_many, SendNotifications(notifications=requests)
        )
        for request, made in zip(requests, created, strict=True):
            if made.refused is not None:
                workflow.logger.error("notice %s was not created: %s", request.key, made.refused)
        await asyncio.gather(
            *(deliver(r, made) for r, made in zip(requests, created, strict=True) if made.pending)
        )
        return outcome
