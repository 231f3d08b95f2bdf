"""The weekly cycles' events (96% of a store) folded by the rebuild straight from their
stored JSON, without constructing the pydantic event: the stored dict is pydantic's
`model_dump(mode="json")` of the event, so its values are the ones the handlers write
(jsonb from the same JSON values, timestamps as ISO text that COPY parses to the same
instants).

Only for a stored dict of exactly the current shape: its keys, and those of the nested
models the fold writes out or reads (targets and their baseline, the deadlines, the
report lines), equal the current models' fields. An older event (a field missing that
pydantic would fill with its default, an upcast one) is constructed as always and folded
by projections/cycle_fold.py's event folds; so is any event whose class or nested model
has a validator or an alias (its stored dict would not be what the model holds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from aggregates.calendar_periods import month_of
from aggregates.goals import Baseline, Targets
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle, cycle_key
from projections.base import event_of

State = dict[str, Any]
Row = dict[str, Any]

# A new week's row after the columns its opening sets.
PENDING: Row = {
    "plan_revisions": 0,
    "plan_at": None,
    "plan_late": None,
    "report": None,
    "met": None,
    "total": None,
    "report_ledger_version": None,
    "reported_at": None,
    "feedback_status": "pending",
    "feedback": None,
    "feedback_by": None,
    "feedback_at": None,
    "next_plan": None,
}

_MONTHS: dict[str, str] = {}


def week_month(week: str) -> str:
    """`month_of(week)`, remembered (a store has few weeks and many rows per week)."""
    month = _MONTHS.get(week)
    if month is None:
        month = _MONTHS[week] = month_of(week)
    return month


def moment(value: datetime | str) -> datetime:
    """A timestamp of a row: a datetime (from an event) or ISO text (from a stored dict)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _plain(model: type[BaseModel]) -> bool:
    """Constructing `model` from its own JSON dump gives back the same values: no
    validator, serializer or alias of its own that could change them."""
    d = model.__pydantic_decorators__
    hooks = (d.validators, d.field_validators, d.root_validators, d.field_serializers,
             d.model_serializers, d.model_validators, d.computed_fields)  # fmt: skip
    fields = model.model_fields.values()
    return not any(hooks) and all(
        f.alias is None and f.validation_alias is None and f.serialization_alias is None
        for f in fields
    )


def _keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(model.model_fields)


TARGETS, BASELINE = _keys(Targets), _keys(Baseline)
DEADLINES, LINE = _keys(Deadlines), _keys(ReportLine)
NESTED_PLAIN = all(_plain(m) for m in (Targets, Baseline, Deadlines, ReportLine))


def _is(value: Any, keys: frozenset[str]) -> bool:
    return type(value) is dict and value.keys() == keys


def _opened_fits(s: State) -> bool:
    targets = s["targets"]
    return (
        _is(targets, TARGETS)
        and _is(targets["baseline"], BASELINE)
        and _is(s["deadlines"], DEADLINES)
    )


def _lines_fit(s: State) -> bool:
    lines = s["lines"]
    return type(lines) is list and all(_is(line, LINE) for line in lines)


def _fits(_: State) -> bool:
    return True


def _opened(aggregate: UUID, s: State) -> Row:
    deadlines, agreed = s["deadlines"], s["agreed_plan"]
    return {
        "cycle_id": cycle_key(s["employee_id"], s["week"]),
        "aggregate_id": aggregate,
        "workflow_id": s["workflow_id"],
        "employee_id": s["employee_id"],
        "week": s["week"],
        "month": week_month(s["week"]),
        "manager_id": s["manager_id"],
        "team_id": s["team_id"],
        "targets": dumps(s["targets"]),
        "settings_version": s["settings_version"],
        "opened_at": s["timestamp"],
        "plan_deadline": deadlines["plan_deadline"],
        "report_at": deadlines["report_at"],
        "feedback_deadline": deadlines["feedback_deadline"],
        "plan": dumps(agreed) if agreed else None,
        "plan_source": "agreed" if agreed else None,
        **PENDING,
    }


def _plan_submitted(row: Row, s: State) -> None:
    at = s["timestamp"]
    row.update(
        plan=dumps(s["items"]),
        plan_source="submitted",
        plan_revisions=s["revision"],
        plan_at=at,
        plan_late=moment(at) > moment(row["plan_deadline"]),
    )


def _plan_defaulted(row: Row, s: State) -> None:
    row.update(
        plan=dumps(s["items"]),
        plan_source="agreed" if s["agreed"] else "defaulted",
        plan_at=s["timestamp"],
        plan_late=None,
    )


def _report_built(row: Row, s: State) -> None:
    lines = s["lines"]
    row.update(
        report=dumps(lines),
        met=sum(1 for line in lines if line["met"]),
        total=len(lines),
        report_ledger_version=s["ledger_version"],
        reported_at=s["timestamp"],
    )


def _feedback_given(row: Row, s: State) -> None:
    next_plan = s["next_plan"]
    row.update(
        feedback_status="given",
        feedback=s["text"],
        feedback_by=s["by"],
        feedback_at=s["timestamp"],
        next_plan=dumps(next_plan) if next_plan else None,
    )


def _feedback_missed(row: Row, s: State) -> None:
    row.update(feedback_status="missed", feedback_at=s["timestamp"])


@dataclass(frozen=True)
class StoredFold:
    """How one event class folds from its stored dict: `opens` makes the week's row (the
    opening), else `fold` changes it; `finishing`: the row is complete after it."""

    keys: frozenset[str]
    fits: Callable[[State], bool]
    opens: Callable[[Any, State], Row] | None = None
    fold: Callable[[Row, State], None] | None = None
    finishing: bool = False

    def accepts(self, state: State) -> bool:
        """The stored dict has the current shape (else: construct the event)."""
        return state.keys() == self.keys and self.fits(state)


def _stored_folds() -> dict[str, StoredFold]:
    """By stored topic; a class whose topic does not resolve back to it (renamed, aliased)
    or that is not plain has none."""
    ways: dict[str, tuple[Callable[[State], bool], Any, Any, bool]] = {
        "Opened": (_opened_fits, _opened, None, False),
        "PlanSubmitted": (_fits, None, _plan_submitted, False),
        "PlanDefaulted": (_fits, None, _plan_defaulted, False),
        "ReportBuilt": (_lines_fit, None, _report_built, False),
        "FeedbackGiven": (_fits, None, _feedback_given, True),
        "FeedbackMissed": (_fits, None, _feedback_missed, True),
    }
    folds: dict[str, StoredFold] = {}
    if not NESTED_PLAIN:
        return folds
    for name, (fits, opens, fold, finishing) in ways.items():
        cls = event_of(WeeklyCycle, name)
        topic = get_topic(cls)
        if resolve_topic(topic) is cls and issubclass(cls, BaseModel) and _plain(cls):
            folds[topic] = StoredFold(_keys(cls), fits, opens, fold, finishing)
    return folds


STORED = _stored_folds()
