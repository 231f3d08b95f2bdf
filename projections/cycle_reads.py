"""What the weekly-cycle views share: the documents in force, the metric catalog's labels
and directions, and the measurements of a few people read with the period rules of the
Friday report and the month close (aggregates.periods.period_value), so what a rep sees
during the week is what the report and the close will say on the same data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Literal

from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel

from aggregates.base import DomainError
from aggregates.calendar_periods import PeriodKind, expected_kind, period_kind
from aggregates.documents import Measurement, MetricCatalog
from aggregates.periods import SUMMED_UNITS, period_value
from aggregates.weekly_cycle_rules import ReportLine
from careerflow.principal import Principal
from projections.pooled import PooledReads
from projections.visibility import pay_visible
from words.messages import Invalid

FeedbackStatus = Literal["pending", "given", "missed"]


class PlanLine(BaseModel):
    """One plan item: the live actual for the week, and the report's figures once built.
    Without a plan yet, the line shows the weekly target and `planned` is None."""

    item: str
    label: dict[str, str]
    target: float | None
    planned: float | None
    actual: float
    met: bool | None
    reported_actual: float | None = None
    reported_met: bool | None = None


def checked_period(value: str, kind: PeriodKind, example: str) -> str:
    try:
        actual = period_kind(value)
    except Invalid as exc:
        raise DomainError(exc.message) from None
    if actual != kind:
        refusal = expected_kind(kind, example, value)  # said once (aggregates)
        raise DomainError(refusal)
    return value


class Catalog:
    """The metric catalog in force: labels, which way is better, summed or averaged."""

    def __init__(self, catalog: MetricCatalog | None) -> None:
        self.catalog = catalog

    def summed(self, metric: str) -> bool:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return definition is None or definition.unit in SUMMED_UNITS

    def higher(self, metric: str) -> bool:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return definition is None or definition.direction == "higher"

    def label(self, metric: str) -> dict[str, str]:
        definition = self.catalog.metrics.get(metric) if self.catalog else None
        return dict(definition.label) if definition else {"en": metric, "zh": metric}


class Ledger:
    """Measurements of a few people and metrics, with the period rules of the report."""

    def __init__(self, catalog: Catalog, rows: Iterable[Any]) -> None:
        self.catalog = catalog
        self.by_employee: dict[str, list[Measurement]] = defaultdict(list)
        for r in rows:
            # Already validated when ingested; the read model holds them as recorded.
            self.by_employee[r["employee_id"]].append(
                Measurement.model_construct(
                    employee_id=r["employee_id"],
                    period=r["period"],
                    metric=r["metric"],
                    value=r["value"],
                    item=r["item"] or None,
                    source=r["source"],
                )
            )

    def value(self, employee_id: str, metric: str, period: str) -> float | None:
        return period_value(
            self.by_employee.get(employee_id, []), metric, period, self.catalog.summed(metric)
        )


def live_lines(
    ledger: Ledger,
    employee_id: str,
    week: str,
    plan: dict[str, float] | None,
    targets: dict[str, float],
    report: list[ReportLine] | None,
) -> list[PlanLine]:
    reported = {line.item: line for line in report or []}
    items = list(plan) if plan is not None else list(targets)
    lines: list[PlanLine] = []
    for item in items:
        planned = plan.get(item) if plan is not None else None
        actual = ledger.value(employee_id, item, week) or 0.0
        met: bool | None = None
        if planned is not None:
            met = actual >= planned if ledger.catalog.higher(item) else actual <= planned
        line = reported.get(item)
        lines.append(
            PlanLine(
                item=item,
                label=ledger.catalog.label(item),
                target=targets.get(item),
                planned=planned,
                actual=actual,
                met=met,
                reported_actual=line.actual if line else None,
                reported_met=line.met if line else None,
            )
        )
    return lines


class CycleReads(PooledReads):
    """The pool, and the reads every cycle view makes on one connection."""

    # -- documents in force -------------------------------------------------------------
    @staticmethod
    def _document(conn: Connection[DictRow], kind: str) -> tuple[dict[str, Any], int] | None:
        row = conn.execute(
            "SELECT document, version FROM rm_policy WHERE kind = %s AND key = 'default' "
            "ORDER BY version DESC LIMIT 1",
            (kind,),
        ).fetchone()
        return (row["document"], row["version"]) if row else None

    def _catalog(self, conn: Connection[DictRow]) -> Catalog:
        found = self._document(conn, "metric_catalog")
        return Catalog(MetricCatalog.model_validate(found[0]) if found else None)

    @staticmethod
    def _ledger(
        conn: Connection[DictRow],
        catalog: Catalog,
        employee_ids: list[str],
        metrics: Iterable[str],
        first_period: str,
        last_period: str,
    ) -> Ledger:
        # A period's first four characters are the year of the month it belongs to (an
        # ISO week's Thursday decides both); the days of a week can sit a year either side.
        first_year = f"{int(first_period[:4]) - 1:04d}"
        last_year = f"{int(last_period[:4]) + 1:04d}"
        rows = conn.execute(
            "SELECT employee_id, period, metric, item, value, source FROM rm_measurement "
            "WHERE employee_id = ANY(%s) AND metric = ANY(%s) "
            "AND left(period, 4) BETWEEN %s AND %s",
            (employee_ids, sorted(set(metrics)), first_year, last_year),
        ).fetchall()
        return Ledger(catalog, rows)

    @staticmethod
    def _sees_pay(conn: Connection[DictRow], principal: Principal, employee_id: str) -> bool:
        """Pay is for the person, their manager chain and HR (the one rule, in
        projections.visibility); auditors and the rest who may see the row get it
        redacted."""
        return pay_visible(conn, principal, employee_id)
