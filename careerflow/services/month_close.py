"""HR's month close as the pages show it: the months (not over yet, open, closing,
closed, or a close that failed), who closed each and when, and how many bonus statements
it produced; a close previewed and started through CycleProcessService, so the refusals
(a month not over yet, a month already closed or launched, not HR) are the API's
(POST /cycles/launches) and the CLI's (`cycle launch --month`). Reads the read models of
the bonus statements and of the launches: every API replica answers alike. Temporal is
asked only of a launch the read model still shows running (to tell one that died, or one
that finished moments ago), and by the one-month page of a month with no launch recorded
yet (a close started a moment ago, before its first roster read)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from aggregates.calendar_periods import shift_month
from aggregates.cycle_launch import checked_launch_period
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import CycleProcessService, LaunchPreview, LaunchStatus
from projections.month_close_queries import ClosedMonth, LaunchRecord
from words.messages import Message

MonthState = Literal["not_over", "open", "closing", "closed", "failed"]
SHOWN = 12  # the current month and the eleven before it, besides any closed month


class MonthCloseReads(Protocol):
    """The statements read model (CycleQueries)."""

    def closed_months(self, limit: int = 24) -> list[ClosedMonth]: ...

    def closed_month(self, month: str) -> ClosedMonth | None: ...

    def month_launches(self, months: list[str]) -> dict[str, LaunchRecord]: ...


class MonthView(BaseModel):
    """One month as HR sees it. `closed_by` is the person who closed it by hand; a month
    closed with no such launch (or by the schedule's launch) was closed by the monthly
    schedule (`by_schedule`)."""

    month: str
    state: MonthState
    statements: int = 0
    closed_at: datetime | None = None
    closed_by: str | None = None
    by_schedule: bool = False
    launched_at: datetime | None = None
    started: int = 0
    skipped: int = 0


def require_month_reader(principal: Principal) -> None:
    """HR and auditors see the months; only HR closes one (require_launcher)."""
    principal.require(AccessRole.hr, AccessRole.auditor, action=Message("see the month closes"))


def month_state(
    month: str, current: str, statements: int, launch: LaunchStatus | None
) -> MonthState:
    """Not over (the current month or later), closing (the launch runs, or its reps'
    statements are still coming), failed (the launch ended without a statement), closed,
    or open (over, and nothing closed it)."""
    if month >= current:
        return "not_over"
    if launch is not None:
        if launch.state == "running" or (launch.state == "done" and statements < launch.started):
            return "closing"
        if launch.state == "failed" and not statements:
            return "failed"
    return "closed" if statements else "open"


class MonthCloseService:
    def __init__(self, flow: CycleProcessService, reads: MonthCloseReads) -> None:
        self.flow = flow
        self.reads = reads

    def _current_month(self) -> str:
        settings, _ = self.flow.commands.settings()
        return settings.local_date(datetime.now(UTC)).strftime("%Y-%m")

    async def _launch(
        self, month: str, record: LaunchRecord | None, unrecorded: bool = False
    ) -> LaunchStatus | None:
        """`month`'s launch as its read model row says (CycleProcessService.recorded:
        Temporal asked only of a launch the row shows running, or, when `unrecorded`,
        of a month with no row yet)."""
        return await self.flow.recorded("month", month, record, unrecorded)

    def _view(
        self, month: str, current: str, closed: ClosedMonth | None, launch: LaunchStatus | None
    ) -> MonthView:
        statements = closed.statements if closed else 0
        by_hand = launch.launched_by if launch is not None else None
        return MonthView(
            month=month,
            state=month_state(month, current, statements, launch),
            statements=statements,
            closed_at=closed.last_closed_at if closed else None,
            closed_by=by_hand,
            by_schedule=statements > 0 and by_hand is None,
            launched_at=launch.launched_at if launch is not None else None,
            started=launch.started if launch is not None else 0,
            skipped=launch.skipped if launch is not None else 0,
        )

    async def months(self, principal: Principal) -> list[MonthView]:
        """The current month, the eleven before it and every month with statements
        (the latest 24), newest first."""
        require_month_reader(principal)
        current = await asyncio.to_thread(self._current_month)
        closed = {c.month: c for c in await asyncio.to_thread(self.reads.closed_months)}
        months = sorted({shift_month(current, -i) for i in range(SHOWN)} | set(closed))[::-1]
        past = [m for m in months if m < current]
        records = await asyncio.to_thread(self.reads.month_launches, past)
        launches = await asyncio.gather(*(self._launch(m, records.get(m)) for m in past))
        found = dict(zip(past, launches, strict=True))
        return [self._view(m, current, closed.get(m), found.get(m)) for m in months]

    async def month(self, principal: Principal, month: str) -> MonthView:
        """One month: its state, statements so far and its launch (404-free: a month
        nobody closed is open, or not over)."""
        require_month_reader(principal)
        month = checked_launch_period("month", month)
        current = await asyncio.to_thread(self._current_month)
        closed = await asyncio.to_thread(self.reads.closed_month, month)
        launch = None
        if month < current:
            records = await asyncio.to_thread(self.reads.month_launches, [month])
            launch = await self._launch(month, records.get(month), unrecorded=True)
        return self._view(month, current, closed, launch)

    async def preview(self, principal: Principal, month: str) -> LaunchPreview:
        """Who a close of `month` would produce a statement for, changing nothing; the
        launch check's refusal first (not HR, not over, already closed or launched)."""
        period = await self.flow.check_launch(principal, "month", month)
        return await asyncio.to_thread(self.flow.would_launch, principal, "month", period)

    async def close(self, principal: Principal, month: str, command_id: str | None) -> str:
        """Starts the close (HR); the same form sent again is the same close."""
        period = await self.flow.check_launch(principal, "month", month, command_id)
        await self.flow.launch(principal, "month", period, command_id)
        return period
