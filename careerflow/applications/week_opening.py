"""Opening reps' weeks (the Cycles application's commands, split out by size): one week
(a workflow's own open step) or a launcher's batch at once, with one save and the
aggregates of the whole batch read in a few queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from aggregates.base import DomainError
from aggregates.calendar_periods import period_kind
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import MetricCatalog
from aggregates.employee import Employee
from aggregates.goals import GoalCascade
from aggregates.ladder import Role
from aggregates.metric_ledger import MetricLedger
from aggregates.process import PromotionProcess
from aggregates.weekly_cycle import Deadlines, WeeklyCycle, cycle_uuid
from aggregates.weekly_cycle_rules import CycleInfo
from careerflow.applications.cycle_values import previous_week
from careerflow.principal import workflow_step
from careerflow.workdays import is_working_day

if TYPE_CHECKING:
    from careerflow.applications.cycles import Cycles


class WeekDocuments(NamedTuple):
    """The documents a week opens with, read once per command (or per batch)."""

    settings: WeeklyCycleSettings
    settings_version: int | None
    targets: tuple[GoalCascade, int, MetricCatalog]
    company: PromotionProcess


def require_week(week: str) -> None:
    if period_kind(week) != "week":
        raise DomainError("a weekly cycle needs an ISO week 'YYYY-Www', got {week!r}", week=week)


def open_week(cycles: Cycles, employee_id: str, week: str, workflow_id: str) -> CycleInfo:
    existing: WeeklyCycle | None = cycles.find(cycle_uuid(employee_id, week))
    if existing is not None:
        return cycles.info(existing)
    settings, _ = cycles.settings()
    require_week(week)
    cycle = new_week(
        cycles,
        cycles.employee(employee_id),
        week,
        workflow_id,
        week_documents(cycles),
        cycles.ledger(employee_id),
        cycles.find(cycle_uuid(employee_id, previous_week(week))),
    )
    cycles.save(cycle)
    return cycles.info(cycle, settings)


def open_weeks(
    cycles: Cycles, employee_ids: list[str], week: str, workflow_id: Callable[[str], str]
) -> dict[str, CycleInfo]:
    """Opens many reps' weeks with ONE save (one transaction, one table lock), the
    documents read once and the aggregates of the whole batch in a few reads, whatever its
    size (its weeks and last weeks in one, the employees in one or two, the ledgers'
    snapshots and events in two): the launcher's batch. A week open already is answered
    as it is; a rep whose week cannot open (left, unknown) is left out, and their
    workflow's own open step says why. Idempotent: a second run saves nothing new; two
    runs at once conflict on a stream version, and the loser's retry finds them open."""
    require_week(week)
    settings, _ = cycles.settings()
    documents = week_documents(cycles)
    opened: dict[str, CycleInfo] = {}
    new: list[WeeklyCycle] = []
    last = previous_week(week)
    weeks = cycles.find_many(
        ident for e in employee_ids for ident in (cycle_uuid(e, week), cycle_uuid(e, last))
    )
    to_open = [e for e in employee_ids if cycle_uuid(e, week) not in weeks]
    employees = cycles.employees(to_open) if to_open else {}
    ledgers = cycles.ledgers(to_open) if to_open else {}
    for employee_id in employee_ids:
        existing: WeeklyCycle | None = weeks.get(cycle_uuid(employee_id, week))
        if existing is not None:
            opened[employee_id] = cycles.info(existing, settings)
            continue
        employee = employees.get(employee_id)
        if employee is None:
            continue
        try:
            cycle = new_week(
                cycles,
                employee,
                week,
                workflow_id(employee_id),
                documents,
                ledgers.get(employee_id),
                weeks.get(cycle_uuid(employee_id, last)),
            )
        except DomainError:
            continue
        new.append(cycle)
        opened[employee_id] = cycles.info(cycle, settings)
    if new:
        cycles.save(*new)
    return opened


def week_documents(cycles: Cycles) -> WeekDocuments:
    settings, version = cycles.settings()
    cascade, cascade_version = cycles.policies.in_force(GoalCascade)
    company, _ = cycles.policies.promotion_process()
    return WeekDocuments(settings, version, (cascade, cascade_version, cycles.catalog()), company)


def new_week(
    cycles: Cycles,
    employee: Employee,
    week: str,
    workflow_id: str,
    documents: WeekDocuments,
    ledger: MetricLedger | None,
    previous: WeeklyCycle | None,
) -> WeeklyCycle:
    """A rep's week, opened and not yet saved (DomainError when it cannot open), from
    what the caller read: the employee, their ledger, their last week."""
    employee_id = employee.employee_id
    if not employee.active:
        raise DomainError("{employee_id} has left; no weekly cycle", employee_id=employee_id)
    settings = documents.settings
    targets = cycles.targets(
        employee_id, employee.team_id, Role(employee.role), week, documents.targets, ledger
    )
    agreed = previous.next_plan if previous is not None else None
    company = documents.company
    plan_reminder, plan_deadline = settings.plan_moments(
        week, lambda day: is_working_day(day, company)
    )
    deadlines = Deadlines(
        plan_reminder=plan_reminder,
        plan_deadline=plan_deadline,
        report_at=settings.at(week, settings.report_at),
        feedback_reminder=settings.at(week, settings.feedback_reminder),
        feedback_deadline=settings.at(week, settings.feedback_deadline),
    )
    with workflow_step(None, workflow_id, "open"):
        return WeeklyCycle(
            employee_id=employee_id,
            week=week,
            manager_id=employee.manager_id,
            team_id=employee.team_id,
            targets=targets,
            settings_version=documents.settings_version,
            deadlines=deadlines,
            workflow_id=workflow_id,
            agreed_plan=agreed,
        )
