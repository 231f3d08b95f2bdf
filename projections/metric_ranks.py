"""The per-month ranking of each metric among active peers of a role (`rm_metric_rank`):
kept by the metrics projection (values) and the people projection (role, active), read
for one employee by a promotion report in two index counts per month instead of loading
every peer's measurements (projections.readiness.role_percentiles, which the refresher
still uses for everyone at once; both give the same percentiles: tests/test_metric_ranks.py).

Consistency between the two projections: each takes the same transaction-scoped advisory
lock before its batch writes anything (`RankingLock`), so their batches run one after
the other: whichever commits first, the second sees its rows (READ COMMITTED: every
statement after the lock has a new snapshot), and a value is never left with a stale
role. Taken first, before any other row lock, it adds no lock cycle (taken later, it
deadlocked against the readiness marks both projections write)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from aggregates.evaluation import percentile_of_rank, rank_key
from aggregates.ladder import Role
from projections.base import Apply, EventHandlers

RANK_LOCK_KEY = 0x6361726565720010  # "career" + 16 (1-3: runner, refresher, schema)

Value = tuple[str, str, str, float]
"""(metric, month, employee_id, value) of one current measurement."""


def lock_ranking(curs: Cursor[DictRow]) -> None:
    curs.execute("SELECT pg_advisory_xact_lock(%s)", (RANK_LOCK_KEY,))


class RankingLock(EventHandlers):
    """A batch with an event of `ranking_events` (empty: any event) takes the ranking
    lock at its first change, before anything else is written; other batches do not (a
    projection held behind does not hold the other one's moves and renames)."""

    ranking_events: ClassVar[tuple[type, ...]] = ()

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        self._lock_batch = not self.ranking_events or any(
            isinstance(event, self.ranking_events) for event, _ in batch
        )
        super().process_batch(batch)

    def begin_batch(self) -> None:
        super().begin_batch()
        self._ranking_locked = False

    def change_for(self, domain_event: Any) -> Apply | None:
        change = super().change_for(domain_event)
        if change is None or not getattr(self, "_lock_batch", True):
            return change

        def locked(curs: Cursor[DictRow]) -> None:
            if not getattr(self, "_ranking_locked", False):
                lock_ranking(curs)
                self._ranking_locked = True
            change(curs)

        return locked


def record_values(
    curs: Cursor[DictRow], ranks: Identifier, employees: Identifier, values: Iterable[Value]
) -> None:
    """The metrics projection's part: upserts these values with each employee's role and
    `active` as projected now (none yet: no role, inactive until the people projection
    records them). The last value of a key wins, as the measurement rows' upsert does."""
    latest: dict[tuple[str, str, str], float] = {}
    for metric, month, employee_id, value in values:
        latest[(metric, month, employee_id)] = rank_key(value)
    if not latest:
        return
    keys = list(latest)
    curs.execute(
        SQL(
            "INSERT INTO {0} (metric, period, employee_id, role, active, value) "
            "SELECT v.metric, v.period, v.employee_id, e.role, coalesce(e.active, false), v.value "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::float8[]) "
            "AS v(metric, period, employee_id, value) "
            "LEFT JOIN {1} e USING (employee_id) "
            "ON CONFLICT (metric, period, employee_id) DO UPDATE SET value = EXCLUDED.value, "
            "role = EXCLUDED.role, active = EXCLUDED.active"
        ).format(ranks, employees),
        (
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            list(latest.values()),
        ),
    )


def record_employee(
    curs: Cursor[DictRow], ranks: Identifier, employees: Identifier, where: str, params: Any
) -> None:
    """The people projection's part, after it changed an employee's row: their values take
    the role and `active` now projected (`where` selects them in `rm_employee` e)."""
    curs.execute(
        SQL(
            "UPDATE {0} r SET role = e.role, active = e.active FROM {1} e "
            "WHERE r.employee_id = e.employee_id AND " + where
        ).format(ranks, employees),
        params,
    )


def employee_percentiles(
    conn: Connection[Any],
    metric: str,
    role: Role,
    months: list[str],
    direction: str,
    employee_id: str,
) -> dict[str, float]:
    """month -> the employee's percentile on `metric` among active peers of `role` (the
    employee among them), for the months where they have a value; what
    `role_percentiles(...)[employee_id]` gives, without reading the peers' rows."""
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    better = ">" if direction == "higher" else "<"
    rows = conn.execute(
        "SELECT me.period AS month, "
        "(SELECT count(*) FROM rm_metric_rank p WHERE p.metric = me.metric AND "
        "p.period = me.period AND p.role = me.role AND p.active) AS n, "
        "(SELECT count(*) FROM rm_metric_rank p WHERE p.metric = me.metric AND "
        "p.period = me.period AND p.role = me.role AND p.active AND "
        f"p.value {better} me.value) AS better "
        "FROM rm_metric_rank me WHERE me.metric = %s AND me.employee_id = %s "
        "AND me.period = ANY(%s) AND me.role = %s AND me.active",
        (metric, employee_id, months, role.value),
    ).fetchall()
    return {
        row["month"]: percentile_of_rank(int(row["better"]) + 1, int(row["n"]))
        for row in sorted(rows, key=lambda r: r["month"])
    }
