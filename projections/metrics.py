"""Current measurements per employee, from the `metrics` application."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from aggregates.metric_ledger import MetricLedger
from projections.base import Apply, event_of, handles
from projections.metric_ranks import RankingLock, record_values
from projections.paging import Key, Page, PageRequest, keyset

MONTH = re.compile(r"^\d{4}-\d{2}$")
EVERYONE = "*"


class MetricsProjection(RankingLock):
    name = "metrics_projection"
    owned_tables: ClassVar[list[str]] = ["rm_measurement", "rm_metric_rank"]
    aggregates = (MetricLedger,)
    # Only advance tracking: a ledger opening carries no measurement.
    ignored = (event_of(MetricLedger, "Opened"),)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.begin_batch()

    def begin_batch(self) -> None:
        super().begin_batch()
        # Dirty marks are a set: once per batch is enough, and once the organisation is
        # marked ('*'), the batch's other events need no checks for it.
        self._marked: set[str] = set()
        self._everyone_marked = False

    def end_batch(self) -> Apply | None:
        """The batch's marks in one statement at its end, in ascending order, as every
        marker takes them: a mark made again locks its row, and two projections' batches
        locking the same rows in different orders would deadlock."""

        def mark(curs: Cursor[DictRow]) -> None:
            if self._marked and not self._everyone_marked:
                curs.execute(
                    SQL(
                        "INSERT INTO {0} SELECT e FROM unnest(%s::text[]) AS m(e) "
                        'ORDER BY e COLLATE "C" '
                        "ON CONFLICT (employee_id) DO UPDATE SET marked = clock_timestamp()"
                    ).format(self.view.table("rm_readiness_dirty")),
                    (sorted(self._marked),),
                )

        return mark

    @handles(event_of(MetricLedger, "MetricsRecorded"))
    def recorded(self, e: Any) -> Apply:
        rows = [
            (
                m.employee_id,
                m.period,
                m.metric,
                m.item or "",
                m.value,
                m.source,
                e.batch_id,
                e.originator_version,
            )
            for m in e.measurements
        ]
        employee_ids = sorted({m.employee_id for m in e.measurements})
        months = sorted({m.period for m in e.measurements if MONTH.match(m.period)})
        month_metrics = sorted({m.metric for m in e.measurements if MONTH.match(m.period)})

        def change(curs: Cursor[DictRow]) -> None:
            table = self.view.table("rm_measurement")
            dirty = self.view.table("rm_readiness_dirty")
            everyone = self._everyone_marked
            previous_max = None if everyone else self._max_month(curs)
            curs.executemany(
                SQL(
                    "INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (employee_id, period, metric, item) DO UPDATE SET "
                    "value = EXCLUDED.value, source = EXCLUDED.source, "
                    "batch_id = EXCLUDED.batch_id, ledger_version = EXCLUDED.ledger_version"
                ).format(table),
                rows,
            )
            # The monthly ranking that promotion reports read (projections.metric_ranks).
            record_values(
                curs,
                self.view.table("rm_metric_rank"),
                self.view.table("rm_employee"),
                (
                    (m.metric, m.period, m.employee_id, m.value)
                    for m in e.measurements
                    if not m.item and MONTH.match(m.period)
                ),
            )
            if everyone:
                return  # this batch already marked the whole organisation dirty
            self._marked.update(employee_ids)  # marked at the batch's end
            # Everyone's readiness moves when the evaluation month moves, or when data
            # that others are ranked against (top-percent rules) changes.
            new_month = bool(months) and (previous_max is None or months[-1] > previous_max)
            if new_month or self._ranks_depend_on(curs, month_metrics):
                curs.execute(
                    SQL("INSERT INTO {0} VALUES (%s) ON CONFLICT DO NOTHING").format(dirty),
                    (EVERYONE,),
                )
                self._everyone_marked = True

        return change

    def _max_month(self, curs: Cursor[DictRow]) -> str | None:
        curs.execute(
            SQL("SELECT max(period) AS m FROM {0} WHERE period ~ '^[0-9]{{4}}-[0-9]{{2}}$'").format(
                self.view.table("rm_measurement")
            )
        )
        row = curs.fetchone()
        return row["m"] if row else None

    def _ranks_depend_on(self, curs: Cursor[DictRow], metrics: list[str]) -> bool:
        if not metrics:
            return False
        curs.execute(
            SQL(
                "SELECT EXISTS (SELECT 1 FROM {0} WHERE kind = 'promotion_criteria' AND "
                "jsonb_path_exists(document, "
                "'$.** ? (@.type == \"top_percent_streak\" && @.metric == $m)', "
                "jsonb_build_object('m', m.metric))) AS hit "
                "FROM unnest(%s::text[]) AS m(metric)"
            ).format(self.view.table("rm_policy")),
            (metrics,),
        )
        return any(row["hit"] for row in curs.fetchall())


def measurements_paged(
    conn: Connection[Any],
    employee_id: str,
    page: PageRequest,
    metric: str | None = None,
    period: str | None = None,
) -> Page[dict[str, Any]]:
    """A page of an employee's current measurements (as `measurements_of`), by period,
    metric and item, paged in SQL."""
    rows, total, next_cursor = keyset(
        conn,
        name="measurements",
        select="SELECT period, metric, item, value, source, batch_id",
        source="FROM rm_measurement WHERE employee_id = %(employee)s "
        "AND (%(metric)s::text IS NULL OR metric = %(metric)s) "
        "AND (%(period)s::text IS NULL OR starts_with(period, %(period)s))",
        params={"employee": employee_id, "metric": metric or None, "period": period or None},
        keys=(
            Key("period", "text", "period"),
            Key("metric", "text", "metric"),
            Key("item", "text", "item"),
        ),
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[dict[str, Any]](items=rows, total=total, limit=page.limit, next_cursor=next_cursor)


def measurements_of(
    conn: Connection[Any], employee_id: str, metric: str | None = None, period: str | None = None
) -> list[Any]:
    """An employee's current measurements, optionally of one metric or periods starting with
    `period`, by period, metric and item."""
    sql = (
        "SELECT period, metric, item, value, source, batch_id FROM rm_measurement "
        "WHERE employee_id = %s"
    )
    params: list[Any] = [employee_id]
    if metric:
        sql += " AND metric = %s"
        params.append(metric)
    if period:
        sql += " AND starts_with(period, %s)"
        params.append(period)
    rows: list[Any] = conn.execute(sql + " ORDER BY period, metric, item", params).fetchall()
    return rows
