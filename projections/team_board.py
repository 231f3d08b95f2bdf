"""A manager's team board (one row per rep: planned and how, plan vs actual, who lags,
feedback) and HR's completion rates per team, from the read model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.weekly_cycle_rules import ReportLine
from careerflow.principal import AccessRole, Principal
from projections.cycle_reads import CycleReads, FeedbackStatus, Ledger, checked_period, live_lines
from projections.paging import Page, PageRequest, sorted_page
from projections.visibility import require_visible
from words.messages import Message

T = TypeVar("T")


class BoardRow(BaseModel):
    employee_id: str
    name: str | None
    has_cycle: bool
    planned: bool
    plan_source: str | None
    reported: bool
    met: int | None
    total: int | None
    behind: list[str]
    lagging: bool
    feedback: FeedbackStatus | None


class BoardTotals(BaseModel):
    reps: int = 0
    with_cycle: int = 0
    planned: int = 0
    submitted: int = 0
    agreed: int = 0
    defaulted: int = 0
    not_planned: int = 0
    reported: int = 0
    met: int = 0
    total: int = 0
    lagging: int = 0
    feedback_given: int = 0
    feedback_missed: int = 0
    feedback_pending: int = 0


class TeamBoard(BaseModel):
    manager_id: str
    week: str
    rows: list[BoardRow]
    totals: BoardTotals


class Completion(BaseModel):
    """Counts over the week's cycles; shares are of all cycles (None when there are none)."""

    cycles: int = 0
    plans_submitted: int = 0
    plans_agreed: int = 0
    plans_defaulted: int = 0
    plans_missing: int = 0
    reports_built: int = 0
    feedback_given: int = 0
    feedback_missed: int = 0
    feedback_pending: int = 0
    submitted_share: float | None = None
    agreed_share: float | None = None
    defaulted_share: float | None = None
    reported_share: float | None = None
    feedback_given_share: float | None = None
    feedback_missed_share: float | None = None
    feedback_pending_share: float | None = None


class TeamCompletion(Completion):
    team_id: str
    team_name: str | None


class CompletionRates(BaseModel):
    week: str
    teams: list[TeamCompletion]
    overall: Completion


class TeamBoardPage(Page[BoardRow]):
    """A page of a team's board (by employee id), beside the totals of the whole team."""

    manager_id: str
    week: str
    totals: BoardTotals


class CompletionPage(Page[TeamCompletion]):
    """A page of the completion rates per team (by team id), beside the overall rates."""

    week: str
    overall: Completion


def _by_id(
    items: Sequence[T], name: str, key: Callable[[T], str], page: PageRequest
) -> dict[str, Any]:
    """The paging fields (items, total, limit, next_cursor) of a page of rows computed in
    Python, ordered by one id."""
    rows, total, _, next_cursor = sorted_page(
        items,
        name=name,
        key=lambda row: (key(row),),
        kinds=("text",),
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": rows, "total": total, "limit": page.limit, "next_cursor": next_cursor}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class TeamBoardQueries(CycleReads):
    # -- 2. a manager's team board ------------------------------------------------------
    def team_board(self, principal: Principal, manager_id: str, week: str) -> TeamBoard:
        """One row per rep reporting to `manager_id`: planned (and how), plan vs actual,
        who lags, feedback; reps in the cycle's roles without a cycle show as such."""
        principal.require(
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see a team's weekly board"),
        )
        checked_period(week, "week", "2026-W48")
        with self._connection() as conn:
            require_visible(conn, principal, manager_id)
            cycles = conn.execute(
                "SELECT c.*, e.name FROM rm_cycle c LEFT JOIN rm_employee e USING (employee_id) "
                "WHERE c.week = %s AND c.manager_id = %s ORDER BY c.employee_id",
                (week, manager_id),
            ).fetchall()
            settings_doc = self._document(conn, "weekly_cycle")
            settings = (
                WeeklyCycleSettings.model_validate(settings_doc[0])
                if settings_doc
                else WeeklyCycleSettings()
            )
            sunday = date.fromisocalendar(int(week[:4]), int(week[6:]), 7)
            missing = conn.execute(
                "SELECT e.employee_id, e.name FROM rm_employee e WHERE e.manager_id = %s "
                "AND e.active AND e.role = ANY(%s) AND e.hire_date <= %s AND NOT EXISTS "
                "(SELECT 1 FROM rm_cycle c WHERE c.employee_id = e.employee_id AND c.week = %s)",
                (manager_id, [r.value for r in settings.roles], sunday, week),
            ).fetchall()
            catalog = self._catalog(conn)
            items = {item for c in cycles for item in (c["plan"] or {})}
            ledger = self._ledger(
                conn, catalog, [c["employee_id"] for c in cycles], items, week, week
            )
        rows = [self._board_row(ledger, c) for c in cycles]
        rows += [
            BoardRow(
                employee_id=m["employee_id"],
                name=m["name"],
                has_cycle=False,
                planned=False,
                plan_source=None,
                reported=False,
                met=None,
                total=None,
                behind=[],
                lagging=False,
                feedback=None,
            )
            for m in missing
        ]
        rows.sort(key=lambda r: r.employee_id)
        return TeamBoard(manager_id=manager_id, week=week, rows=rows, totals=_totals(rows))

    def team_board_page(
        self, principal: Principal, manager_id: str, week: str, page: PageRequest
    ) -> TeamBoardPage:
        """A page of `team_board`'s rows (the API's list); the totals count the team."""
        board = self.team_board(principal, manager_id, week)
        return TeamBoardPage(
            **_by_id(board.rows, "team-board", lambda r: r.employee_id, page),
            manager_id=board.manager_id,
            week=board.week,
            totals=board.totals,
        )

    @staticmethod
    def _board_row(ledger: Ledger, c: Any) -> BoardRow:
        plan: dict[str, float] | None = c["plan"]
        met: int | None = None
        total: int | None = None
        behind: list[str] = []
        if c["report"] is not None:
            report = [ReportLine.model_validate(x) for x in c["report"]]
            behind = [line.item for line in report if not line.met]
            met, total = c["met"], c["total"]
        elif plan is not None:
            lines = live_lines(ledger, c["employee_id"], c["week"], plan, {}, None)
            behind = [line.item for line in lines if not line.met]
            met, total = len(lines) - len(behind), len(lines)
        return BoardRow(
            employee_id=c["employee_id"],
            name=c["name"],
            has_cycle=True,
            planned=plan is not None,
            plan_source=c["plan_source"],
            reported=c["report"] is not None,
            met=met,
            total=total,
            behind=behind,
            lagging=bool(behind),
            feedback=c["feedback_status"],
        )

    # -- 3. HR's completion rates -------------------------------------------------------
    def completion_rates(self, principal: Principal, week: str) -> CompletionRates:
        """Per team and overall: plans submitted by the rep vs agreed vs defaulted,
        reports built, feedback given vs missed vs pending."""
        principal.require(
            AccessRole.hr, AccessRole.auditor, action=Message("see cycle completion rates")
        )
        checked_period(week, "week", "2026-W48")
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT c.team_id, t.name AS team_name, count(*) AS cycles, "
                "count(*) FILTER (WHERE c.plan_source = 'submitted') AS plans_submitted, "
                "count(*) FILTER (WHERE c.plan_source = 'agreed') AS plans_agreed, "
                "count(*) FILTER (WHERE c.plan_source = 'defaulted') AS plans_defaulted, "
                "count(*) FILTER (WHERE c.plan_source IS NULL) AS plans_missing, "
                "count(*) FILTER (WHERE c.report IS NOT NULL) AS reports_built, "
                "count(*) FILTER (WHERE c.feedback_status = 'given') AS feedback_given, "
                "count(*) FILTER (WHERE c.feedback_status = 'missed') AS feedback_missed, "
                "count(*) FILTER (WHERE c.feedback_status = 'pending') AS feedback_pending "
                "FROM rm_cycle c LEFT JOIN rm_team t USING (team_id) WHERE c.week = %s "
                "GROUP BY c.team_id, t.name ORDER BY c.team_id",
                (week,),
            ).fetchall()
        teams = [
            TeamCompletion(team_id=r["team_id"], team_name=r["team_name"], **_completion(r))
            for r in rows
        ]
        overall = {k: sum(getattr(t, k) for t in teams) for k in _COUNTS}
        return CompletionRates(week=week, teams=teams, overall=Completion(**_completion(overall)))

    def completion_page(self, principal: Principal, week: str, page: PageRequest) -> CompletionPage:
        """A page of `completion_rates`' teams (the API's list); `overall` counts them all."""
        rates = self.completion_rates(principal, week)
        return CompletionPage(
            **_by_id(rates.teams, "completion", lambda t: t.team_id, page),
            week=rates.week,
            overall=rates.overall,
        )


_COUNTS = (
    "cycles",
    "plans_submitted",
    "plans_agreed",
    "plans_defaulted",
    "plans_missing",
    "reports_built",
    "feedback_given",
    "feedback_missed",
    "feedback_pending",
)


def _completion(counts: Any) -> dict[str, Any]:
    c = {k: int(counts[k]) for k in _COUNTS}
    n = c["cycles"]
    return {
        **c,
        "submitted_share": _share(c["plans_submitted"], n),
        "agreed_share": _share(c["plans_agreed"], n),
        "defaulted_share": _share(c["plans_defaulted"], n),
        "reported_share": _share(c["reports_built"], n),
        "feedback_given_share": _share(c["feedback_given"], n),
        "feedback_missed_share": _share(c["feedback_missed"], n),
        "feedback_pending_share": _share(c["feedback_pending"], n),
    }


def _totals(rows: list[BoardRow]) -> BoardTotals:
    t = BoardTotals(reps=len(rows))
    for r in rows:
        t.with_cycle += r.has_cycle
        t.planned += r.planned
        t.submitted += r.plan_source == "submitted"
        t.agreed += r.plan_source == "agreed"
        t.defaulted += r.plan_source == "defaulted"
        t.not_planned += not r.planned
        t.reported += r.reported
        t.met += r.met or 0
        t.total += r.total or 0
        t.lagging += r.lagging
        t.feedback_given += r.feedback == "given"
        t.feedback_missed += r.feedback == "missed"
        t.feedback_pending += r.feedback == "pending"
    return t
