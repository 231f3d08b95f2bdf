"""Live progress of a development plan: each milestone's status and bilingual progress
text ("course Sales Team Management done, score 9.5; mentored 2 of 3; new customers 4 of
5"), the plan's overall state for HR, and which milestones need a reminder today.

Pure and deterministic: a function of the milestones, the employee's measurements, the
effective date, `today` and the manager's confirmations.

Status rules, per milestone (checked in this order):
- done / confirmed: the measure is met, or the manager confirmed it (any time, also late);
- not_started: today is before its start month;
- overdue: today is after its due date;
- awaiting_confirmation: a confirmed milestone inside its window;
- behind: a measured milestone inside its window that is off pace, or not yet met with
  its due date at most `remind_days_before` days away (so the reminder goes out);
- on_track: otherwise.
Off pace means, counting only the plan months of the window already finished:
- courses, count: fewer than target × finished / window months (2 courses over months
  1-3: at least 1 done once month 1 is over);
- monthly: a finished month below target (the running month is judged when it ends);
- metric: the latest month's value fails the threshold, or no value once a month ended.

Which measurements count: those known by `today` (period starting on or before it); for
numeric measures only month periods of the milestone's months (weekly and daily figures
belong to the weekly cycle); for courses completions of any period kind from the plan's
first month on. The last duplicate (period, metric, item) wins, as in evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import Field

from aggregates.calendar_periods import period_kind
from aggregates.document_types import Frozen, Label, Unit
from aggregates.documents import Measurement, MetricCatalog
from aggregates.evaluation import format_value, window_value
from aggregates.plan_template import (
    CountMeasure,
    CoursesMeasure,
    MetricMeasure,
    Milestone,
    MonthlyMeasure,
    due_date,
    month_keys,
    plan_month_at,
    plan_month_bounds,
)
from words.messages import SEPARATORS, Labeller, Message

Status = Literal[
    "done", "on_track", "behind", "overdue", "awaiting_confirmation", "confirmed", "not_started"
]
Overall = Literal["on_track", "at_risk", "overdue", "completed"]

_DIGITS = 6  # same float-noise immunity as evaluation's comparisons
_OP_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


class MilestoneProgress(Frozen):
    """One milestone as evaluated on `PlanProgress.as_of`.

    value/target: the measured figure and its goal (done courses of all courses; the
    running month's value for monthly measures); None for confirmed milestones.
    suggestion: the template's hint, set while behind or overdue.
    """

    id: str
    kind: Literal["measured", "confirmed"]
    label: Label
    status: Status
    start_date: date
    due_date: date
    value: float | None = None
    target: float | None = None
    text: Label
    details: list[Label] = Field(default_factory=list)
    suggestion: Label | None = None

    @property
    def is_done(self) -> bool:
        return self.status in ("done", "confirmed")


class PlanProgress(Frozen):
    """The plan's live progress: per milestone, and overall for HR's overview."""

    effective_date: date
    as_of: date
    milestones: list[MilestoneProgress]
    overall: Overall
    done: int
    total: int

    def milestone(self, milestone_id: str) -> MilestoneProgress:
        for m in self.milestones:
            if m.id == milestone_id:
                return m
        raise KeyError(f"plan progress has no milestone {milestone_id!r}")

    def counts(self) -> dict[str, int]:
        """How many milestones are in each status (statuses present only)."""
        counts: dict[str, int] = {}
        for m in self.milestones:
            counts[m.status] = counts.get(m.status, 0) + 1
        return counts

    def summary(self, lang: str = "en", include_not_started: bool = False) -> str:
        """ "course Sales Team Management done, score 9.5; mentored 2 of 3; …" """
        texts = [
            m.text.get(lang, m.text["en"])
            for m in self.milestones
            if include_not_started or m.status != "not_started"
        ]
        return SEPARATORS.get(lang, "; ").join(texts)


# --------------------------------------------------------------------------- helpers


def _period_start(period: str) -> date:
    kind = period_kind(period)
    if kind == "day":
        return date.fromisoformat(period)
    if kind == "week":
        return date.fromisocalendar(int(period[:4]), int(period[6:]), 1)
    return date(int(period[:4]), int(period[5:7]), 1)


def _compare(value: float, op: str, threshold: float) -> bool:
    v, t = round(value, _DIGITS), round(threshold, _DIGITS)
    return {">=": v >= t, ">": v > t, "<=": v <= t, "<": v < t}[op]


def _fmt(value: float, unit: Unit, signed: bool = False) -> str:
    text = format_value(value, unit)
    return f"+{text}" if signed and round(value, _DIGITS) > 0 else text


def _of(label: Label, value: str, target: str) -> Message:
    return Message("{label} {value} of {target}", label=label, value=value, target=target)


def _course_title(catalog: MetricCatalog | None, course: str) -> Label:
    if catalog is None:
        return {"en": course, "zh": course}
    return catalog.course_label(course)


class _Window(Frozen):
    """Where today falls in a milestone's months."""

    keys: list[str]  # ledger month of every plan month of the milestone
    known: int  # plan months started by today (their data may exist)
    finished: int  # plan months ended before today
    due_soon: bool  # inside the window and due within remind_days_before days


@dataclass(frozen=True)
class _Measured:
    """A measure's state; its texts are Messages, said in every language by the caller's
    labeller once the milestone's text is chosen."""

    met: bool
    off_pace: bool
    value: float | None
    target: float | None
    text: Message
    details: list[Message] = field(default_factory=list)


# --------------------------------------------------------------------------- measures


def _window(milestone: Milestone, effective_date: date, today: date) -> _Window:
    keys = month_keys(effective_date, milestone.start_month, milestone.due_month)
    current = plan_month_at(effective_date, today)
    start = plan_month_bounds(effective_date, milestone.start_month)[0]
    due = due_date(effective_date, milestone)
    return _Window(
        keys=keys,
        known=min(max(current - milestone.start_month + 1, 0), len(keys)),
        finished=min(max(current - milestone.start_month, 0), len(keys)),
        due_soon=start <= today <= due and (due - today).days <= milestone.remind_days_before,
    )


def _per_month(
    rows: Sequence[Measurement], metric: str, rule: Literal["sum", "last"], keys: list[str]
) -> dict[str, float]:
    if not keys:
        return {}
    return dict(window_value(rows, metric, rule, keys[-1], len(keys)).per_month)


def _courses(
    measure: CoursesMeasure,
    rows: Sequence[Measurement],
    effective_date: date,
    today: date,
    window: _Window,
    catalog: MetricCatalog | None,
) -> _Measured:
    # A completion is a point fact: any completion from the plan's first month to today
    # counts, also one after the milestone's due date (late, but done).
    months = (today.year - effective_date.year) * 12 + today.month - effective_date.month + 1
    scores: dict[str, float] = {}
    if months >= 1:
        wv = window_value(rows, measure.metric, "items", today.strftime("%Y-%m"), months)
        scores = {c: s for c, s in wv.item_values.items() if c in measure.courses}
    said: list[Message] = []
    for course in measure.courses:
        title = _course_title(catalog, course)
        if course in scores:
            score = _fmt(scores[course], "score10")  # as recorded: 9.5 or 95
            said.append(Message("course {course} done, score {score}", course=title, score=score))
        else:
            said.append(Message("course {course} not done yet", course=title))
    done, target = len(scores), len(measure.courses)
    return _Measured(
        met=done == target,
        off_pace=done < target * window.finished / len(window.keys) - 1e-9,
        value=float(done),
        target=float(target),
        text=Message("{text}", text=said),  # joined as each language joins
        details=said,
    )


def _count(measure: CountMeasure, rows: Sequence[Measurement], window: _Window) -> _Measured:
    known = window.keys[: window.known]
    per_month = _per_month(rows, measure.metric, "sum", known)
    total = math.fsum(per_month.values())
    unit = measure.unit
    return _Measured(
        met=_compare(total, ">=", measure.target),
        off_pace=total < measure.target * window.finished / len(window.keys) - 1e-9,
        value=total,
        target=measure.target,
        text=_of(measure.label, _fmt(total, unit), _fmt(measure.target, unit)),
        details=[
            Message("{month}: {value}", month=k, value=_fmt(v, unit))
            for k, v in sorted(per_month.items())
        ],
    )


def _monthly(measure: MonthlyMeasure, rows: Sequence[Measurement], window: _Window) -> _Measured:
    known = window.keys[: window.known]
    per_month = _per_month(rows, measure.metric, "sum", known)
    unit, target = measure.unit, measure.target
    # No figure for a month: nobody was won for a count, unknown (so unmet) otherwise.
    values = {k: per_month.get(k, 0.0 if unit == "count" else None) for k in known}

    def month_met(key: str) -> bool:
        v = values.get(key)
        return v is not None and _compare(v, ">=", target)

    details: list[Message] = []
    for i, key in enumerate(known):
        v = values[key]
        said = {
            "month": key,
            "value": "–" if v is None else _fmt(v, unit),
            "target": _fmt(target, unit),
        }
        if month_met(key):
            month = Message("{month}: {value} of {target} ✓", **said)
        elif i < window.finished:
            month = Message("{month}: {value} of {target} ✗", **said)
        else:  # the running month: judged when it ends
            month = Message("{month}: {value} of {target} (so far)", **said)
        details.append(month)
    # The text shows the running month (the last one after the window, the first before).
    current = known[-1] if known else window.keys[0]
    value = values.get(current, 0.0 if unit == "count" else None)
    if value is None:
        text = Message(
            "{label}: no data yet (target {target})",
            label=measure.label,
            target=_fmt(target, unit),
        )
    else:
        text = _of(measure.label, _fmt(value, unit), _fmt(target, unit))
    return _Measured(
        met=len(known) == len(window.keys) and all(month_met(k) for k in known),
        off_pace=any(not month_met(k) for k in known[: window.finished]),
        value=value,
        target=target,
        text=text,
        details=details,
    )


def _metric(measure: MetricMeasure, rows: Sequence[Measurement], window: _Window) -> _Measured:
    per_month = _per_month(rows, measure.metric, "last", window.keys[: window.known])
    latest = max(per_month) if per_month else None
    value = per_month[latest] if latest else None
    passes = value is not None and _compare(value, measure.op, measure.threshold)
    unit, signed, label = measure.unit, measure.signed, measure.label
    shown_t = _fmt(measure.threshold, unit, signed)
    details: list[Message] = []
    if value is None:
        text = Message(
            "{label}: no data yet (target {sign} {target})",
            label=label,
            sign=_OP_SIGNS[measure.op],
            target=shown_t,
        )
    else:
        shown_v = _fmt(value, unit, signed)
        if measure.op == ">=":
            text = _of(label, shown_v, shown_t)
        else:
            text = Message(
                "{label} {value} (needs {sign} {target})",
                label=label,
                value=shown_v,
                sign=_OP_SIGNS[measure.op],
                target=shown_t,
            )
        details.append(Message("as of {month}", month=latest))
    return _Measured(
        # A period target: judged on the due month's figure, on pace before it.
        met=passes and latest == window.keys[-1],
        off_pace=(value is not None and not passes) or (value is None and window.finished > 0),
        value=value,
        target=measure.threshold,
        text=text,
        details=details,
    )


# --------------------------------------------------------------------------- milestones


def _confirmed_progress(
    milestone: Milestone, start: date, due: date, today: date, confirmed: Mapping[str, object]
) -> tuple[Status, Message, list[Message]]:
    label = milestone.label
    if milestone.id in confirmed:
        by = confirmed[milestone.id]
        details: list[Message] = []
        if isinstance(by, str) and by.strip():
            details.append(Message("confirmed by {person}", person=by))
        return "confirmed", Message("{label}: confirmed", label=label), details
    if today < start:
        return "not_started", Message("{label}: not started", label=label), []
    if today > due:
        return "overdue", Message("{label}: not confirmed by the due date", label=label), []
    return (
        "awaiting_confirmation",
        Message("{label}: awaiting the manager's confirmation", label=label),
        [],
    )


def _milestone_progress(
    milestone: Milestone,
    rows: Sequence[Measurement],
    effective_date: date,
    today: date,
    confirmed: Mapping[str, object],
    catalog: MetricCatalog | None,
    labels: Labeller,
) -> MilestoneProgress:
    start = plan_month_bounds(effective_date, milestone.start_month)[0]
    due = due_date(effective_date, milestone)
    measure = milestone.measure
    value: float | None = None
    target: float | None = None
    status: Status
    if measure is None:
        status, text, details = _confirmed_progress(milestone, start, due, today, confirmed)
    else:
        # Confirmations of measured milestones are ignored: the ledger is the evidence.
        window = _window(milestone, effective_date, today)
        if isinstance(measure, CoursesMeasure):
            r = _courses(measure, rows, effective_date, today, window, catalog)
        elif isinstance(measure, CountMeasure):
            r = _count(measure, rows, window)
        elif isinstance(measure, MonthlyMeasure):
            r = _monthly(measure, rows, window)
        else:
            r = _metric(measure, rows, window)
        value, target, text, details = r.value, r.target, r.text, r.details
        if r.met:
            status = "done"
        elif today < start:
            status = "not_started"
        elif today > due:
            status = "overdue"
        elif r.off_pace or window.due_soon:
            status = "behind"
        else:
            status = "on_track"
    return MilestoneProgress(
        id=milestone.id,
        kind=milestone.kind,
        label=milestone.label,
        status=status,
        start_date=start,
        due_date=due,
        value=value,
        target=target,
        text=labels(text),
        details=[labels(d) for d in details],
        suggestion=milestone.suggestion if status in ("behind", "overdue") else None,
    )


def evaluate_plan(
    milestones: Sequence[Milestone],
    measurements: Iterable[Measurement],
    effective_date: date,
    today: date,
    confirmed: Mapping[str, object],
    *,
    catalog: MetricCatalog | None = None,
    labels: Labeller,
) -> PlanProgress:
    """Every milestone's status and progress text as of `today`.

    `measurements` are one employee's (ValueError when several are mixed). `confirmed`
    maps confirmed milestone ids to whoever confirmed them (a str is shown as "confirmed
    by ..."); ids of milestones not in the plan (dropped) are ignored. `catalog` supplies
    bilingual course titles; without it course names are shown as they are. `labels`
    says the progress texts in every language (words.catalogue.in_every_language: the
    domain makes Messages and does not read the catalogue).
    """
    ids = [m.id for m in milestones]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"milestone ids must be unique, repeated: {duplicates}")
    all_rows = list(measurements)
    employees = sorted({m.employee_id for m in all_rows})
    if len(employees) > 1:
        raise ValueError(f"measurements of several employees mixed: {employees}")
    # Only what was known by today: replaying a past day gives that day's answer.
    rows = [m for m in all_rows if _period_start(m.period) <= today]
    results = [
        _milestone_progress(m, rows, effective_date, today, confirmed, catalog, labels)
        for m in milestones
    ]
    done = sum(r.is_done for r in results)
    overall: Overall
    if done == len(results):
        overall = "completed"
    elif any(r.status == "overdue" for r in results):
        overall = "overdue"
    elif any(r.status == "behind" for r in results):
        overall = "at_risk"
    else:
        overall = "on_track"
    return PlanProgress(
        effective_date=effective_date,
        as_of=today,
        milestones=results,
        overall=overall,
        done=done,
        total=len(results),
    )


def due_for_reminder(
    progress: PlanProgress, milestones: Sequence[Milestone], today: date
) -> list[MilestoneProgress]:
    """Milestones behind or awaiting confirmation whose due date is at most their
    `remind_days_before` days away (the sender de-duplicates by milestone and due date)."""
    by_id = {m.id: m for m in milestones}
    return [
        p
        for p in progress.milestones
        if p.status in ("behind", "awaiting_confirmation")
        and p.id in by_id
        and 0 <= (p.due_date - today).days <= by_id[p.id].remind_days_before
    ]
