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
    from words.messages import Message
    from workflows.notify import notify
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
        base = f"month/{start.employee_id}/{start.month}"
        ref = {"type": "month", "id": f"{start.employee_id}/{start.month}"}
        await notify(
            key=f"{base}/statement",
            recipient_id=start.employee_id,
            kind="month.statement",
            title=Message("Your {month} bonus statement", month=start.month),
            body=Message(
                "Bonus {bonus}; commission {commission}.",
                bonus=Message.money(outcome.bonus, outcome.currency),
                commission=Message.money(outcome.commission, outcome.currency),
            ),
            ref=ref,
        )
        for r in outcome.recommendations:
            reason = {"en": r["reason_en"], "zh": r["reason_zh"]}
            await notify(
                key=f"{base}/training/{r['rule_id']}",
                recipient_id=start.employee_id,
                kind="training.recommended",
                title=Message("Recommended course: {course}", course=r["course"]),
                body=Message("{text}", text=reason),
                ref=ref,
            )
            if r["alert_manager"] and outcome.manager_id:
                await notify(
                    key=f"{base}/training/{r['rule_id']}/manager",
                    recipient_id=outcome.manager_id,
                    kind="training.alert",
                    title=Message("{employee_id} needs support", employee_id=start.employee_id),
                    body=Message(
                        "{reason}: {course} was pushed to them.", reason=reason, course=r["course"]
                    ),
                    ref=ref,
                )
        return outcome
