"""Plain values of the cycle commands (careerflow.applications.cycles): a week's report
line, a month's targets and outcome, the week before."""

from __future__ import annotations

from datetime import date, timedelta

from aggregates.documents import Measurement, MetricCatalog
from aggregates.goals import Targets
from aggregates.month_close import MonthClose
from aggregates.periods import period_value
from aggregates.weekly_cycle import ReportLine
from aggregates.weekly_cycle_rules import MonthOutcome, report_line_text
from words.catalogue import in_every_language


def month_targets_for(targets: Targets, weeks: int) -> dict[str, float]:
    """A month's targets per training-rule metric (see training_rules.TARGETED_METRICS)."""
    return {
        "sales_amount": targets.monthly_sales_target,
        "customer_visits": targets.weekly["customer_visits"] * weeks,
        "new_customers": targets.monthly_new_customers(weeks),
        "retention_rate": targets.retention_target_percent,
    }


def previous_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) - timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def report_line(
    catalog: MetricCatalog,
    item: str,
    planned: float,
    measurements: list[Measurement],
    week: str,
    summed: bool,
) -> ReportLine:
    actual = period_value(measurements, item, week, summed) or 0.0
    definition = catalog.metrics.get(item)
    label = definition.label if definition else {"en": item, "zh": item}
    higher = definition is None or definition.direction == "higher"
    met = actual >= planned if higher else actual <= planned
    return ReportLine(
        item=item,
        label=label,
        planned=planned,
        actual=actual,
        met=met,
        text=in_every_language(report_line_text(dict(label), actual, planned, met)),
    )


def month_outcome(closed: MonthClose) -> MonthOutcome:
    assert closed.bonus is not None and closed.commission is not None
    return MonthOutcome(
        employee_id=closed.employee_id,
        manager_id=closed.manager_id,
        month=closed.month,
        bonus=closed.bonus.amount,
        commission=closed.commission.amount,
        currency=closed.bonus.currency,
        recommendations=[
            {
                "rule_id": r.rule_id,
                "course": r.course,
                "alert_manager": "yes" if r.alert_manager else "",
                "reason_en": r.reason["en"],
                "reason_zh": r.reason["zh"],
            }
            for r in closed.recommendations
        ],
    )
