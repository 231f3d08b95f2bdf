"""Support requests from the read model, through the access rules: the rep's own
requests with their clocks, one request with its timeline, a team's queue (oldest first)
and SLA compliance per team and week.

The recorded times are the workflow's; the clocks that keep running (time waited,
minutes left, breached while nobody has acknowledged) are computed against `now` when
read. Who is on a team comes from the support_process document in force for the queue
and compliance, and from the version that routed the request for the request itself."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.calendar_periods import period_kind
from aggregates.support_process import SupportProcess
from aggregates.support_rules import local_label
from careerflow.principal import AccessRole, Principal
from projections.paging import Key, Page, PageRequest, every, keyset
from projections.visibility import EVERYONE, can_see, reports_of
from words.messages import Invalid, Message

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


class ComplianceWeek(BaseModel):
    team: str
    week: str
    count: int
    met: int
    breached: int
    pending: int
    """Not acknowledged yet and not yet due."""
    met_share: float | None
    """met / (met + breached)."""
    median_response_minutes: float | None


class ComplianceTotal(BaseModel):
    team: str
    team_label: dict[str, str]
    count: int
    met: int
    breached: int
    pending: int
    met_share: float | None
    median_response_minutes: float | None


class Compliance(BaseModel):
    since: str | None
    until: str | None
    weeks: list[ComplianceWeek]
    teams: list[ComplianceTotal]


class CompliancePage(Page[ComplianceWeek]):
    """A page of the rows per week and team (by week, then team), beside the totals per
    team over every week in range (what the charts draw)."""

    since: str | None
    until: str | None
    teams: list[ComplianceTotal]


# -- helpers -------------------------------------------------------------------------
def _week(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        kind = period_kind(value)
    except Invalid as exc:
        raise DomainError("{field}: {problem}", field=name, problem=exc.message) from None
    if kind != "week":
        raise DomainError(
            "{field}: expected an ISO week like '2026-W48', got {value!r}", field=name, value=value
        )
    return value


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


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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


_BREACHED = (
    "count(*) FILTER (WHERE sla_met IS FALSE OR (sla_met IS NULL AND "
    "(breached_at IS NOT NULL OR due_at < %(now)s))) AS breached"
)


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


class SupportQueries:
    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    @staticmethod
    def _process(conn: Connection[DictRow]) -> SupportProcess | None:
        row = conn.execute(
            "SELECT document FROM rm_policy WHERE kind = 'support_process' AND key = 'default' "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return SupportProcess.model_validate(row["document"]) if row else None

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
                + _BREACHED
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
                "SELECT count(*) AS waiting, " + _BREACHED + ", "
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

    # -- compliance over time ------------------------------------------------------------
    def compliance(
        self,
        principal: Principal,
        since: str | None = None,
        until: str | None = None,
        team: str | None = None,
        now: datetime | None = None,
    ) -> Compliance:
        """Every week's row with the totals per team (the SLA page, the CLI): the pages
        of `compliance_paged`."""
        moment = now or datetime.now(UTC)
        first = self.compliance_paged(principal, PageRequest(limit=1), since, until, team, moment)
        weeks = every(
            lambda page: self.compliance_paged(principal, page, since, until, team, moment)
        )
        return Compliance(since=first.since, until=first.until, weeks=weeks, teams=first.teams)

    def compliance_paged(
        self,
        principal: Principal,
        page: PageRequest,
        since: str | None = None,
        until: str | None = None,
        team: str | None = None,
        now: datetime | None = None,
    ) -> CompliancePage:
        """Per team and week (the week the request was raised, company time): requests,
        SLA met, breached, pending and the median response, a page of rows at a time (by
        week, then team; grouped and paged in SQL), with the totals per team. HR and
        auditors see every team, a team's lead and members their own."""
        principal.require(
            AccessRole.employee,
            AccessRole.manager,
            AccessRole.hr,
            AccessRole.auditor,
            AccessRole.system,
            action=Message("see support SLA compliance"),
        )
        moment = now or datetime.now(UTC)
        with self._connection() as conn:
            process = self._process(conn)
            labels = {k: dict(t.label) for k, t in (process.teams if process else {}).items()}
            allowed = self._compliance_scope(conn, principal, process, labels, team)
            since, until = _week(since, "since"), _week(until, "until")
            params = {
                "team": team,
                "allowed": sorted(allowed) if allowed is not None else None,
                "since": since,
                "until": until,
                "now": moment,
            }
            rows, total, next_cursor = keyset(
                conn,
                name="compliance",
                select="SELECT *",
                source=f"FROM (SELECT week, team, {_COUNTS} {_IN_RANGE} GROUP BY week, team) g "
                "WHERE TRUE",
                params=params,
                keys=(Key("week", "text", "week"), Key("team", "text", "team")),
                limit=page.limit,
                cursor=page.cursor,
            )
            teams = conn.execute(
                f"SELECT team, min(team_label::text) AS label, {_COUNTS} {_IN_RANGE} "
                "GROUP BY team ORDER BY team",
                params,
            ).fetchall()
        return CompliancePage(
            items=[ComplianceWeek(**_counted(r)) for r in rows],
            total=total,
            limit=page.limit,
            next_cursor=next_cursor,
            since=since,
            until=until,
            teams=[
                ComplianceTotal(
                    **_counted(r),
                    team_label=labels.get(r["team"]) or json.loads(r["label"] or "{}"),
                )
                for r in teams
            ],
        )

    def _compliance_scope(
        self,
        conn: Connection[DictRow],
        principal: Principal,
        process: SupportProcess | None,
        labels: dict[str, dict[str, str]],
        team: str | None,
    ) -> set[str] | None:
        """The teams the caller may see (None: every team), after the refusals: on no
        team, an unknown team, a team not theirs."""
        if principal.role in EVERYONE:
            allowed: set[str] | None = None
        else:
            allowed = {
                k
                for k, t in (process.teams if process else {}).items()
                if t.on_team(principal.person_id)
            }
            if not allowed:
                raise PermissionDeniedError(
                    "{role} {person_id} is on no support team; "
                    "compliance is for HR, auditors and each team's own people",
                    role=principal.role.value,
                    person_id=principal.person_id,
                )
        if team is not None:
            exists = (
                team in labels
                or conn.execute(
                    "SELECT 1 FROM rm_support_request WHERE team = %s LIMIT 1", (team,)
                ).fetchone()
            )
            if not exists:
                raise NotFoundError("no support team {team!r}", team=team)
            if allowed is not None and team not in allowed:
                raise PermissionDeniedError(
                    "{role} {person_id} is not on the {team} team; "
                    "compliance is for HR, auditors and each team's own people",
                    role=principal.role.value,
                    person_id=principal.person_id,
                    team=team,
                )
        return allowed


# Compliance counts, grouped in SQL: met, breached (as `_breached` says it), pending and
# the median response (percentile_cont(0.5): the statistics module's median).
_COUNTS = (
    "count(*) AS count, count(*) FILTER (WHERE sla_met IS TRUE) AS met, "
    + _BREACHED.removesuffix(" AS breached")
    + " AS breached, "
    "percentile_cont(0.5) WITHIN GROUP (ORDER BY response_minutes) AS median_response"
)
_IN_RANGE = (
    "FROM rm_support_request WHERE (%(team)s::text IS NULL OR team = %(team)s) "
    "AND (%(allowed)s::text[] IS NULL OR team = ANY(%(allowed)s)) "
    "AND (%(since)s::text IS NULL OR week >= %(since)s) "
    "AND (%(until)s::text IS NULL OR week <= %(until)s)"
)


def _counted(r: Any) -> dict[str, Any]:
    met, breached, count = int(r["met"]), int(r["breached"]), int(r["count"])
    median = r["median_response"]
    return {
        "team": r["team"],
        **({"week": r["week"]} if "week" in r else {}),
        "count": count,
        "met": met,
        "breached": breached,
        "pending": count - met - breached,
        "met_share": _share(met, met + breached),
        "median_response_minutes": None if median is None else round(float(median), 2),
    }
