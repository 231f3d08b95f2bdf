"""The set-based rebuild of the cycles projection (96% of a store's events; and of the
metrics projection's measurements, at the end): each
aggregate's events folded in memory into its final row, the rows loaded with COPY into
the shadow tables, constraints and indexes built after the load.

The folds mirror projections/cycles.py's handlers column for column (the rebuild tests
compare the result with a from-zero rebuild through the handlers, md5 over each table).
A weekly cycle's event of the current shape is folded from its stored JSON without
being constructed (projections/cycle_stored.py); any other event is constructed first.
An event of the projection that has no fold here, or one for an aggregate whose row was
already written out, is applied afterwards through its handler, in log order: correct
for any event, just not set-based."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
import psycopg
from eventsourcing.persistence import Mapper, Notification
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb, set_json_dumps
from pydantic import TypeAdapter

from aggregates.cycle_launch import CycleLaunch, launch_key
from aggregates.metric_ledger import MetricLedger
from aggregates.month_close import MonthClose, month_close_key
from aggregates.weekly_cycle import ReportLine, WeeklyCycle, cycle_key
from careerflow.eventstore import PydanticMapper
from projections.base import Apply, event_of
from projections.cycle_stored import PENDING, STORED, moment, week_month
from projections.cycles import LAUNCH_TABLE, MONTH_STATEMENT_TABLE, CyclesProjection, _json

Row = dict[str, Any]
Fold = Callable[[Row, Any], None]

CYCLE_TABLE = "rm_cycle"
# Rows kept in memory before the oldest half is written out (a week's rows finish with
# its feedback and are written at once; this only bounds a pathological log).
MAX_OPEN = 50_000


_LINES = TypeAdapter(list[ReportLine])


def _text(value: Any) -> str:
    """A pydantic model (or a plain value) as JSON text for a jsonb column of the COPY:
    pydantic's JSON mode, the same values as projections/cycles.py's `_json`, without
    building the Python objects first."""
    if hasattr(value, "model_dump_json"):
        return str(value.model_dump_json())
    return orjson.dumps(value).decode()


def _cycle_row(e: Any) -> Row:
    agreed = dict(e.agreed_plan) if e.agreed_plan else None
    return {
        "cycle_id": cycle_key(e.employee_id, e.week),
        "aggregate_id": e.originator_id,
        "workflow_id": e.workflow_id,
        "employee_id": e.employee_id,
        "week": e.week,
        "month": week_month(e.week),
        "manager_id": e.manager_id,
        "team_id": e.team_id,
        "targets": _text(e.targets),
        "settings_version": e.settings_version,
        "opened_at": e.timestamp,
        "plan_deadline": e.deadlines.plan_deadline,
        "report_at": e.deadlines.report_at,
        "feedback_deadline": e.deadlines.feedback_deadline,
        "plan": _text(agreed) if agreed else None,
        "plan_source": "agreed" if agreed else None,
        **PENDING,
    }


def _statement_row(e: Any) -> Row:
    return {
        "statement_id": month_close_key(e.employee_id, e.month),
        "aggregate_id": e.originator_id,
        "employee_id": e.employee_id,
        "month": e.month,
        "manager_id": e.manager_id,
        "team_id": e.team_id,
        "targets": _json(e.targets),
        "ledger_version": e.ledger_version,
        "closed_at": e.timestamp,
        "bonus_amount": None,
        "bonus_currency": None,
        "bonus_target_met": None,
        "bonus_rules_version": None,
        "bonus_inputs": None,
        "bonus_lines": None,
        "commission_amount": None,
        "commission_currency": None,
        "commission_rules_version": None,
        "commission_inputs": None,
        "commission_lines": None,
        "training_rules_version": None,
        "training_checks": Jsonb([]),
        "recommendations": Jsonb([]),
    }


def _launch_row(e: Any) -> Row:
    return {
        "launch_id": launch_key(e.kind, e.period),
        "aggregate_id": e.originator_id,
        "kind": e.kind,
        "period": e.period,
        "workflow_id": e.workflow_id,
        "launched_by": getattr(e, "launched_by", None),
        "launched_at": e.timestamp,
        "finished_at": None,
        "started": 0,
        "skipped": 0,
    }


def _launch_finished(row: Row, e: Any) -> None:
    if row["finished_at"] is None:
        row.update(finished_at=e.timestamp, started=e.started, skipped=e.skipped)


def _plan_submitted(row: Row, e: Any) -> None:
    row.update(
        plan=_text(dict(e.items)),
        plan_source="submitted",
        plan_revisions=e.revision,
        plan_at=e.timestamp,
        plan_late=e.timestamp > moment(row["plan_deadline"]),
    )


def _plan_defaulted(row: Row, e: Any) -> None:
    row.update(
        plan=_text(dict(e.items)),
        plan_source="agreed" if e.agreed else "defaulted",
        plan_at=e.timestamp,
        plan_late=None,
    )


def _report_built(row: Row, e: Any) -> None:
    row.update(
        report=_LINES.dump_json(list(e.lines)).decode(),
        met=sum(1 for line in e.lines if line.met),
        total=len(e.lines),
        report_ledger_version=e.ledger_version,
        reported_at=e.timestamp,
    )


def _feedback_given(row: Row, e: Any) -> None:
    row.update(
        feedback_status="given",
        feedback=e.text,
        feedback_by=e.by,
        feedback_at=e.timestamp,
        next_plan=_text(dict(e.next_plan)) if e.next_plan else None,
    )


def _feedback_missed(row: Row, e: Any) -> None:
    row.update(feedback_status="missed", feedback_at=e.timestamp)


def _bonus(row: Row, e: Any) -> None:
    r = e.result
    row.update(
        bonus_amount=r.amount,
        bonus_currency=r.currency,
        bonus_target_met=r.target_met,
        bonus_rules_version=r.rules_version,
        bonus_inputs=_json(r.inputs),
        bonus_lines=_json(r.lines),
    )


def _commission(row: Row, e: Any) -> None:
    r = e.result
    row.update(
        commission_amount=r.amount,
        commission_currency=r.currency,
        commission_rules_version=r.rules_version,
        commission_inputs=_json(r.inputs),
        commission_lines=_json(r.lines),
    )


def _training_checked(row: Row, e: Any) -> None:
    row.update(training_rules_version=e.rules_version, training_checks=_json(list(e.checks)))


def _training_recommended(row: Row, e: Any) -> None:
    added = _json([e.recommendation])
    assert added is not None
    row.update(
        training_rules_version=e.rules_version,
        recommendations=Jsonb([*row["recommendations"].obj, *added.obj]),
    )


OPENS: dict[type, tuple[str, Callable[[Any], Row]]] = {
    event_of(WeeklyCycle, "Opened"): (CYCLE_TABLE, _cycle_row),
    event_of(MonthClose, "Opened"): (MONTH_STATEMENT_TABLE, _statement_row),
    event_of(CycleLaunch, "Started"): (LAUNCH_TABLE, _launch_row),
}
FOLDS: dict[type, Fold] = {
    event_of(WeeklyCycle, "PlanSubmitted"): _plan_submitted,
    event_of(WeeklyCycle, "PlanDefaulted"): _plan_defaulted,
    event_of(WeeklyCycle, "ReportBuilt"): _report_built,
    event_of(WeeklyCycle, "FeedbackGiven"): _feedback_given,
    event_of(WeeklyCycle, "FeedbackMissed"): _feedback_missed,
    event_of(MonthClose, "BonusComputed"): _bonus,
    event_of(MonthClose, "CommissionComputed"): _commission,
    event_of(MonthClose, "TrainingRulesChecked"): _training_checked,
    event_of(MonthClose, "TrainingRecommended"): _training_recommended,
    event_of(CycleLaunch, "Finished"): _launch_finished,
}
# After these a week's (or a launch's) row changes no more: written out at once.
FINISHING = {
    event_of(WeeklyCycle, "FeedbackGiven"),
    event_of(WeeklyCycle, "FeedbackMissed"),
    event_of(CycleLaunch, "Finished"),
}
KEYS = {CYCLE_TABLE: "cycle_id", MONTH_STATEMENT_TABLE: "statement_id", LAUNCH_TABLE: "launch_id"}


class _Loader:
    """One COPY stream into one shadow table (its own connection and transaction)."""

    def __init__(self, conn: psycopg.Connection[Any], table: Identifier, columns: list[str]):
        self.conn = conn
        self.table = table
        self.columns = columns
        self.values = itemgetter(*columns)  # a row's values in column order, as a tuple
        self.rows = 0
        self.copy: Any = None
        self._cm: Any = None

    def write(self, row: Row) -> None:
        if self.copy is None:
            cols = SQL(", ").join(Identifier(c) for c in self.columns)
            cursor = self.conn.cursor()
            self._cm = cursor.copy(SQL("COPY {0} ({1}) FROM STDIN").format(self.table, cols))
            self.copy = self._cm.__enter__()
        values = self.values(row)
        self.copy.write_row(values if len(self.columns) > 1 else (values,))
        self.rows += 1

    def finish(self) -> None:
        if self.copy is not None:
            self._cm.__exit__(None, None, None)
            self.copy = None
        self.conn.commit()


@dataclass
class CycleFold:
    """Folds the cycles application's events into rows and streams them into the shadow
    tables; `late` collects the (notification id, change) pairs to apply afterwards."""

    projection: CyclesProjection
    loaders: dict[str, _Loader]
    open: dict[Any, tuple[str, Row]] = field(default_factory=dict)
    written: set[Any] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)
    late: list[tuple[int, Apply | None]] = field(default_factory=list)

    def add_stored(self, notification: Notification, mapper: PydanticMapper) -> None:
        """A stored event: a weekly cycle's of the current shape folded from its stored
        dict (projections/cycle_stored.py), any other constructed and `add`ed."""
        way = STORED.get(notification.topic)
        if way is not None:
            state = mapper.decode_state(notification)
            if way.accepts(state):
                aggregate = notification.originator_id
                if way.opens is not None:
                    self._open(CYCLE_TABLE, aggregate, way.opens(aggregate, state))
                    return
                held = self.open.get(aggregate)
                if held is not None and way.fold is not None:
                    way.fold(held[1], state)
                    if way.finishing:
                        self._write(aggregate)
                    return
        # Not folded here (an older shape, no open row): the event itself, as always.
        self.add(notification.id, mapper.to_domain_event(notification))

    def add(self, notification_id: int, event: Any) -> None:
        kind = type(event)
        aggregate = event.originator_id
        opens = OPENS.get(kind)
        if opens is not None:
            table, make = opens
            self._open(table, aggregate, make(event))
            return
        fold = FOLDS.get(kind)
        held = self.open.get(aggregate)
        if fold is not None and held is not None:
            fold(held[1], event)
            if kind in FINISHING:
                self._write(aggregate)
            return
        change = self.projection.change_for(event)
        if change is None:
            return  # no handler (or no row: an UPDATE that would find nothing)
        if held is not None:
            self._write(aggregate)  # its row first, then this event on top of it
        if fold is None or aggregate in self.written:
            self.late.append((notification_id, change))

    def _open(self, table: str, aggregate: Any, row: Row) -> None:
        seen = self.keys.setdefault(table, set())
        # ON CONFLICT DO NOTHING: the first row of a key or an aggregate stays.
        if row[KEYS[table]] in seen or aggregate in self.open or aggregate in self.written:
            return
        seen.add(row[KEYS[table]])
        self.open[aggregate] = (table, row)
        self._bound()

    def _write(self, aggregate: Any) -> None:
        table, row = self.open.pop(aggregate)
        self.loaders[table].write(row)
        self.written.add(aggregate)

    def _bound(self) -> None:
        if len(self.open) > MAX_OPEN:
            for aggregate in list(self.open)[: MAX_OPEN // 2]:
                self._write(aggregate)

    def finish(self) -> int:
        """Writes out every row still open; returns the rows loaded."""
        for aggregate in list(self.open):
            self._write(aggregate)
        for loader in self.loaders.values():
            loader.finish()
        return sum(loader.rows for loader in self.loaders.values())


def columns_of(conn: psycopg.Connection[Any], schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return [r[0] for r in rows]


def without_indexes(conn: psycopg.Connection[Any], schema: str, table: str) -> list[str]:
    """Drops the (empty) table's constraints and indexes, returning the statements that
    make them again: loading first and indexing after is several times faster."""
    relation = f'"{schema}"."{table}"'
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY conname",
        (relation,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
        "ORDER BY c.relname",
        (relation,),
    ).fetchall()
    target = Identifier(schema, table)
    again: list[str] = []
    for name, definition in indexes:
        conn.execute(SQL("DROP INDEX {0}").format(Identifier(schema, name)))
        again.append(definition)
    for name, definition in constraints:
        conn.execute(SQL("ALTER TABLE {0} DROP CONSTRAINT {1}").format(target, Identifier(name)))
        again.insert(
            0,
            SQL("ALTER TABLE {0} ADD CONSTRAINT {1} ")
            .format(target, Identifier(name))
            .as_string(conn)
            + definition,
        )
    conn.commit()
    return again


TABLES = [CYCLE_TABLE, MONTH_STATEMENT_TABLE, LAUNCH_TABLE]


def _connect(conninfo: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(conninfo)
    # jsonb the same (jsonb keeps values, not text), several times faster to write.
    set_json_dumps(lambda obj: orjson.dumps(obj).decode(), context=conn)
    return conn


def unindexed(conninfo: str, schema: str) -> dict[str, list[str]]:
    """Drops the shadow tables' constraints and indexes before a load; per table, the
    statements that make them again (`reindexed`)."""
    with psycopg.connect(conninfo) as conn:
        return {t: without_indexes(conn, schema, t) for t in TABLES}


def reindexed(conninfo: str, again: dict[str, list[str]]) -> None:
    with psycopg.connect(conninfo) as conn:
        for statements in again.values():
            for statement in statements:
                conn.execute(statement.encode())
        conn.commit()


def fold_into(
    conninfo: str,
    schema: str,
    projection: CyclesProjection,
    stored: Iterable[Notification],
    mapper: Mapper[Any],
) -> tuple[int, list[tuple[int, Apply | None]]]:
    """Folds the `stored` events (in log order, decoded by the application's `mapper`)
    into the shadow tables of `schema` (their indexes dropped), one COPY stream per table;
    returns the rows loaded and the changes left to the handlers. Several processes may
    each fold the events of their own aggregates at once."""
    assert isinstance(mapper, PydanticMapper)
    conns = {t: _connect(conninfo) for t in TABLES}
    try:
        loaders = {
            t: _Loader(conns[t], Identifier(schema, t), columns_of(conns[t], schema, t))
            for t in TABLES
        }
        fold = CycleFold(projection, loaders)
        add = fold.add_stored
        for notification in stored:
            add(notification, mapper)
        return fold.finish(), fold.late
    finally:
        for conn in conns.values():
            conn.close()


def load_cycles(
    conninfo: str,
    schema: str,
    projection: CyclesProjection,
    stored: Iterable[Notification],
    mapper: Mapper[Any],
) -> tuple[int, list[tuple[int, Apply | None]]]:
    """Folds the `stored` events (see `fold_into`) into the empty shadow tables of
    `schema`, then builds their constraints and indexes; returns the rows loaded and the
    changes still to apply through the handlers, in log order."""
    again = unindexed(conninfo, schema)
    rows, late = fold_into(conninfo, schema, projection, stored, mapper)
    reindexed(conninfo, again)
    return rows, late


def _is(event: Any, kind: type) -> bool:
    return type(event) is kind


def load_measurements(
    conninfo: str, schema: str, events: Iterable[tuple[int, Any]]
) -> tuple[int, list[tuple[int, Apply | None]]]:
    """The metrics projection set-based: each (employee, period, metric, item) keeps its
    last recorded value (projections/metrics.py upserts in log order), loaded with COPY,
    indexes after. Its readiness marks are not needed: the switch marks everyone."""
    recorded = event_of(MetricLedger, "MetricsRecorded")
    latest: dict[tuple[str, str, str, str], tuple[Any, ...]] = {}
    for _, e in events:
        if not _is(e, recorded):
            continue  # a ledger's opening only advances tracking
        for m in e.measurements:
            key = (m.employee_id, m.period, m.metric, m.item or "")
            latest[key] = (*key, m.value, m.source, e.batch_id, e.originator_version)
    table = "rm_measurement"
    with psycopg.connect(conninfo) as conn:
        again = without_indexes(conn, schema, table)
        columns = ["employee_id", "period", "metric", "item", "value", "source", "batch_id"]
        columns.append("ledger_version")
        loader = _Loader(conn, Identifier(schema, table), columns)
        for row in latest.values():
            loader.write(dict(zip(columns, row, strict=True)))
        loader.finish()
        for statement in again:
            conn.execute(statement.encode())
        conn.commit()
    return len(latest), []
