"""The promotion process's commands on the event store (run by activities.promotions):
each method is one idempotent command, safe to run again after a crash."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aggregates.assessment import PolicySet, VersionedCriteria, assess
from aggregates.base import DomainError, NotFoundError, command_context
from aggregates.calendar_periods import month_of, months_back, shift_month
from aggregates.criteria import CriterionResult
from aggregates.documents import MetricCatalog, PotentialWeights, PromotionCriteria
from aggregates.employee import Employee
from aggregates.kpi_weights import KpiWeights
from aggregates.ladder import ROLE_LABELS, Role, is_next_rung, next_role
from aggregates.metric_ledger import MetricLedger
from aggregates.not_found import unpublished_policy
from aggregates.plan_template import add_months
from aggregates.promotion import (
    ApplicationReport,
    MetricRef,
    PromotionApplication,
    application_uuid,
)
from aggregates.promotion_rules import CommandResult, ReportSummary
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal, workflow_step
from words.catalogue import in_every_language
from words.messages import Message, role_word

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies

RolePercentiles = Callable[[str, Role, list[str], str, str], dict[str, float]]
"""(metric, role, months, direction, employee_id) -> month -> the employee's percentile
among the active peers of the role (from the read side's monthly ranking)."""


def no_ranks(
    metric: str, role: Role, months: list[str], direction: str, employee_id: str
) -> dict[str, float]:
    """The default read: no organisation to rank against (a standalone application)."""
    return {}


def no_ledger(employee_id: str) -> MetricLedger | None:
    """The default read: no metrics recorded."""
    return None


def check_can_apply(principal: Principal, employee: Employee, target: Role) -> None:
    if principal.role not in (AccessRole.hr, AccessRole.system) and not (
        principal.role in (AccessRole.employee, AccessRole.manager)
        and principal.person_id == employee.employee_id
    ):
        raise DomainError(
            "{role} {person_id} may not start an application for {employee_id}: "
            "HR starts applications for anyone, employees for themselves",
            role=role_word(principal.role.value),
            person_id=principal.person_id,
            employee_id=employee.employee_id,
        )
    if not employee.active:
        raise DomainError("{employee_id} has left the company", employee_id=employee.employee_id)
    if not is_next_rung(employee.role, target):
        rung = next_role(employee.role)
        hint = (
            Message("the next rung is {rung}", rung=ROLE_LABELS[rung])
            if rung
            else Message("they are on the top rung")
        )
        raise DomainError(
            "{employee_id} is a {role}; {target} is not the next rung ({hint})",
            employee_id=employee.employee_id,
            role=ROLE_LABELS[Role(employee.role)],  # the rungs by name, in each language
            target=ROLE_LABELS[Role(target)],
            hint=hint,
        )


def effective_date_after(day: date) -> date:
    """Promotions take effect on the 1st of the next month."""
    return add_months(day.replace(day=1), 1)


class Promotions(PydanticApplication):
    """Promotion applications, one aggregate each.

    Collaborators: `employee` reads an employee (the people application's), `save_employee`
    records their role change on the effective date, `policies` gives the documents in force,
    `ledger` an employee's metric ledger, `role_percentiles` ranks from the read side."""

    name = "promotions"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        employee: Callable[[str], Employee] | None = None,
        save_employee: Callable[[Employee], object] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
        role_percentiles: RolePercentiles = no_ranks,
    ) -> None:
        super().__init__(env=env)
        self.wire(
            employee=employee,
            save_employee=save_employee,
            policies=policies,
            ledger=ledger,
            role_percentiles=role_percentiles,
        )

    def wire(
        self,
        *,
        employee: Callable[[str], Employee] | None = None,
        save_employee: Callable[[Employee], object] | None = None,
        policies: Policies | None = None,
        ledger: Callable[[str], MetricLedger | None] | None = None,
        role_percentiles: RolePercentiles = no_ranks,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before their collaborators exist (careerflow.wiring)."""
        self._employee = employee
        self._save_employee = save_employee
        self._policies = policies
        self.ledger: Callable[[str], MetricLedger | None] = ledger or no_ledger
        self.role_percentiles = role_percentiles
        self._policy_sets: dict[tuple[Any, ...], PolicySet] = {}

    # -- collaborators ---------------------------------------------------------------------
    def employee(self, employee_id: str) -> Employee:
        assert self._employee is not None, "Promotions needs employee= to read employees"
        return self._employee(employee_id)

    @property
    def policies(self) -> Policies:
        assert self._policies is not None, "Promotions needs policies= to read the policies"
        return self._policies

    # -- helpers ---------------------------------------------------------------------------
    def get(self, application_id: str) -> PromotionApplication:
        found: PromotionApplication | None = self.find(application_uuid(application_id))
        if found is None:
            raise NotFoundError(
                "no promotion application {application_id!r}", application_id=application_id
            )
        return found

    def _save(self, application: PromotionApplication, changed: bool) -> CommandResult:
        recordings = self.save(application) if changed else []
        return CommandResult(
            application_id=application.application_id,
            stage=application.stage,
            changed=changed,
            notification_id=recordings[-1].notification.id if recordings else None,
        )

    def policy_set(self, target: Role) -> PolicySet:
        """The documents in force: one query for their versions, then parsed documents
        (and the set itself) kept per version, since a published version never changes."""
        (catalog, catalog_v), (weights, weights_v), (criteria, criteria_v), (kpis, kpis_v) = (
            self.policies.in_force_each(
                [
                    (MetricCatalog, "default"),
                    (PotentialWeights, "default"),
                    (PromotionCriteria, target.value),
                    (KpiWeights, "default"),
                ]
            )
        )
        if catalog is None:
            raise unpublished_policy("metric_catalog", "default")
        if weights is None:
            raise unpublished_policy("potential_weights", "default")
        if criteria is None:
            raise unpublished_policy("promotion_criteria", target.value)
        assert isinstance(catalog, MetricCatalog) and catalog_v is not None
        assert isinstance(weights, PotentialWeights) and weights_v is not None
        assert isinstance(criteria, PromotionCriteria) and criteria_v is not None
        assert kpis is None or isinstance(kpis, KpiWeights)
        key = (target, catalog_v, weights_v, criteria_v, kpis_v)
        kept = self._policy_sets.get(key)
        if kept is None:
            kept = self._policy_sets[key] = PolicySet(
                catalog=catalog,
                catalog_version=catalog_v,
                weights=weights,
                weights_version=weights_v,
                kpis=kpis,
                kpis_version=kpis_v,
                criteria={target: VersionedCriteria(version=criteria_v, document=criteria)},
            )
        return kept

    # -- commands --------------------------------------------------------------------------
    def _new_application(
        self,
        principal: Principal,
        application_id: str,
        employee: Employee,
        target: Role,
        workflow_id: str,
    ) -> PromotionApplication:
        """A new application (not saved) for `employee`, once the rules allow `principal`
        to start it."""
        check_can_apply(principal, employee, target)
        with command_context(
            actor=principal.person_id,
            role=principal.role.value,
            command_id=f"{workflow_id}/open",
            workflow_id=workflow_id,
        ):
            return PromotionApplication(
                application_id=application_id,
                employee_id=employee.employee_id,
                from_role=Role(employee.role),
                target_role=target,
                started_by=principal.person_id,
                workflow_id=workflow_id,
            )

    def open_application(
        self,
        principal: Principal,
        application_id: str,
        employee_id: str,
        target: Role,
        workflow_id: str,
    ) -> CommandResult:
        existing: PromotionApplication | None = self.find(application_uuid(application_id))
        if existing is not None:
            return self._save(existing, False)
        application = self._new_application(
            principal, application_id, self.employee(employee_id), target, workflow_id
        )
        return self._save(application, True)

    def submit_report(
        self, application_id: str, round_: int, as_of: date, requested_by: Principal
    ) -> ReportSummary:
        """Pulls the last 12 months from the ledger and evaluates them under the policy
        versions in force now; records Submitted once per round."""
        application = self.get(application_id)
        return self._report(
            application, self.employee(application.employee_id), round_, as_of, requested_by
        )

    def _report(
        self,
        application: PromotionApplication,
        employee: Employee,
        round_: int,
        as_of: date,
        requested_by: Principal,
    ) -> ReportSummary:
        manager = self.employee(employee.manager_id) if employee.manager_id else None
        target = Role(application.target_role)
        policies = self.policy_set(target)
        # Reports use complete months: the month before the application date.
        as_of_month = shift_month(f"{as_of:%Y-%m}", -1)
        ledger = self.ledger(employee.employee_id)
        # Everything recorded up to the report month (courses count whenever they were
        # completed); the evaluation applies each criterion's own window.
        entries = [
            e
            for e in (ledger.entries.values() if ledger else [])
            if month_of(e.measurement.period) <= as_of_month
        ]
        entries.sort(key=lambda e: e.version)
        percentiles = self._percentiles(
            policies, target, Role(employee.role), as_of_month, employee.employee_id
        )
        assessment = assess(
            employee.employee_id,
            Role(employee.role),
            [e.measurement for e in entries],
            policies,
            as_of_month,
            percentiles,
            target=target,
            labels=in_every_language,
        )
        refs = sorted({e.version for e in entries})
        report = ApplicationReport(
            assessment=assessment,
            metric_refs=[
                MetricRef(employee_id=employee.employee_id, ledger_version=v) for v in refs
            ],
            manager_id=employee.manager_id,
            percentiles=percentiles,
        )
        # Round 1 is the application; later rounds are the applicant's resubmissions.
        with self._context(application, requested_by, f"round-{round_}/report"):
            changed = application.submit(round_, report)
            self._save(application, changed)
        evaluation = assessment.evaluation
        return ReportSummary(
            round=round_,
            eligible=bool(evaluation and evaluation.eligible),
            unmet=evaluation.unmet() if evaluation else [],
            manager_id=employee.manager_id,
            managers_manager_id=manager.manager_id if manager else None,
            policy_versions=assessment.policy_versions,
        )

    def _percentiles(
        self, policies: PolicySet, target: Role, role: Role, as_of_month: str, employee_id: str
    ) -> dict[str, dict[str, float]]:
        """metric -> month -> the employee's percentile among active peers of their role."""
        metrics = policies.streak_metrics(target)
        if not metrics:
            return {}
        # Ranks against the whole organisation come from the read side (the monthly
        # ranking the projections keep); they are recorded in the report, so the decision
        # can be replayed.
        return {
            m: self.role_percentiles(
                m,
                role,
                months_back(as_of_month, 12),
                policies.catalog.metrics[m].direction
                if m in policies.catalog.metrics
                else "higher",
                employee_id,
            )
            for m in sorted(metrics)
        }

    def decide(
        self,
        application_id: str,
        round_: int,
        principal: Principal,
        approve: bool,
        comment: str,
        command_id: str | None = None,
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, principal, f"round-{round_}/decision", None, command_id):
            changed = application.decide(
                round_, approve, comment, principal.person_id, principal.role == AccessRole.hr
            )
        return self._save(application, changed)

    def remind(
        self, application_id: str, key: str, kind: str, recipients: list[str]
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, None, key):
            changed = application.remind(key, kind, recipients)
        return self._save(application, changed)

    def return_application(
        self, application_id: str, round_: int, unmet: list[CriterionResult]
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, None, f"round-{round_}/return"):
            changed = application.return_automatically(round_, unmet)
        return self._save(application, changed)

    def confirm(
        self,
        application_id: str,
        round_: int,
        principal: Principal,
        comment: str,
        command_id: str | None = None,
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, principal, f"round-{round_}/hr", None, command_id):
            changed = application.confirm(round_, principal.person_id, comment)
        return self._save(application, changed)

    def override(
        self,
        application_id: str,
        round_: int,
        principal: Principal,
        reason: str,
        approve: bool,
        command_id: str | None = None,
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, principal, f"round-{round_}/hr", reason, command_id):
            changed = application.override(round_, principal.person_id, reason, approve)
        return self._save(application, changed)

    def withdraw(
        self,
        application_id: str,
        principal: Principal,
        reason: str,
        command_id: str | None = None,
    ) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, principal, "withdraw", reason, command_id):
            changed = application.withdraw(principal.person_id, reason)
        return self._save(application, changed)

    def announce(self, application_id: str, today: date) -> CommandResult:
        application = self.get(application_id)
        with self._context(application, None, "announce"):
            changed = application.announce(effective_date_after(today))
        result = self._save(application, changed)
        assert application.effective_date is not None
        zone = ZoneInfo(self.policies.promotion_process()[0].time_zone)
        result.effective_at = datetime.combine(application.effective_date, time(0), zone)
        try:
            template = self.policies.current("plan_template", Role(application.target_role).value)
            result.plan_template_version = template.version
        except NotFoundError:
            result.plan_template_version = None
        return result

    def complete(self, application_id: str) -> CommandResult:
        """The role changes on the effective date: first the employee, then the
        application; each step is a no-op when already done, so a retry is safe."""
        application = self.get(application_id)
        employee = self.employee(application.employee_id)
        assert application.effective_date is not None
        assert self._save_employee is not None, "Promotions needs save_employee= to promote"
        with self._context(application, None, "promote"):
            if employee.change_role(
                Role(application.target_role), application.effective_date, application_id
            ):
                self._save_employee(employee)
            changed = application.complete()
        return self._save(application, changed)

    def open_with_report(
        self,
        principal: Principal,
        application_id: str,
        employee_id: str,
        target: Role,
        workflow_id: str,
        as_of: date,
    ) -> ReportSummary:
        """Opens the application and submits its first report in one save (one lock, one
        commit): the same Started and Submitted events, each with its own metadata, as
        `open_application` then `submit_report` for round 1. Idempotent like them: once
        saved, a retry records nothing and answers the report again."""
        found: PromotionApplication | None = self.find(application_uuid(application_id))
        if found is not None:
            return self._report(found, self.employee(found.employee_id), 1, as_of, principal)
        employee = self.employee(employee_id)  # read once for the opening and the report
        application = self._new_application(
            principal, application_id, employee, target, workflow_id
        )
        try:
            return self._report(application, employee, 1, as_of, principal)
        except DomainError:
            # The report is refused: the opening alone is still recorded, as the two
            # steps did (the refusal comes before Submitted is triggered).
            if len(application.pending_events) == 1:
                self.save(application)
            raise

    def _context(
        self,
        application: PromotionApplication,
        principal: Principal | None,
        step: str,
        reason: str | None = None,
        command_id: str | None = None,
    ) -> Any:
        """A person's step carries the command id they sent (so a retry of it is
        recognised: services.promotion_process); the engine's own, workflow/step."""
        if principal is not None and command_id:
            return command_context(
                actor=principal.person_id,
                role=principal.role.value,
                command_id=command_id,
                workflow_id=application.workflow_id,
                reason=reason,
            )
        return workflow_step(principal, application.workflow_id, step, reason)
