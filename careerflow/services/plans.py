"""Development-plan commands on the event store (run by the plan workflow's
activities). Each is idempotent."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

# The workflow's contract lives beside its activities (importers here keep working).
from activities.plans import PlanInfo, PlanOutcome, PlanReminder
from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.development_plan import DevelopmentPlan, plan_uuid
from aggregates.ladder import Role
from aggregates.plan_progress import PlanProgress, due_for_reminder, evaluate_plan
from aggregates.plan_template import Milestone, PlanTemplate, plan_month_bounds
from careerflow.messages import Message
from careerflow.principal import AccessRole, Principal, workflow_step
from words.catalogue import in_every_language

if TYPE_CHECKING:
    from careerflow.services.registry import Services


def plan_end(effective_date: date, months: int) -> date:
    return plan_month_bounds(effective_date, months)[1]


class PlanCommands:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.app = services.store.plans

    def get(self, plan_id: str) -> DevelopmentPlan:
        plan: DevelopmentPlan | None = self.app.find(plan_uuid(plan_id))
        if plan is None:
            raise NotFoundError("no development plan {plan_id!r}", plan_id=plan_id)
        return plan

    def info(self, plan: DevelopmentPlan) -> PlanInfo:
        return PlanInfo(
            plan_id=plan.plan_id,
            employee_id=plan.employee_id,
            manager_id=plan.manager_id,
            effective_date=plan.effective_date,
            end_date=plan_end(plan.effective_date, plan.months),
            milestones=[m.id for m in plan.milestones],
            confirmable=[m.id for m in plan.milestones if m.kind == "confirmed"],
        )

    def template(self, role: Role) -> tuple[PlanTemplate, int]:
        current = self.s.policies.current("plan_template", role.value)
        return PlanTemplate.model_validate(current.document), current.version

    def open(
        self,
        principal: Principal,
        plan_id: str,
        employee_id: str,
        role: Role,
        effective_date: date,
        workflow_id: str,
        source_application_id: str | None,
    ) -> PlanInfo:
        existing: DevelopmentPlan | None = self.app.find(plan_uuid(plan_id))
        if existing is not None:
            return self.info(existing)
        principal.require(
            AccessRole.hr, AccessRole.system, action=Message("start development plans")
        )
        employee = self.s.people.get(employee_id)
        template, version = self.template(role)
        with self._context(principal, workflow_id, "open"):
            plan = DevelopmentPlan(
                plan_id=plan_id,
                employee_id=employee_id,
                role=role,
                manager_id=employee.manager_id,
                effective_date=effective_date,
                months=template.months,
                template_version=version,
                milestones=template.milestones,
                workflow_id=workflow_id,
                source_application_id=source_application_id,
            )
        self.app.save(plan)
        return self.info(plan)

    def progress(self, plan: DevelopmentPlan, today: date) -> PlanProgress:
        ledger = self.s.ingest.ledger(plan.employee_id)
        return evaluate_plan(
            plan.milestones,
            ledger.measurements() if ledger else [],
            plan.effective_date,
            today,
            plan.confirmed,
            catalog=self.s.catalog(),
            labels=in_every_language,
        )

    def local_date(self, moment: datetime) -> date:
        """The company's calendar date at `moment` (milestones fall due on local days)."""
        zone = self.s.policies.promotion_process()[0].time_zone
        return moment.astimezone(ZoneInfo(zone)).date()

    def evaluate(self, plan_id: str, today: date) -> PlanOutcome:
        """Records changed progress, reminders due and newly overdue milestones; the
        workflow sends the notifications this returns."""
        plan = self.get(plan_id)
        progress = self.progress(plan, today)
        reminders: list[PlanReminder] = []
        overdue: list[PlanReminder] = []
        with self._context(None, plan.workflow_id, f"evaluate/{today.isoformat()}"):
            plan.record_progress(today, progress)
            for m in progress.milestones:
                if m.status == "overdue" and plan.mark_overdue(m.id):
                    overdue.append(
                        PlanReminder(milestone_id=m.id, key=f"{m.id}/overdue", text=m.text)
                    )
            for m in due_for_reminder(progress, plan.milestones, today):
                key = f"{m.id}/due-{m.due_date.isoformat()}/reminder"
                milestone = plan.milestone(m.id)
                if plan.remind(key, m.id):
                    reminders.append(
                        PlanReminder(milestone_id=m.id, key=key, text=dict(milestone.reminder))
                    )
        if plan.pending_events:
            self.app.save(plan)
        finished = progress.overall == "completed" or today > plan_end(
            plan.effective_date, plan.months
        )
        return PlanOutcome(
            overall=progress.overall,
            finished=finished,
            reminders=reminders,
            newly_overdue=overdue,
            manager_id=plan.manager_id,
            employee_id=plan.employee_id,
        )

    def check_manager(self, plan: DevelopmentPlan, principal: Principal) -> None:
        if principal.role == AccessRole.hr:
            return
        if principal.role == AccessRole.manager and principal.person_id == plan.manager_id:
            return
        raise DomainError(
            "{role} {person_id} is not {employee_id}'s manager "
            "({manager_id}); only the manager or HR may do this",
            role=principal.role.value,
            person_id=principal.person_id,
            employee_id=plan.employee_id,
            manager_id=plan.manager_id,
        )

    def confirm(
        self, plan_id: str, principal: Principal, milestone_id: str, comment: str
    ) -> PlanInfo:
        plan = self.get(plan_id)
        self.check_manager(plan, principal)
        with self._context(principal, plan.workflow_id, f"confirm/{milestone_id}"):
            if plan.confirm(milestone_id, principal.person_id, comment):
                self.app.save(plan)
        return self.info(plan)

    def adjust(
        self,
        plan_id: str,
        principal: Principal,
        key: str,
        action: Literal["add", "move", "drop"],
        milestone_id: str,
        milestone: Milestone | None,
        due_month: int | None,
        reason: str,
    ) -> PlanInfo:
        plan = self.get(plan_id)
        self.check_manager(plan, principal)
        with self._context(principal, plan.workflow_id, f"adjust/{key}", reason=reason):
            if plan.adjust(
                key, action, milestone_id, milestone, due_month, reason, principal.person_id
            ):
                self.app.save(plan)
        return self.info(plan)

    def close(self, plan_id: str, today: date) -> PlanOutcome:
        plan = self.get(plan_id)
        progress = self.progress(plan, today)
        outcome: Literal["completed", "closed"] = (
            "completed" if progress.overall == "completed" else "closed"
        )
        with self._context(None, plan.workflow_id, "close"):
            if plan.close(outcome, progress):
                self.app.save(plan)
        return PlanOutcome(
            overall=progress.overall,
            finished=True,
            reminders=[],
            newly_overdue=[],
            manager_id=plan.manager_id,
            employee_id=plan.employee_id,
        )

    @staticmethod
    def _context(
        principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        return workflow_step(principal, workflow_id, step, reason)
