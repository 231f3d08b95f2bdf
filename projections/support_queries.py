"""Support requests from the read model, through the access rules: the rep's own
requests with their clocks, one request with its timeline, a team's queue (oldest first)
and SLA compliance per team and week (projections.support_compliance, its models
importable from here too).

The recorded times are the workflow's; the clocks that keep running (time waited,
minutes left, breached while nobody has acknowledged) are computed against `now` when
read. Who is on a team comes from the support_process document in force for the queue
and compliance, and from the version that routed the request for the request itself."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.support_rules import local_label
from careerflow.principal import AccessRole, Principal
from projections.paging import Key, Page, PageRequest, keyset
from projections.support_compliance import Compliance as Compliance
from projections.support_compliance import CompliancePage as CompliancePage
from projections.support_compliance import ComplianceTotal as ComplianceTotal
from projections.support_compliance import ComplianceWeek as ComplianceWeek
from projections.support_compliance import SupportComplianceQueries
from projections.support_reads import BREACHED
from projections.visibility import EVERYONE, can_see, reports_of
from words.messages import Message

WITH_TEAM = ["open", "acknowledged", "reopened"]


# -- response models -----------------------------------------------------------------
class SupportClock(BaseModel):
    """The response SLA of one request. `waited_minutes` is wall-clock time from raising
    to the acknowledgement (or to now); `response_minutes` is what the SLA measures
    (office minutes); `minutes_left` is until `due_at` while nobody has acknowledged."""

    raised_at: datetime
    due_at: datetime
    due_label: str
    sla_minutes: int
    waited_minutes: float
    minutes_left: float | None
    response_minutes: float | None
    sla_met: bool | None
    breached: bool
    reminders_sent: int
    escalated_to: list[str]


class SupportRow(BaseModel):
    request_id: str
    employee_id: str
    name: str | None
    category: str
    category_label: dict[str, str]
    team: str
    team_label: dict[str, str]
    text: str
    customer: str | None
    status: str
    week: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    answers: int
    reopens: int
    reopen_reason: str | None
    finished_at: datetime | None
    clock: SupportClock


class SupportStep(BaseModel):
    seq: int
    at: datetime
    kind: str
    actor: str
    actor_role: str
    text: str | None
    detail: dict[str, Any]


class SupportRequestView(SupportRow):
    lead_id: str
    members: list[str]
    process_version: int
    steps: list[SupportStep]


class TeamRequests(BaseModel):
    """Requests raised by a manager's reports, newest first, one page of them."""

    manager_id: str
    total: int
    open: int
    breached: int
    limit: int
    requests: list[SupportRow]
    next_cursor: str | None
    """Give it back as `cursor` for the next page; None on the last one."""


# -- helpers -------------------------------------------------------------------------
def _minutes(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 60, 1)


def _breached(r: Any, now: datetime) -> bool:
    if r["sla_met"] is not None:
        return not r["sla_met"]
    return r["breached_at"] is not None or now > r["due_at"]


def _row(r: Any, now: datetime) -> dict[str, Any]:
    acked = r["acknowledged_at"]
    return {
        "request_id": r["request_id"],
        "employee_id": r["employee_id"],
        "name": r.get("name"),
        "category": r["category"],
        "category_label": r["category_label"],
        "team": r["team"],
        "team_label": r["team_label"],
        "text": r["text"],
        "customer": r["customer"],
        "status": r["status"],
        "week": r["week"],
        "acknowledged_by": r["acknowledged_by"],
        "acknowledged_at": acked,
        "answer": r["answer"],
        "answered_by": r["answered_by"],
        "answered_at": r["answered_at"],
        "answers": r["answers"],
        "reopens": r["reopens"],
        "reopen_reason": r["reopen_reason"],
        "finished_at": r["finished_at"],
        "clock": SupportClock(
            raised_at=r["raised_at"],
            due_at=r["due_at"],
            due_label=local_label(r["due_at"], r["time_zone"]),
            sla_minutes=r["sla_minutes"],
            waited_minutes=max(0.0, _minutes(r["raised_at"], acked or now)),
            minutes_left=None if acked else _minutes(now, r["due_at"]),
            response_minutes=r["response_minutes"],
            sla_met=r["sla_met"],
            breached=_breached(r, now),
            reminders_sent=r["reminders_sent"],
            escalated_to=list(r["escalate_to"]) if r["breached_at"] is not None else [],
        ),
    }


class MyRequestsPage(Page[SupportRow]):
    """A page of the caller's requests (newest first), with the counts over all of them."""

    employee_id: str
    open: int
    breached: int


class TeamQueuePage(Page[SupportRow]):
    """A page of the requests waiting for a team (oldest first), with its counts."""

    team: str
    team_label: dict[str, str]
    lead_id: str | None
    members: list[str]
    waiting: int
    breached: int


def _cursor(raised_at: datetime, request_id: str) -> str:
    raw = json.dumps([raised_at.isoformat(), request_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, rid = json.loads(raw)
        return datetime.fromisoformat(at), str(rid)
    except (ValueError, TypeError, binascii.Error):
        raise DomainError("cursor: not one this list gave ({cursor!r})", cursor=cursor) from None


_SELECT = (
    "SELECT r.*, e.name FROM rm_support_request r "
    "LEFT JOIN rm_employee e ON e.employee_id = r.employee_id "
)


class SupportQueries(SupportComplianceQueries):
    """Every support view on one read pool; compliance over time in
    projections.support_compliance."""

    # -- the rep -------------------------------------------------------------------------
    def mine_paged(
        self,
        principal: Principal,
        page: PageRequest,
        status: str | None = None,
        now: datetime | None = None,
    ) -> MyRequestsPage:
        """A page of the caller's own requests, newest first, with their clocks (paged in
        SQL); `open` and `breached` count all of them."""
        if principal.role != AccessRole.employee:
            raise PermissionDeniedError(
                "{role} {person_id} has no support requests of their own; "
                "reps raise them (team queues: /support/teams/<team>/queue)",
                role=principal.role.value,
                person_id=principal.person_id,
            )
        moment = now or datetime.now(UTC)
        params = {"employee": principal.person_id, "status": status, "now": moment}
        with self._connection() as conn:
            counts = conn.execute(
                "SELECT count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open, "
                + BREACHED
                + " FROM rm_support_request WHERE employee_id = %(employee)s",
                params,
            ).fetchone()
            rows, total, next_cursor = keyset(
                conn,
                name="my-requests",
                select="SELECT r.*, e.name",
                source="FROM rm_support_request r "
                "LEFT JOIN rm_employee e ON e.employee_id = r.employee_id "
                "WHERE r.employee_id = %(employee)s "
                "AND (%(status)s::text IS NULL OR r.status = %(status)s)",
                params=params,
                keys=(
                    Key("r.raised_at", "timestamptz", "raised_at"),
                    Key("r.request_id", "text", "request_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
                descending=True,
            )
        return MyRequestsPage(
            items=[SupportRow(**_row(r, moment)) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            employee_id=principal.person_id,
            open=counts["open"] if counts else 0,
            breached=counts["breached"] if counts else 0,
        )

    def of_team(
        self,
        principal: Principal,
        cursor: str | None = None,
        limit: int = 25,
        now: datetime | None = None,
    ) -> TeamRequests:
        """Requests raised by the manager's reports (their team, as the access rules
        scope it), newest first, `limit` per page from `cursor`."""
        principal.require(AccessRole.manager, action=Message("see your team's support requests"))
        moment = now or datetime.now(UTC)
        after = _after(cursor)
        limit = max(1, min(limit, 100))
        with self._connection() as conn:
            team = sorted(reports_of(conn, principal.person_id))
            counts = conn.execute(
                "SELECT count(*) AS total, "
                "count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open, "
                "count(*) FILTER (WHERE sla_met IS FALSE OR (sla_met IS NULL AND "
                "(breached_at IS NOT NULL OR due_at < %s))) AS breached "
                "FROM rm_support_request WHERE employee_id = ANY(%s)",
                (moment, team),
            ).fetchone()
            rows = conn.execute(
                _SELECT + "WHERE r.employee_id = ANY(%(team)s) "
                "AND (%(at)s::timestamptz IS NULL "
                "OR (r.raised_at, r.request_id) < (%(at)s::timestamptz, %(id)s::text)) "
                "ORDER BY r.raised_at DESC, r.request_id DESC LIMIT %(limit)s",
                {
                    "team": team,
                    "at": after[0] if after else None,
                    "id": after[1] if after else None,
                    "limit": limit + 1,
                },
            ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return TeamRequests(
            manager_id=principal.person_id,
            total=counts["total"] if counts else 0,
            open=counts["open"] if counts else 0,
            breached=counts["breached"] if counts else 0,
            limit=limit,
            requests=[SupportRow(**_row(r, moment)) for r in rows],
            next_cursor=_cursor(rows[-1]["raised_at"], rows[-1]["request_id"]) if more else None,
        )

    # -- one request ---------------------------------------------------------------------
    def request(
        self, principal: Principal, request_id: str, now: datetime | None = None
    ) -> SupportRequestView:
        """The rep, their manager chain, the team it was routed to, HR and auditors."""
        moment = now or datetime.now(UTC)
        with self._connection() as conn:
            r = conn.execute(_SELECT + "WHERE r.request_id = %s", (request_id,)).fetchone()
            if r is None or not self._sees(conn, principal, r):
                raise NotFoundError(
                    "no support request {request_id!r} that you can see", request_id=request_id
                )
            steps = conn.execute(
                "SELECT seq, at, kind, actor, actor_role, text, detail FROM rm_support_step "
                "WHERE request_id = %s ORDER BY seq",
                (request_id,),
            ).fetchall()
        return SupportRequestView(
            **_row(r, moment),
            lead_id=r["lead_id"],
            members=list(r["members"]),
            process_version=r["process_version"],
            steps=[SupportStep(**{**s, "detail": s["detail"] or {}}) for s in steps],
        )

    def visible(self, principal: Principal, request_id: str) -> dict[str, Any] | None:
        """The request's row if the caller may see it; None when it is not projected yet.
        Raises NotFoundError when it exists but the caller may not see it."""
        with self._connection() as conn:
            r = conn.execute(
                "SELECT request_id, employee_id, team, team_label, lead_id, members "
                "FROM rm_support_request "
                "WHERE request_id = %s",
                (request_id,),
            ).fetchone()
            if r is None:
                return None
            if not self._sees(conn, principal, r):
                raise NotFoundError(
                    "no support request {request_id!r} that you can see", request_id=request_id
                )
        return dict(r)

    @staticmethod
    def _sees(conn: Connection[DictRow], principal: Principal, r: Any) -> bool:
        if principal.role in EVERYONE:
            return True
        if principal.role == AccessRole.integration:
            return False
        if principal.person_id == r["lead_id"] or principal.person_id in r["members"]:
            return True
        return can_see(conn, principal, r["employee_id"])

    # -- a team --------------------------------------------------------------------------
    def queue_paged(
        self, principal: Principal, team: str, page: PageRequest, now: datetime | None = None
    ) -> TeamQueuePage:
        """A page of the requests waiting for the team, oldest first (paged in SQL), with
        `waiting` and `breached` over all of them: its members and lead, HR, auditors."""
        principal.require(
            AccessRole.employee,
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see support queues"),
        )
        moment = now or datetime.now(UTC)
        params = {"team": team, "with_team": WITH_TEAM, "now": moment}
        with self._connection() as conn:
            process = self._process(conn)
            defined = process.teams.get(team) if process else None
            counts = conn.execute(
                "SELECT count(*) AS waiting, " + BREACHED + ", "
                "(SELECT team_label FROM rm_support_request WHERE team = %(team)s LIMIT 1) "
                "AS team_label FROM rm_support_request "
                "WHERE team = %(team)s AND status = ANY(%(with_team)s)",
                params,
            ).fetchone()
            waiting = counts["waiting"] if counts else 0
            if defined is None and not waiting:
                known = sorted(process.teams) if process else []
                raise NotFoundError(
                    "no support team {team!r}; teams: {teams}",
                    team=team,
                    teams=", ".join(known) or "-",
                )
            if principal.role not in EVERYONE and not (
                defined is not None and defined.on_team(principal.person_id)
            ):
                raise PermissionDeniedError(
                    "{role} {person_id} is not on the {team} team; "
                    "a queue is for its team, HR and auditors",
                    role=principal.role.value,
                    person_id=principal.person_id,
                    team=team,
                )
            rows, total, next_cursor = keyset(
                conn,
                name="team-queue",
                select="SELECT r.*, e.name",
                source="FROM rm_support_request r "
                "LEFT JOIN rm_employee e ON e.employee_id = r.employee_id "
                "WHERE r.team = %(team)s AND r.status = ANY(%(with_team)s)",
                params=params,
                keys=(
                    Key("r.raised_at", "timestamptz", "raised_at"),
                    Key("r.request_id", "text", "request_id"),
                ),
                limit=page.limit,
                cursor=page.cursor,
            )
        label = dict(defined.label) if defined else dict(counts["team_label"] if counts else {})
        return TeamQueuePage(
            items=[SupportRow(**_row(r, moment)) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            team=team,
            team_label=label,
            lead_id=defined.lead_id if defined else None,
            members=list(defined.members) if defined else [],
            waiting=waiting,
            breached=counts["breached"] if counts else 0,
        )
