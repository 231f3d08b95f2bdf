"""Projection check: rebuild every read model from the events into a scratch schema, with
the same projections, and diff it against the live read model table by table, row by row
(by primary key), naming each differing column. The scratch schema is dropped after."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier
from pydantic import BaseModel

from careerflow.principal import AccessRole, Principal
from projections.cycles import MONTH_STATEMENT_TABLE
from projections.runner import PROJECTIONS, ReadModels, scratch_schema
from projections.schema import READ_MODEL_TABLES
from projections.visibility import PAY_FIELDS, sees_pay
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService
    from careerflow.store import Store

MAX_SHOWN = 200
# The read-model columns that hold pay (projections.visibility.PAY_FIELDS of the bonus
# and the commission): a difference there is named, its values only shown to who sees pay.
PAY_COLUMNS = {
    MONTH_STATEMENT_TABLE: {f"{kind}_{f}" for kind in ("bonus", "commission") for f in PAY_FIELDS}
}


class RowDifference(BaseModel):
    table: str
    key: dict[str, Any]
    problem: str  # "missing in live" | "missing in rebuild" | "differs"
    columns: dict[str, dict[str, Any]]
    """For "differs": column -> {"live": ..., "rebuilt": ...}."""


class ProjectionCheckReport(BaseModel):
    ok: bool
    rows_compared: dict[str, int]
    differences: list[RowDifference]
    difference_count: int
    live_positions: dict[str, int]
    rebuilt_positions: dict[str, int]
    pay_redacted: bool = False
    """Pay columns differ, and their values are hidden from the caller."""


def check_projections(
    store: Store, history: HistoryService, principal: Principal, timeout: float = 600.0
) -> ProjectionCheckReport:
    principal.require(
        AccessRole.auditor,
        AccessRole.hr,
        AccessRole.system,
        action=Message("check the read models"),
    )
    pg = store.pg
    live = pg.schema_name or "public"
    scratch = scratch_schema("check")
    with psycopg.connect(pg.conninfo(), autocommit=True, row_factory=dict_row) as conn:
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(scratch)))
        try:
            # The events stay where they are; each projection's view (and tracking table)
            # goes to the scratch schema, named by the projection's own env prefix.
            env = dict(store.env)
            env.update({f"{p.name.upper()}_POSTGRES_SCHEMA": scratch for _, p in PROJECTIONS})
            rebuilt = ReadModels(pg.model_copy(update={"schema_name": scratch}), env)
            with rebuilt:
                rebuilt.wait_caught_up(store.applications(), timeout=timeout)
            report = _redacted(_diff(conn, live, scratch), principal)
            report.live_positions = _positions(conn, live)
            report.rebuilt_positions = _positions(conn, scratch)
        finally:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(scratch)))
    history.record(
        principal,
        "projection-check",
        "read models",
        f"{report.difference_count} differences in {sum(report.rows_compared.values())} rows",
    )
    return report


def _redacted(report: ProjectionCheckReport, principal: Principal) -> ProjectionCheckReport:
    """Values of pay columns emptied unless the caller sees pay (this check is for HR and
    auditors, so nobody's manager chain is asked)."""
    if sees_pay(principal, "", lambda: ()):
        return report
    for difference in report.differences:
        for column in PAY_COLUMNS.get(difference.table, set()) & difference.columns.keys():
            difference.columns[column] = {"live": None, "rebuilt": None}
            report.pay_redacted = True
    return report


def _positions(conn: psycopg.Connection[Any], schema: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for _, projection in PROJECTIONS:
        table = Identifier(schema, f"{projection.name}_tracking")
        try:
            row = conn.execute(
                SQL("SELECT max(notification_id) AS n FROM {0}").format(table)
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            continue
        out[projection.name] = int(row["n"] or 0) if row else 0
    return out


def _primary_key(conn: psycopg.Connection[Any], schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey, a.attnum)",
        (f'"{schema}"."{table}"',),
    ).fetchall()
    return [r["attname"] for r in rows]


def _diff(conn: psycopg.Connection[Any], live: str, scratch: str) -> ProjectionCheckReport:
    differences: list[RowDifference] = []
    count = 0
    compared: dict[str, int] = {}
    for table in READ_MODEL_TABLES:
        key = _primary_key(conn, live, table)
        a, b = Identifier(live, table), Identifier(scratch, table)
        total = conn.execute(SQL("SELECT count(*) AS n FROM {0}").format(a)).fetchone()
        compared[table] = int(total["n"]) if total else 0
        only_live = conn.execute(SQL("SELECT * FROM {0} EXCEPT ALL SELECT * FROM {1}").format(a, b))
        live_rows = only_live.fetchall()
        rebuilt_rows = conn.execute(
            SQL("SELECT * FROM {0} EXCEPT ALL SELECT * FROM {1}").format(b, a)
        ).fetchall()

        def ident(row: dict[str, Any], key: list[str] = key) -> tuple[Any, ...]:
            return tuple(row[k] for k in key) if key else tuple(row.items())

        rebuilt_by_key = {ident(r): r for r in rebuilt_rows}
        for row in live_rows:
            other = rebuilt_by_key.pop(ident(row), None)
            count += 1
            if other is None:
                problem, columns = "missing in rebuild", {}
            else:
                problem = "differs"
                columns = {
                    c: {"live": row[c], "rebuilt": other[c]} for c in row if row[c] != other[c]
                }
            if len(differences) < MAX_SHOWN:
                differences.append(
                    RowDifference(
                        table=table,
                        key={k: row[k] for k in key},
                        problem=problem,
                        columns=columns,
                    )
                )
        for row in rebuilt_by_key.values():
            count += 1
            if len(differences) < MAX_SHOWN:
                differences.append(
                    RowDifference(
                        table=table, key={k: row[k] for k in key}, problem="missing in live",
                        columns={},
                    )
                )  # fmt: skip
    return ProjectionCheckReport(
        ok=count == 0,
        rows_compared=compared,
        differences=differences,
        difference_count=count,
        live_positions={},
        rebuilt_positions={},
    )
