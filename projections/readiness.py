"""Readiness read model: each employee's potential score and distance to the next rung.

It depends on other employees' data too (the evaluation month, top-percent rankings), so
projections mark employees dirty in the transaction that changed their inputs and this
refresher recomputes them in batches; the result depends only on the projected rows, so
a rebuild reproduces it exactly."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import psycopg
from psycopg import Connection
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from aggregates.assessment import Assessment, PolicySet, VersionedCriteria, assess
from aggregates.calendar_periods import months_back
from aggregates.documents import (
    Measurement,
    MetricCatalog,
    PotentialWeights,
    PromotionCriteria,
    parse_document,
)
from aggregates.evaluation import percentile_ranks
from aggregates.kpi_weights import KpiWeights
from aggregates.ladder import Role, next_role
from careerflow.config import PostgresSettings
from projections.metrics import EVERYONE
from words.catalogue import in_every_language

REFRESH_LOCK_KEY = 0x6361726565720002


def load_policy_set(conn: Connection[DictRow]) -> PolicySet | None:
    """The latest published version of each readiness-relevant document."""
    rows = conn.execute(
        "SELECT DISTINCT ON (kind, key) kind, key, version, document FROM rm_policy "
        "WHERE kind IN ('metric_catalog', 'potential_weights', 'kpi_weights', "
        "'promotion_criteria') ORDER BY kind, key, version DESC"
    ).fetchall()
    catalog = weights = kpis = None
    catalog_version = weights_version = 0
    kpis_version: int | None = None
    criteria: dict[Role, VersionedCriteria] = {}
    for row in rows:
        if row["kind"] == "kpi_weights":
            if row["key"] == "default":
                kpis, kpis_version = KpiWeights.model_validate(row["document"]), row["version"]
            continue
        doc = parse_document(row["document"])
        if isinstance(doc, MetricCatalog) and row["key"] == "default":
            catalog, catalog_version = doc, row["version"]
        elif isinstance(doc, PotentialWeights) and row["key"] == "default":
            weights, weights_version = doc, row["version"]
        elif isinstance(doc, PromotionCriteria):
            criteria[doc.target_role] = VersionedCriteria(version=row["version"], document=doc)
    if catalog is None or weights is None:
        return None
    return PolicySet(
        catalog=catalog,
        catalog_version=catalog_version,
        weights=weights,
        weights_version=weights_version,
        kpis=kpis,
        kpis_version=kpis_version,
        criteria=criteria,
    )


def latest_month(conn: Connection[DictRow]) -> str | None:
    row = conn.execute(
        "SELECT max(period) AS m FROM rm_measurement WHERE period ~ '^[0-9]{4}-[0-9]{2}$'"
    ).fetchone()
    return row["m"] if row else None


def load_measurements(conn: Connection[DictRow], ids: list[str]) -> dict[str, list[Measurement]]:
    found: dict[str, list[Measurement]] = defaultdict(list)
    cursor = conn.execute(
        "SELECT employee_id, period, metric, item, value, source FROM rm_measurement "
        "WHERE employee_id = ANY(%s) ORDER BY employee_id, ledger_version",
        (ids,),
    )
    for r in cursor:
        found[r["employee_id"]].append(
            Measurement(
                employee_id=r["employee_id"],
                period=r["period"],
                metric=r["metric"],
                value=r["value"],
                item=r["item"] or None,
                source=r["source"],
            )
        )
    return found


def role_percentiles(
    conn: Connection[DictRow], metric: str, role: Role, months: list[str], direction: str
) -> dict[str, dict[str, float]]:
    """employee -> month -> percentile among active peers of the same role."""
    by_month: dict[str, dict[str, float | None]] = defaultdict(dict)
    cursor = conn.execute(
        "SELECT m.employee_id, m.period, m.value FROM rm_measurement m "
        "JOIN rm_employee e USING (employee_id) "
        "WHERE m.metric = %s AND m.period = ANY(%s) AND e.role = %s AND e.active",
        (metric, months, role.value),
    )
    for r in cursor:
        by_month[r["period"]][r["employee_id"]] = r["value"]
    result: dict[str, dict[str, float]] = defaultdict(dict)
    for month, values in by_month.items():
        for employee, pct in percentile_ranks(values, direction).items():
            result[employee][month] = pct
    return result


def assess_employees(
    conn: Connection[DictRow],
    policies: PolicySet,
    roles: dict[str, Role],
    as_of: str | None,
) -> dict[str, Assessment]:
    """Each employee's readiness under `policies` from the projected rows: the refresher
    uses the documents in force, a what-if a draft in their place."""
    measurements = load_measurements(conn, list(roles))
    percentile_cache: dict[tuple[str, Role], dict[str, dict[str, float]]] = {}
    assessment_month = as_of or "1970-01"
    out: dict[str, Assessment] = {}
    for employee_id, role in roles.items():
        percentiles: dict[str, dict[str, float]] = {}
        target = next_role(role)
        for metric in sorted(policies.streak_metrics(target)):
            key = (metric, role)
            if key not in percentile_cache:
                definition = policies.catalog.metrics.get(metric)
                percentile_cache[key] = role_percentiles(
                    conn,
                    metric,
                    role,
                    months_back(assessment_month, 12),
                    definition.direction if definition else "higher",
                )
            percentiles[metric] = percentile_cache[key].get(employee_id, {})
        out[employee_id] = assess(
            employee_id,
            role,
            measurements.get(employee_id, []),
            policies,
            assessment_month,
            percentiles,
            labels=in_every_language,
        )
    return out


class ReadinessRefresher:
    def __init__(self, pg: PostgresSettings) -> None:
        self.pg = pg
        self._conn: Connection[DictRow] | None = None

    def _connection(self) -> Connection[DictRow]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.pg.conninfo(), row_factory=dict_row)
            if self.pg.schema_name:
                self._conn.execute(f'SET search_path TO "{self.pg.schema_name}"')
                self._conn.commit()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def pending(self) -> int:
        """Employees still waiting for a recompute (own connection: any thread may ask)."""
        with psycopg.connect(self.pg.conninfo(), autocommit=True, row_factory=dict_row) as conn:
            if self.pg.schema_name:
                conn.execute(f'SET search_path TO "{self.pg.schema_name}"')
            try:
                row = conn.execute("SELECT count(*) AS n FROM rm_readiness_dirty").fetchone()
            except psycopg.errors.UndefinedTable:
                return 0
        return int(row["n"]) if row else 0

    def refresh_all(self) -> int:
        total = 0
        while (n := self.refresh_batch()) > 0:
            total += n
        return total

    def refresh_batch(self, limit: int = 500) -> int:
        """Recomputes up to `limit` dirty employees; returns how many were handled."""
        conn = self._connection()
        try:
            return self._refresh(conn, limit)
        except psycopg.errors.UndefinedTable:
            conn.rollback()
            return 0  # the projections have not created the tables yet

    def _refresh(self, conn: Connection[DictRow], limit: int) -> int:
        # One refresher at a time, over the three steps below; it blocks no projection.
        conn.execute("SELECT pg_advisory_lock(%s)", (REFRESH_LOCK_KEY,))
        conn.commit()
        try:
            with conn.transaction():
                everyone = self._expand_everyone(conn)
            # Reading and computing hold no lock a projection could wait for: a mark made
            # meanwhile updates its row's `marked`, and only the marks read here, still
            # as read, are deleted with the results (a projection marking one of them
            # again leaves it for the next batch). The old way claimed the marks first
            # and held them while computing: a projection marking one waited that long.
            with conn.transaction():
                marks = conn.execute(
                    "SELECT employee_id, marked FROM rm_readiness_dirty "
                    'ORDER BY employee_id COLLATE "C" LIMIT %s',
                    (limit,),
                ).fetchall()
                if not marks:
                    return everyone
                ids = [m["employee_id"] for m in marks]
                computed = self._compute(conn, ids)
            with conn.transaction():
                self._store(conn, ids, computed)
                # Rows a projection holds (marking them again) are skipped, not waited for.
                conn.execute(
                    "DELETE FROM rm_readiness_dirty WHERE (employee_id, marked) IN ("
                    "SELECT employee_id, marked FROM rm_readiness_dirty "
                    "WHERE (employee_id, marked) IN (SELECT * FROM unnest(%s::text[], "
                    "%s::timestamptz[])) FOR UPDATE SKIP LOCKED)",
                    (ids, [m["marked"] for m in marks]),
                )
            return len(ids)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (REFRESH_LOCK_KEY,))
            conn.commit()

    def _expand_everyone(self, conn: Connection[DictRow]) -> int:
        """A '*' mark becomes a mark for every employee (ascending, as every marker)."""
        if not conn.execute(
            "SELECT 1 FROM rm_readiness_dirty WHERE employee_id = %s", (EVERYONE,)
        ).fetchone():
            return 0
        conn.execute(
            "INSERT INTO rm_readiness_dirty SELECT employee_id FROM rm_employee "
            'ORDER BY employee_id COLLATE "C" '
            "ON CONFLICT (employee_id) DO UPDATE SET marked = clock_timestamp()"
        )
        return conn.execute(
            "DELETE FROM rm_readiness_dirty WHERE employee_id = %s", (EVERYONE,)
        ).rowcount

    def _compute(self, conn: Connection[DictRow], ids: list[str]) -> list[tuple[Any, ...]]:
        policies = load_policy_set(conn)
        as_of = latest_month(conn)
        employees = {
            r["employee_id"]: r
            for r in conn.execute(
                "SELECT employee_id, role, team_id, active FROM rm_employee "
                "WHERE employee_id = ANY(%s)",
                (ids,),
            )
        }
        computed: list[tuple[Any, ...]] = []
        if policies is not None:
            active = [e for e in ids if e in employees and employees[e]["active"]]
            roles = {e: Role(employees[e]["role"]) for e in active}
            for employee_id, a in assess_employees(conn, policies, roles, as_of).items():
                computed.append(
                    (
                        employee_id,
                        employees[employee_id]["team_id"],
                        a.role.value,
                        as_of,
                        a.potential.total,
                        Jsonb(a.potential.model_dump(mode="json")),
                        a.next_role.value if a.next_role else None,
                        a.evaluation.eligible if a.evaluation else None,
                        len(a.evaluation.unmet()) if a.evaluation else None,
                        Jsonb(a.evaluation.model_dump(mode="json")) if a.evaluation else None,
                        Jsonb(a.policy_versions),
                    )
                )
        return computed

    def _store(
        self, conn: Connection[DictRow], ids: list[str], computed: list[tuple[Any, ...]]
    ) -> None:
        conn.execute("DELETE FROM rm_readiness WHERE employee_id = ANY(%s)", (ids,))
        if computed:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rm_readiness VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    computed,
                )
