"""The development plan's plain values and who may steer it: the plan commands' results
(PlanInfo, PlanReminder, PlanOutcome: the plan workflow's contract, re-exported by
activities.plans) and the refusal that the Plans application and the plan workflow's
update validators both say, decided here once. Pure (pydantic and words only), so the
workflow uses them without importing the event-sourced aggregate: the application raises
DomainError(refusal), a validator raises refused(refusal)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from words.messages import Message


class PlanInfo(BaseModel):
    plan_id: str
    employee_id: str
    manager_id: str | None
    effective_date: date
    end_date: date
    milestones: list[str]
    confirmable: list[str]


class PlanReminder(BaseModel):
    milestone_id: str
    key: str
    text: dict[str, str]


class PlanOutcome(BaseModel):
    overall: str
    finished: bool
    reminders: list[PlanReminder]
    newly_overdue: list[PlanReminder]
    manager_id: str | None
    employee_id: str


def plan_steerer_refusal(
    role: str, person_id: str, employee_id: str, manager_id: str | None
) -> Message | None:
    """HR or the employee's manager confirms milestones and adjusts the plan (`role` is
    the principal's access role)."""
    if role == "hr" or (role == "manager" and person_id == manager_id):
        return None
    return Message(
        "{role} {person_id} is not {employee_id}'s manager "
        "({manager_id}); only the manager or HR may do this",
        role=role,
        person_id=person_id,
        employee_id=employee_id,
        manager_id=manager_id,
    )
