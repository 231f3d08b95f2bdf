"""One rep's month close: bonus, commission and training recommendations are computed
and recorded by one idempotent (local) activity; the rep gets the statement and any course
recommendation, the manager an alert when a rule asks for one."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import (
        MONTH_CLOSE,
        CloseMonth,
        CycleActivities,
        MonthOutcome,
        StartMonthClose,
    )
    from workflows.month_notices import month_notices
    from workflows.notify import send
    from workflows.steps import run, run_local

# Patch id: the close as a local activity (a short idempotent command: a closed month is
# answered as it is), no history round trip; histories from before ran a regular one.
PATCH_CLOSE_LOCAL = "month-close-local"


@workflow.defn(name=MONTH_CLOSE)
class MonthCloseWorkflow:
    @workflow.run
    async def run(self, start: StartMonthClose) -> MonthOutcome:
        close = CloseMonth(
            employee_id=start.employee_id,
            month=start.month,
            workflow_id=workflow.info().workflow_id,
        )
        if workflow.patched(PATCH_CLOSE_LOCAL):
            outcome: MonthOutcome = await run_local(CycleActivities.close_month, close)
        else:
            outcome = await run(CycleActivities.close_month, close)
        for notice in month_notices(start.employee_id, start.month, outcome):
            await send(notice)
        return outcome
