"""The development plans' commands on the event store (run by activities.plans): each
method is one idempotent command, safe to run again after a crash."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from aggregates.base import DomainError, EventMeta, NotFoundError
from aggregates.development_plan import DevelopmentPlan, plan_uuid
from aggregates.documents import MetricCatalog, parse_document
from aggregates.employee import Employee
from aggregates.ladder import Role
from aggregates.metric_ledger import MetricLedger
from aggregates.plan_progress import PlanProgress, due_for_reminder, evaluate_plan
from aggregates.plan_template import Milestone, PlanTemplate, plan_month_bounds
from aggregates.plan_values import PlanInfo, PlanOutcome, PlanReminder, plan_steerer_refusal
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal, workflow_step
from words.catalogue import in_every_language
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies


def no_ledger(employee_id: str) -> MetricLedger | None:
    """The default read: no metrics recorded."""
    return None


def plan_end(effective_date: date, months: int) -> date:
    return plan_month_bounds(effective_date, months)[1]


def require_plan_starter(principal: Principal, *, by_hand: bool = True) -> None:
    """HR starts development plans by hand; the engine too, after a promotion."""
    roles = (AccessRole.hr,) if by_hand else (AccessRole.hr, AccessRole.system)
    principal.require(*roles, action=Message("start development plans"))


class Plans(PydanticApplication):
    """Development plans, one aggregate each.

    Collaborators: `employee` reads an employee (the people application's), `policies`
    gives the documents in force (plan templates, the metric catalogue, the company's time
    zone), `ledger` an employee's metric ledger."""

    name = "plans"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
    ) -> None:
        super().__init__(env=env)
        self.wire(employee=employee, policies=policies, ledger=ledger)

    def wire(
        self,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before their collaborators exist (careerflow.wiring)."""
        self._employee = employee
        self._policies = policies
        self.ledger: Callable[[str], MetricLedger | None] = ledger or no_ledger

    # -- collaborators ---------------------------------------------------------------
    def employee(self, employee_id: str) -> Employee:
        assert self._employee is not None, "Plans needs employee= to read employees"
        return self._employee(employee_id)

    @property
    def policies(self) -> Policies:
        assert self._policies is not None, "Plans needs policies= to read the policies"
        return self._policies

    def catalog(self) -> MetricCatalog:
        doc = parse_document(self.policies.current("metric_catalog", "default").document)
        assert isinstance(doc, MetricCatalog)
        return doc

    # -- helpers ---------------------------------------------------------------------
    def get(self, plan_id: str) -> DevelopmentPlan:
        plan: DevelopmentPlan | None = self.find(plan_uuid(plan_id))
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
        current = self.policies.current("plan_template", role.value)
        return PlanTemplate.model_validate(current.document), current.version

    def progress(self, plan: DevelopmentPlan, today: date) -> PlanProgress:
        ledger = self.ledger(plan.employee_id)
        return evaluate_plan(
            plan.milestones,
            ledger.measurements() if ledger else [],
            plan.effective_date,
            today,
            plan.confirmed,
            catalog=self.catalog(),
            labels=in_every_language,
        )

    def local_date(self, moment: datetime) -> date:
        """The company's calendar date at `moment` (milestones fall due on local days)."""
        zone = self.policies.promotion_process()[0].time_zone
        return moment.astimezone(ZoneInfo(zone)).date()

    # -- commands --------------------------------------------------------------------
    def open_plan(
        self,
        principal: Principal,
        plan_id: str,
        employee_id: str,
        role: Role,
        effective_date: date,
        workflow_id: str,
        source_application_id: str | None,
    ) -> PlanInfo:
        existing: DevelopmentPlan | None = self.find(plan_uuid(plan_id))
        if existing is not None:
            return self.info(existing)
        require_plan_starter(principal, by_hand=False)
        employee = self.employee(employee_id)
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
        self.save(plan)
        return self.info(plan)

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
            self.save(plan)
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

    @staticmethod
    def check_manager(plan: DevelopmentPlan, principal: Principal) -> None:
        if refusal := plan_steerer_refusal(
            principal.role.value, principal.person_id, plan.employee_id, plan.manager_id
        ):
            raise DomainError(refusal)

    def confirm(
        self, plan_id: str, principal: Principal, milestone_id: str, comment: str
    ) -> PlanInfo:
        plan = self.get(plan_id)
        self.check_manager(plan, principal)
        with self._context(principal, plan.workflow_id, f"confirm/{milestone_id}"):
            if plan.confirm(milestone_id, principal.person_id, comment):
                self.save(plan)
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
                self.save(plan)
        return self.info(plan)

    def close_plan(self, plan_id: str, today: date) -> PlanOutcome:
        plan = self.get(plan_id)
        progress = self.progress(plan, today)
        outcome: Literal["completed", "closed"] = (
            "completed" if progress.overall == "completed" else "closed"
        )
        with self._context(None, plan.workflow_id, "close"):
            if plan.close(outcome, progress):
                self.save(plan)
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
