"""One rep's month close: bonus, commission and training recommendations are computed
and recorded by one idempotent activity; the rep gets the statement and any course
recommendation, the manager an alert when a rule asks for one."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import CloseMonth
    from careerflow.services.cycles import MonthOutcome
    from workflows.notify import notify
    from workflows.steps import step


class StartMonthClose(BaseModel):
    employee_id: str
    month: str


def month_close_workflow_id(employee_id: str, month: str) -> str:
    return f"month-close-{employee_id}-{month}"


@workflow.defn(name="MonthClose")
class MonthCloseWorkflow:
    @workflow.run
    async def run(self, start: StartMonthClose) -> MonthOutcome:
        outcome: MonthOutcome = await step(
            "cycle_close_month",
            CloseMonth(
                employee_id=start.employee_id,
                month=start.month,
                workflow_id=workflow.info().workflow_id,
            ),
            MonthOutcome,
        )
        base = f"month/{start.employee_id}/{start.month}"
        ref = {"type": "month", "id": f"{start.employee_id}/{start.month}"}
        await notify(
            key=f"{base}/statement",
            recipient_id=start.employee_id,
            kind="month.statement",
            title={
                "en": f"Your {start.month} bonus statement",
                "zh": f"{start.month} 奖金与提成明细",
            },
            body={
                "en": f"Bonus {outcome.bonus:,.2f} {outcome.currency}; "
                f"commission {outcome.commission:,.2f} {outcome.currency}.",
                "zh": f"奖金 {outcome.bonus:,.2f} {outcome.currency}；"
                f"提成 {outcome.commission:,.2f} {outcome.currency}。",
            },
            ref=ref,
        )
        for r in outcome.recommendations:
            await notify(
                key=f"{base}/training/{r['rule_id']}",
                recipient_id=start.employee_id,
                kind="training.recommended",
                title={
                    "en": f"Recommended course: {r['course']}",
                    "zh": f"推荐课程：{r['course']}",
                },
                body={"en": r["reason_en"], "zh": r["reason_zh"]},
                ref=ref,
            )
            if r["alert_manager"] and outcome.manager_id:
                await notify(
                    key=f"{base}/training/{r['rule_id']}/manager",
                    recipient_id=outcome.manager_id,
                    kind="training.alert",
                    title={
                        "en": f"{start.employee_id} needs support",
                        "zh": f"{start.employee_id} 需要辅导",
                    },
                    body={
                        "en": f"{r['reason_en']}: {r['course']} was pushed to them.",
                        "zh": f"{r['reason_zh']}：已推送课程《{r['course']}》。",
                    },
                    ref=ref,
                )
        return outcome
