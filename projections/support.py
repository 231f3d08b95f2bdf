"""Support requests, from the `support` application: one row per request (routing, SLA
clock, acknowledgement, answer, confirmation) and its timeline of steps."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.support_request import SupportRequest
from projections.base import TimelineHandlers, event_of, handles


class SupportProjection(TimelineHandlers):
    name = "support_projection"
    owned_tables: ClassVar[list[str]] = ["rm_support_request", "rm_support_step"]
    aggregates = (SupportRequest,)

    # -- the request row ---------------------------------------------------------------
    @handles(event_of(SupportRequest, "Raised"))
    def _Raised(self, curs: Cursor[DictRow], e: Any) -> None:
        r, c = e.routing, e.clock
        curs.execute(
            SQL(
                "INSERT INTO {0} (request_id, aggregate_id, workflow_id, employee_id, category, "
                "category_label, team, team_label, lead_id, members, text, customer, status, "
                "raised_at, week, time_zone, due_at, sla_minutes, process_version, escalate_to) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'open', "
                "%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(self.view.table("rm_support_request")),
            (
                e.request_id,
                e.originator_id,
                e.workflow_id,
                e.employee_id,
                r.category,
                Jsonb(dict(r.category_label)),
                r.team,
                Jsonb(dict(r.team_label)),
                r.lead_id,
                Jsonb(list(r.members)),
                e.text,
                e.customer,
                c.raised_at,
                c.week,
                r.time_zone,
                c.due_at,
                r.response_minutes,
                r.process_version,
                Jsonb(list(r.escalate_to)),
            ),
        )

    @handles(event_of(SupportRequest, "Reminded"))
    def _Reminded(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "reminders_sent = reminders_sent + 1", ())

    @handles(event_of(SupportRequest, "Breached"))
    def _Breached(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "breached_at = %s", (e.at,))

    @handles(event_of(SupportRequest, "Acknowledged"))
    def _Acknowledged(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(
            curs,
            e,
            "status = 'acknowledged', acknowledged_by = %s, acknowledged_at = %s, "
            "response_minutes = %s, waited_minutes = %s, sla_met = %s",
            (e.by, e.at, e.response_minutes, e.waited_minutes, e.sla_met),
        )

    @handles(event_of(SupportRequest, "Answered"))
    def _Answered(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(
            curs,
            e,
            "status = 'answered', answer = %s, answered_by = %s, answered_at = %s, answers = %s",
            (e.text, e.by, e.at, e.round),
        )

    @handles(event_of(SupportRequest, "Confirmed"))
    def _Confirmed(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "status = 'resolved', finished_at = %s", (e.at,))

    @handles(event_of(SupportRequest, "Reopened"))
    def _Reopened(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(
            curs,
            e,
            "status = 'reopened', reopens = reopens + 1, reopen_reason = %s",
            (e.reason,),
        )

    @handles(event_of(SupportRequest, "ClosedUnconfirmed"))
    def _ClosedUnconfirmed(self, curs: Cursor[DictRow], e: Any) -> None:
        self._update(curs, e, "status = 'closed', finished_at = %s", (e.at,))

    def _update(
        self, curs: Cursor[DictRow], e: Any, assignments: str, params: tuple[Any, ...]
    ) -> None:
        curs.execute(
            SQL("UPDATE {0} SET " + assignments + " WHERE aggregate_id = %s").format(
                self.view.table("rm_support_request")
            ),
            (*params, e.originator_id),
        )

    # -- the timeline ------------------------------------------------------------------
    def step(self, curs: Cursor[DictRow], e: Any, kind: str) -> None:
        text = getattr(e, "text", None) if kind != "Raised" else e.text
        if kind == "Reopened":
            text = e.reason
        detail: dict[str, Any] = {}
        for field in (
            "percent",
            "recipients",
            "escalated_to",
            "response_minutes",
            "waited_minutes",
            "sla_met",
            "round",
            "after_hours",
        ):
            if hasattr(e, field):
                detail[field] = getattr(e, field)
        if kind == "Raised":
            detail.update(
                category=e.routing.category,
                team=e.routing.team,
                due_at=e.clock.due_at.isoformat(),
                process_version=e.routing.process_version,
            )
            at = e.clock.raised_at
        else:
            at = e.at
        curs.execute(
            SQL(
                "INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            ).format(self.view.table("rm_support_step")),
            (
                self._request_id(curs, e),
                e.originator_version,
                at,
                kind,
                e.meta.actor,
                e.meta.role,
                text,
                Jsonb(detail),
            ),
        )

    def _request_id(self, curs: Cursor[DictRow], e: Any) -> str:
        if hasattr(e, "request_id"):
            return str(e.request_id)
        curs.execute(
            SQL("SELECT request_id FROM {0} WHERE aggregate_id = %s").format(
                self.view.table("rm_support_request")
            ),
            (e.originator_id,),
        )
        row = curs.fetchone()
        assert row is not None, "a support request's first event is Raised"
        return str(row["request_id"])
