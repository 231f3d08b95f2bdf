"""What a rep's month close tells people, in order: the rep's statement, then per course
recommended the rep's notice and, when the rule asks, the manager's alert. Shared by the
one-rep `MonthClose` workflow (one `send` each) and `MonthCloseBatch` (all at once)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cycles import MonthOutcome
    from activities.notifications import SendNotification
    from words.messages import Message
    from workflows.notify import send_request


def month_notices(employee_id: str, month: str, outcome: MonthOutcome) -> list[SendNotification]:
    """Each notice as `notify.send` takes it."""
    base = f"month/{employee_id}/{month}"
    ref = {"type": "month", "id": f"{employee_id}/{month}"}
    notices = [
        send_request(
            key=f"{base}/statement",
            recipient_id=employee_id,
            kind="month.statement",
            title=Message("Your {month} bonus statement", month=month),
            body=Message(
                "Bonus {bonus}; commission {commission}.",
                bonus=Message.money(outcome.bonus, outcome.currency),
                commission=Message.money(outcome.commission, outcome.currency),
            ),
            ref=ref,
        )
    ]
    for r in outcome.recommendations:
        reason = {"en": r["reason_en"], "zh": r["reason_zh"]}
        notices.append(
            send_request(
                key=f"{base}/training/{r['rule_id']}",
                recipient_id=employee_id,
                kind="training.recommended",
                title=Message("Recommended course: {course}", course=r["course"]),
                body=Message("{text}", text=reason),
                ref=ref,
            )
        )
        if r["alert_manager"] and outcome.manager_id:
            notices.append(
                send_request(
                    key=f"{base}/training/{r['rule_id']}/manager",
                    recipient_id=outcome.manager_id,
                    kind="training.alert",
                    title=Message("{employee_id} needs support", employee_id=employee_id),
                    body=Message(
                        "{reason}: {course} was pushed to them.", reason=reason, course=r["course"]
                    ),
                    ref=ref,
                )
            )
    return notices
