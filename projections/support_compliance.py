"""Support SLA compliance over time, from the read model: per team and week (the week
a request was raised, company time) how many requests there were, how many met the SLA,
breached it or are pending, and the median response, with the totals per team. HR and
auditors see every team, a team's lead and members their own (`SupportQueries` holds
these beside the rest of the support views)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import DictRow
from pydantic import BaseModel

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.calendar_periods import period_kind
from aggregates.support_process import SupportProcess
from careerflow.principal import AccessRole, Principal
from projections.paging import Key, Page, PageRequest, every, keyset
from projections.support_reads import BREACHED, SupportReads
from projections.visibility import EVERYONE
from words.messages import Invalid, Message


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


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


class SupportComplianceQueries(SupportReads):
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
    + BREACHED.removesuffix(" AS breached")
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
