"""The rebuild's fold of weekly cycles from their stored JSON (projections/cycle_stored.py)
gives the rows the fold of the constructed events gives (projections/cycle_fold.py),
and takes only stored dicts of the current shape. The rows through PostgreSQL, against
the handlers, are tests/test_rebuild_online.py's."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from eventsourcing.utils import get_topic, resolve_topic

from aggregates.base import command_context
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.goals import Baseline, Targets
from aggregates.weekly_cycle import Deadlines, ReportLine, WeeklyCycle
from careerflow.eventstore import OrjsonTranscoder, PydanticMapper
from projections.cycle_fold import FINISHING, FOLDS, OPENS, _cycle_row
from projections.cycle_stored import STORED, moment

MAPPER = PydanticMapper(transcoder=OrjsonTranscoder())
JSON_COLUMNS = ("targets", "plan", "report", "next_plan")
TIME_COLUMNS = ("opened_at", "plan_deadline", "report_at", "feedback_deadline", "plan_at",
                "reported_at", "feedback_at")  # fmt: skip


def _cycle(employee_id: str, week: str, agreed: dict[str, float] | None) -> WeeklyCycle:
    settings = WeeklyCycleSettings()
    weekly = {"customer_visits": 10.0, "new_customers": 4.0, "sales_amount": 23076.92}
    return WeeklyCycle(
        employee_id=employee_id,
        week=week,
        manager_id="M1",
        team_id="T1",
        targets=Targets(
            employee_id=employee_id,
            period=week,
            cascade_version=3,
            baseline=Baseline(monthly_sales=80_000, source="role_default"),
            growth_percent=20,
            monthly_sales_target=96_000,
            retention_target_percent=75,
            weekly=weekly,
        ),
        settings_version=1,
        deadlines=Deadlines(
            plan_reminder=settings.at(week, settings.plan_reminder),
            plan_deadline=settings.at(week, settings.plan_deadline),
            report_at=settings.at(week, settings.report_at),
            feedback_reminder=settings.at(week, settings.feedback_reminder),
            feedback_deadline=settings.at(week, settings.feedback_deadline),
        ),
        workflow_id=f"cycle-{employee_id}-{week}",
        agreed_plan=agreed,
    )


def _lines(plan: dict[str, float], met: bool) -> list[ReportLine]:
    text = {"en": "done \\ \t", "zh": "完成"}  # a backslash and a tab: COPY escapes them
    return [
        ReportLine(
            item=k,
            label={"en": k, "zh": k},
            planned=v,
            actual=v * 1.1 if met else v / 2,
            met=met,
            text=text,
        )
        for k, v in plan.items()
    ]


def _weeks() -> list[list[Any]]:
    """The events of four weeks: a plan on time, reported, feedback with next week's
    plan; a plan late; a plan defaulted, feedback missed; a plan agreed, reported."""
    plan = {"customer_visits": 12.0, "new_customers": 5.0, "sales_amount": 25_000.5}
    with command_context(actor="test", role="system"):
        on_time = _cycle("E1", "2030-W01", None)
        on_time.submit_plan("p1", plan, on_time.deadlines.plan_deadline)
        on_time.build_report(_lines(plan, True), 7)
        on_time.give_feedback("f1", "M1", "good week\nagain", {"customer_visits": 14.0})
        late = _cycle("E2", "2026-W01", None)
        late.submit_plan("p2", plan, late.deadlines.plan_deadline)
        defaulted = _cycle("E3", "2026-W02", None)
        defaulted.default_plan({"customer_visits": 9.0})
        defaulted.build_report(_lines({"customer_visits": 9.0}, False), 8)
        defaulted.miss_feedback()
        agreed = _cycle("E4", "2026-W02", {"customer_visits": 11.0})
        agreed.build_report(_lines({"customer_visits": 11.0}, True), 9)
    return [list(c.collect_events()) for c in (on_time, late, defaulted, agreed)]


def _comparable(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for c in JSON_COLUMNS:
        out[c] = orjson.loads(row[c]) if row[c] is not None else None
    for c in TIME_COLUMNS:
        out[c] = moment(row[c]) if row[c] is not None else None
    return out


def test_every_weekly_cycle_event_has_a_stored_fold() -> None:
    cycle_events = {k for k in [*OPENS, *FOLDS] if issubclass(k, WeeklyCycle.Event)}
    assert {resolve_topic(topic) for topic in STORED} == cycle_events
    assert {resolve_topic(t) for t, way in STORED.items() if way.finishing} == {
        k for k in FINISHING if k in cycle_events
    }


def test_the_stored_fold_gives_the_rows_of_the_event_fold() -> None:
    late: list[bool | None] = []
    for events in _weeks():
        opened, *rest = events
        slow = _cycle_row(opened)
        stored = MAPPER.to_stored_event(opened)
        state = MAPPER.decode_state(stored)
        way = STORED[stored.topic]
        assert way.accepts(state) and way.opens is not None
        fast = way.opens(stored.originator_id, state)
        for event in rest:
            FOLDS[type(event)](slow, event)
            stored = MAPPER.to_stored_event(event)
            state = MAPPER.decode_state(stored)
            way = STORED[stored.topic]
            assert way.accepts(state) and way.fold is not None
            way.fold(fast, state)
        assert _comparable(fast) == _comparable(slow)
        late.append(fast["plan_late"])
    assert late == [False, True, None, None]


def test_plan_late_is_compared_as_instants_whichever_way_the_row_was_made() -> None:
    _, late, _, _ = _weeks()
    opened, submitted = late
    fast_open = STORED[get_topic(type(opened))].opens
    fast_fold = STORED[get_topic(type(submitted))].fold
    assert fast_open is not None and fast_fold is not None
    for row in (_cycle_row(opened), fast_open(opened.originator_id, _state(opened))):
        for fold in ("event", "stored"):
            again = dict(row)
            if fold == "event":
                FOLDS[type(submitted)](again, submitted)
            else:
                fast_fold(again, _state(submitted))
            assert again["plan_late"] is True


def _state(event: Any) -> dict[str, Any]:
    return MAPPER.decode_state(MAPPER.to_stored_event(event))


def test_older_shapes_are_not_folded_from_their_stored_dicts() -> None:
    on_time, _, defaulted_week, _ = _weeks()
    opened, submitted, reported, _ = on_time
    defaulted = defaulted_week[1]

    def refused(event: Any, change: Any) -> bool:
        state = copy.deepcopy(_state(event))
        assert STORED[get_topic(type(event))].accepts(state)
        change(state)
        return not STORED[get_topic(type(event))].accepts(state)

    # A nested field with a default missing (Baseline.months), a top-level one (meta,
    # PlanDefaulted.agreed), a key of a newer or older model (a report line's).
    assert refused(opened, lambda s: s["targets"]["baseline"].pop("months"))
    assert refused(opened, lambda s: s["deadlines"].pop("plan_reminder"))
    assert refused(submitted, lambda s: s.pop("meta"))
    assert refused(defaulted, lambda s: s.pop("agreed"))
    assert refused(reported, lambda s: s["lines"][-1].update(unit="count"))
    assert refused(opened, lambda s: s["targets"].update(note="old"))
