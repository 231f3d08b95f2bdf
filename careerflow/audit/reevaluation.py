"""Exact re-evaluation: re-run a recorded decision from its recorded inputs and the
policy versions it names, with today's code, and show that the outcome is identical; a
mismatch is reported field by field.

Application reports: the ledger as it was at the versions the report used, the metric
catalog, potential weights and criteria at their recorded versions, and the recorded
organisation-wide percentiles, through the same `assess`. Month closes: the targets from
the ledger version and cascade version recorded, the bonus and commission from their
recorded inputs and rule versions, the training rules from their recorded evidence.
Support requests and assessment rounds: reevaluation_processes.py. Bonus and commission
figures in a report follow the pay rule (careerflow.audit.views): hidden unless the reader may see
that person's pay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aggregates.assessment import PolicySet, VersionedCriteria, assess
from aggregates.base import DomainError, NotFoundError
from aggregates.calendar_periods import month_of
from aggregates.documents import MetricCatalog, PotentialWeights, PromotionCriteria
from aggregates.goals import GoalCascade, derive_targets
from aggregates.incentives import BonusRules, CommissionRules, compute_bonus, compute_commission
from aggregates.kpi_weights import KpiWeights, score_month
from aggregates.ladder import Role
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from aggregates.month_close import MonthClose, month_close_uuid
from aggregates.not_found import month_not_closed
from aggregates.periods import is_summed, period_value
from aggregates.policy import PolicyDocument, policy_uuid
from aggregates.promotion import PromotionApplication, application_uuid
from aggregates.training_rules import TrainingRules, check_rules
from careerflow.audit import reevaluation_processes
from careerflow.audit.decision_checks import DecisionCheck, check_decision
from careerflow.principal import AccessRole, Principal
from words.catalogue import in_every_language
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.applications.people import People
    from careerflow.applications.policies import Policies
    from careerflow.audit.history import HistoryService
    from careerflow.store import Store


class Reevaluation(BaseModel):
    kind: str
    subject: str
    identical: bool
    decisions: list[DecisionCheck]
    pay_redacted: bool = False
    """The bonus and commission figures compared are hidden from this reader."""


PAY_DECISIONS = ("bonus", "commission")
KINDS = ("application", "month", "support", "assessment")


class ReevaluationService:
    """`store`: the applications holding the decisions and the documents at their
    versions; `policies`: the policy service; `people`: the employee directory (the role
    held when a month closed); `history`: what a reader sees, and the record of each use."""

    def __init__(
        self,
        store: Store,
        policies: Policies,
        people: People,
        history: HistoryService,
    ) -> None:
        self.store = store
        self.policies = policies
        self.people = people
        self.history = history

    def reevaluate(self, principal: Principal, kind: str, ident: str) -> Reevaluation:
        principal.require(
            AccessRole.auditor,
            AccessRole.hr,
            AccessRole.system,
            action=Message("re-evaluate decisions"),
        )
        if kind == "application":
            decisions = self._application(ident)
        elif kind == "month":
            employee, _, month = ident.partition("/")
            if not employee or not month:
                raise DomainError("a month is named EMPLOYEE/YYYY-MM, got {ident!r}", ident=ident)
            decisions = self._month(employee, month)
        elif kind == "support":
            decisions = reevaluation_processes.support_checks(self.store, self.policies, ident)
        elif kind == "assessment":
            decisions = reevaluation_processes.assessment_checks(self.store, self.policies, ident)
        else:
            raise DomainError(
                "re-evaluation knows {kinds}, not {kind!r}", kinds=", ".join(KINDS), kind=kind
            )
        view = self.history.view(principal, kind, ident)
        if not view.shows_pay:
            # The verdict stays; the figures compared are pay.
            decisions = [
                d.model_copy(
                    update={
                        "differences": [
                            f.model_copy(update={"recorded": None, "recomputed": None})
                            for f in d.differences
                        ]
                    }
                )
                if d.decision in PAY_DECISIONS
                else d
                for d in decisions
            ]
        result = Reevaluation(
            kind=kind,
            subject=ident,
            identical=all(d.identical for d in decisions),
            decisions=decisions,
            pay_redacted=not view.shows_pay,
        )
        self.history.record(
            principal,
            "re-evaluate",
            f"{kind} {ident}",
            "identical" if result.identical else "MISMATCH",
        )
        return result

    # -- documents at a version ------------------------------------------------------------
    def _document(self, kind: str, key: str, version: int) -> dict[str, Any]:
        doc: PolicyDocument | None = self.store.policies.find(policy_uuid(kind, key))
        if doc is None:
            raise NotFoundError("no {kind}/{key} was ever published", kind=kind, key=key)
        return doc.get_version(version).document

    # -- promotion application reports -------------------------------------------------
    def _application(self, application_id: str) -> list[DecisionCheck]:
        application: PromotionApplication | None = self.store.promotions.find(
            application_uuid(application_id)
        )
        if application is None:
            raise NotFoundError("no application {application_id!r}", application_id=application_id)
        checks: list[DecisionCheck] = []
        for stored in self.store.promotions.events.get(application_uuid(application_id)):
            report = getattr(stored, "report", None)
            if report is None:
                continue
            recorded = report.assessment
            versions = recorded.policy_versions
            target = Role(application.target_role)
            policies = PolicySet(
                catalog=MetricCatalog.model_validate(
                    self._document("metric_catalog", "default", versions["metric_catalog/default"])
                ),
                catalog_version=versions["metric_catalog/default"],
                weights=PotentialWeights.model_validate(
                    self._document(
                        "potential_weights", "default", versions["potential_weights/default"]
                    )
                ),
                weights_version=versions["potential_weights/default"],
                # Reports from before the KPI weights document name no version of it.
                kpis=KpiWeights.model_validate(
                    self._document("kpi_weights", "default", versions["kpi_weights/default"])
                )
                if "kpi_weights/default" in versions
                else None,
                kpis_version=versions.get("kpi_weights/default"),
                criteria={
                    target: VersionedCriteria(
                        version=versions[f"promotion_criteria/{target.value}"],
                        document=PromotionCriteria.model_validate(
                            self._document(
                                "promotion_criteria",
                                target.value,
                                versions[f"promotion_criteria/{target.value}"],
                            )
                        ),
                    )
                },
            )
            refs = {r.ledger_version for r in report.metric_refs}
            measurements = []
            if refs:
                ledger: MetricLedger = self.store.metrics.repository.get(
                    ledger_uuid(recorded.employee_id), version=max(refs)
                )
                entries = sorted(
                    (
                        e
                        for e in ledger.entries.values()
                        if e.version in refs
                        and month_of(e.measurement.period) <= recorded.as_of_month
                    ),
                    key=lambda e: e.version,
                )
                measurements = [e.measurement for e in entries]
            recomputed = assess(
                recorded.employee_id,
                recorded.role,
                measurements,
                policies,
                recorded.as_of_month,
                report.percentiles,
                target=target,
                labels=in_every_language,
            )
            checks.append(
                check_decision(
                    f"report round {getattr(stored, 'round', '?')}", versions, recorded, recomputed
                )
            )
        if not checks:
            raise NotFoundError(
                "application {application_id!r} has no report yet", application_id=application_id
            )
        return checks

    # -- month closes ------------------------------------------------------------------
    def _month(self, employee_id: str, month: str) -> list[DecisionCheck]:
        closed: MonthClose | None = self.store.cycles.find(month_close_uuid(employee_id, month))
        if closed is None or closed.bonus is None or closed.commission is None:
            raise month_not_closed(employee_id, month)
        recorded_targets = closed.targets
        cascade_version = recorded_targets.cascade_version
        cascade = GoalCascade.model_validate(
            self._document("goal_cascade", "default", cascade_version)
        )
        ledger: MetricLedger | None = (
            self.store.metrics.repository.get(
                ledger_uuid(employee_id), version=closed.ledger_version
            )
            if closed.ledger_version
            else None
        )
        measurements = ledger.measurements() if ledger else []
        catalog = self.policies.in_force(MetricCatalog)[0]
        monthly_sales = {
            m: v
            for m in sorted(
                {month_of(x.period) for x in measurements if x.metric == "sales_amount"}
            )
            if (
                v := period_value(
                    measurements, "sales_amount", m, is_summed(catalog, "sales_amount")
                )
            )
            is not None
        }
        employee = self.people.get(employee_id)
        # The role held when the month was closed (a later promotion must not change it).
        closed_on = closed.created_on.date()
        role = Role(employee.role_history[0][0])
        for held, since in employee.role_history:
            if since <= closed_on:
                role = Role(held)
        targets = derive_targets(
            cascade,
            cascade_version,
            employee_id,
            closed.team_id,
            role,
            month,
            monthly_sales,
        )
        bonus = closed.bonus
        commission = closed.commission
        bonus_rules = BonusRules.model_validate(
            self._document("bonus_rules", "default", bonus.rules_version)
        )
        commission_rules = CommissionRules.model_validate(
            self._document("commission_rules", "default", commission.rules_version)
        )
        checks = [
            check_decision(
                "targets", {"goal_cascade/default": cascade_version}, recorded_targets, targets
            ),
            check_decision(
                "bonus",
                {"bonus_rules/default": bonus.rules_version},
                bonus,
                compute_bonus(
                    bonus_rules, bonus.rules_version, bonus.inputs, labels=in_every_language
                ),
            ),
            check_decision(
                "commission",
                {"commission_rules/default": commission.rules_version},
                commission,
                compute_commission(
                    commission_rules,
                    commission.rules_version,
                    commission.inputs,
                    labels=in_every_language,
                ),
            ),
        ]
        if closed.kpis is not None:  # months closed before the KPI weights have none
            kpi_version = closed.kpis.kpi_weights_version
            kpis = KpiWeights.model_validate(self._document("kpi_weights", "default", kpi_version))
            recorded_values = {line.metric: line.value for line in closed.kpis.lines}
            checks.append(
                check_decision(
                    "kpi score",
                    {"kpi_weights/default": kpi_version},
                    closed.kpis,
                    score_month(kpis, kpi_version, catalog, month, recorded_values),
                )
            )
        training_version = self._training_version(employee_id, month)
        if training_version is not None:
            rules = TrainingRules.model_validate(
                self._document("training_rules", "default", training_version)
            )
            values: dict[str, dict[str, float | None]] = {}
            month_targets: dict[str, dict[str, float]] = {}
            for check in closed.checks:
                metric = next(r.metric for r in rules.rules if r.id == check.rule_id)
                for figure in check.evidence:
                    values.setdefault(figure.month, {})[metric] = figure.value
                    month_targets.setdefault(figure.month, {})[metric] = figure.target
            rechecked, recommended = check_rules(rules, month, values, month_targets)
            versions = {"training_rules/default": training_version}
            checks.append(check_decision("training rules", versions, closed.checks, rechecked))
            checks.append(
                check_decision("recommendations", versions, closed.recommendations, recommended)
            )
        return checks

    def _training_version(self, employee_id: str, month: str) -> int | None:
        for stored in self.store.cycles.events.get(month_close_uuid(employee_id, month)):
            if type(stored).__qualname__.endswith("TrainingRulesChecked"):
                version: int = getattr(stored, "rules_version")  # noqa: B009
                return version
        return None
