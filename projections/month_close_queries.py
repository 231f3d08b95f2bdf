"""The months HR closes, from the statements read model: per month how many bonus
statements the close produced and when (the first and the last). Read for HR's month
close page (careerflow.services.month_close) and for the launch check's "already
closed" (a month the schedule closed has statements but no manual launch). Also the
launches as recorded (a week's cycles or a month close: who, when, finished with what
counts), for the months and the week-launch page (CycleProcessService.recorded_status)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from projections.cycle_reads import CycleReads


class ClosedMonth(BaseModel):
    month: str
    statements: int
    first_closed_at: datetime
    last_closed_at: datetime


class LaunchRecord(BaseModel):
    """A period's launch as recorded: `finished_at` None while its launcher runs (or
    if it died before finishing); `launched_by` None for the schedule's."""

    kind: str
    period: str
    workflow_id: str
    launched_by: str | None
    launched_at: datetime
    finished_at: datetime | None
    started: int
    skipped: int


LAUNCH_COLUMNS = (
    "kind, period, workflow_id, launched_by, launched_at, finished_at, started, skipped"
)


class MonthCloseQueries(CycleReads):
    def closed_months(self, limit: int = 24) -> list[ClosedMonth]:
        """The latest `limit` months with statements, newest first. The caller checks who
        may ask (HR and auditors: MonthCloseService); no pay is read."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT month, count(*) AS statements, min(closed_at) AS first_closed_at, "
                "max(closed_at) AS last_closed_at FROM rm_month_statement "
                "GROUP BY month ORDER BY month DESC LIMIT %s",
                (limit,),
            ).fetchall()
        return [ClosedMonth.model_validate(dict(r)) for r in rows]

    def closed_month(self, month: str) -> ClosedMonth | None:
        """`month`'s statements so far (None: none yet)."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT month, count(*) AS statements, min(closed_at) AS first_closed_at, "
                "max(closed_at) AS last_closed_at FROM rm_month_statement WHERE month = %s "
                "GROUP BY month",
                (month,),
            ).fetchone()
        return ClosedMonth.model_validate(dict(row)) if row else None

    def month_statements(self, month: str) -> int:
        """How many statements `month`'s close has produced so far."""
        with self._connection() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM rm_month_statement WHERE month = %s", (month,)
            ).fetchone()
        return int(row["n"]) if row else 0

    def month_launches(self, months: list[str]) -> dict[str, LaunchRecord]:
        """The recorded launches of `months` (closes), by month; a month never launched
        is not in it."""
        return self.launches("month", months)

    def launches(self, kind: str, periods: list[str]) -> dict[str, LaunchRecord]:
        """The recorded launches of `kind` ("week" or "month") for `periods`, by period;
        a period never launched is not in it. The caller checks who may ask."""
        with self._connection() as conn:
            rows = conn.execute(
                f"SELECT {LAUNCH_COLUMNS} FROM rm_cycle_launch "
                "WHERE kind = %s AND period = ANY(%s)",
                (kind, periods),
            ).fetchall()
        return {r["period"]: LaunchRecord.model_validate(dict(r)) for r in rows}
