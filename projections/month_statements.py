"""A closed month's bonus statement from the read model: bonus and commission with their
derivation, inputs, targets and rule versions, and the training recommendations; pay
redacted for viewers who may see the person but not their pay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from aggregates.goals import Targets
from aggregates.incentives import BonusInputs, CommissionInputs, Line
from aggregates.not_found import month_not_closed
from aggregates.training_rules import Recommendation, RuleCheck
from careerflow.principal import Principal
from projections.cycle_reads import CycleReads, checked_period
from projections.visibility import require_visible


class BonusFigures(BaseModel):
    rules_version: int | None
    currency: str | None
    amount: float | None
    target_met: bool | None
    inputs: BonusInputs | None
    lines: list[Line] | None


class CommissionFigures(BaseModel):
    rules_version: int | None
    currency: str | None
    amount: float | None
    inputs: CommissionInputs | None
    lines: list[Line] | None


class BonusStatement(BaseModel):
    statement_id: str
    employee_id: str
    name: str | None
    month: str
    manager_id: str | None
    team_id: str
    closed_at: datetime
    ledger_version: int
    targets: Targets
    bonus: BonusFigures
    commission: CommissionFigures
    training_rules_version: int | None
    training_checks: list[RuleCheck]
    recommendations: list[Recommendation]
    redacted: bool


class MonthStatementQueries(CycleReads):
    # -- 4. a closed month's statement --------------------------------------------------
    def bonus_statement(self, principal: Principal, employee_id: str, month: str) -> BonusStatement:
        """Bonus and commission with their derivation, inputs, targets and rule versions,
        and the training recommendations; pay redacted for viewers who may not see it."""
        checked_period(month, "month", "2026-11")
        with self._connection() as conn:
            require_visible(conn, principal, employee_id)
            row = conn.execute(
                "SELECT s.*, e.name FROM rm_month_statement s "
                "LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE s.employee_id = %s AND s.month = %s",
                (employee_id, month),
            ).fetchone()
            if row is None:
                raise month_not_closed(employee_id, month)
            visible = self._sees_pay(conn, principal, employee_id)

        def shown(value: Any) -> Any:
            return value if visible else None

        return BonusStatement(
            statement_id=row["statement_id"],
            employee_id=employee_id,
            name=row["name"],
            month=month,
            manager_id=row["manager_id"],
            team_id=row["team_id"],
            closed_at=row["closed_at"],
            ledger_version=row["ledger_version"],
            targets=Targets.model_validate(row["targets"]),
            bonus=BonusFigures(
                rules_version=row["bonus_rules_version"],
                currency=row["bonus_currency"],
                amount=shown(row["bonus_amount"]),
                target_met=shown(row["bonus_target_met"]),
                inputs=shown(row["bonus_inputs"]),
                lines=shown(row["bonus_lines"]),
            ),
            commission=CommissionFigures(
                rules_version=row["commission_rules_version"],
                currency=row["commission_currency"],
                amount=shown(row["commission_amount"]),
                inputs=shown(row["commission_inputs"]),
                lines=shown(row["commission_lines"]),
            ),
            training_rules_version=row["training_rules_version"],
            training_checks=row["training_checks"],
            recommendations=row["recommendations"],
            redacted=not visible,
        )
