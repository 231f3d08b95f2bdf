"""One rep's month close: the month's targets, the bonus and commission with their
derivations, the KPI score, every training rule's verdict and the recommendations it gave, each an
event that names its rule version and inputs. Closed once; a retry changes nothing."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, stable_id
from aggregates.goals import Targets
from aggregates.incentives import BonusResult, CommissionResult
from aggregates.kpi_weights import KpiScore
from aggregates.training_rules import Recommendation, RuleCheck


def month_close_key(employee_id: str, month: str) -> str:
    return f"{employee_id}/{month}"


def month_close_uuid(employee_id: str, month: str) -> UUID:
    return stable_id("month-close", month_close_key(employee_id, month))


class MonthClose(Aggregate):
    @staticmethod
    def create_id(employee_id: str, month: str, *_: object, **__: object) -> UUID:
        return month_close_uuid(employee_id, month)

    @event("Opened")
    def __init__(
        self,
        employee_id: str,
        month: str,
        manager_id: str | None,
        team_id: str,
        targets: Targets,
        ledger_version: int,
    ) -> None:
        self.employee_id = employee_id
        self.month = month
        self.manager_id = manager_id
        self.team_id = team_id
        self.targets = targets
        self.ledger_version = ledger_version
        self.bonus: BonusResult | None = None
        self.commission: CommissionResult | None = None
        self.kpis: KpiScore | None = None
        self.checks: list[RuleCheck] = []
        self.recommendations: list[Recommendation] = []

    @event("BonusComputed")
    def record_bonus(self, result: BonusResult) -> None:
        self.bonus = result

    @event("CommissionComputed")
    def record_commission(self, result: CommissionResult) -> None:
        self.commission = result

    @event("KpisScored")
    def record_kpis(self, result: KpiScore) -> None:
        self.kpis = result

    @event("TrainingRulesChecked")
    def record_checks(self, rules_version: int, checks: list[RuleCheck]) -> None:
        self.checks = list(checks)

    @event("TrainingRecommended")
    def recommend(self, rules_version: int, recommendation: Recommendation) -> None:
        self.recommendations = [*self.recommendations, recommendation]
