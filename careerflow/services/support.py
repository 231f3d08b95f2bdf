"""Support-request commands on the event store, run by the SupportRequest workflow's
activities. Each is idempotent (a retried activity changes nothing) and takes the moment
it acts at from the workflow, so SLA arithmetic follows workflow time."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# The workflow's contract lives beside its activities (importers here keep working).
from activities.support import SupportInfo
from aggregates.base import DomainError, EventMeta, NotFoundError, command_context
from aggregates.support_process import HR_INBOX, SupportProcess
from aggregates.support_request import (
    Routing,
    SlaClock,
    SlaReminder,
    SupportRequest,
    support_uuid,
)
from aggregates.support_rules import local_label as local_label
from careerflow.messages import Message
from careerflow.office_hours import add_office_minutes, office_minutes_between
from careerflow.principal import AccessRole, Principal

if TYPE_CHECKING:
    from careerflow.services.registry import Services

REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$")
MAX_CUSTOMER = 200
# Team members act with their own principal; these roles are people who can be on a team.
TEAM_ROLES = (AccessRole.employee, AccessRole.manager, AccessRole.hr)


def support_info(request: SupportRequest) -> SupportInfo:
    r, c = request.routing, request.clock
    return SupportInfo(
        request_id=request.request_id,
        workflow_id=request.workflow_id,
        employee_id=request.employee_id,
        text=request.text,
        customer=request.customer,
        category=r.category,
        category_label=r.category_label,
        team=r.team,
        team_label=r.team_label,
        lead_id=r.lead_id,
        members=list(r.members),
        escalate_to=list(r.escalate_to),
        response_minutes_allowed=r.response_minutes,
        process_version=r.process_version,
        close_unconfirmed_after_hours=r.close_unconfirmed_after_hours,
        status=request.status,
        raised_at=c.raised_at,
        week=c.week,
        due_at=c.due_at,
        due_label=local_label(c.due_at, r.time_zone),
        time_zone=r.time_zone,
        reminders=list(c.reminders),
        breached_at=request.breached_at,
        acknowledged_by=request.acknowledged_by,
        acknowledged_at=request.acknowledged_at,
        response_minutes=request.response_minutes,
        sla_met=request.sla_met,
        answer=request.answer,
        answered_by=request.answered_by,
        answered_at=request.answered_at,
        answers=request.answers,
        reopens=request.reopens,
        finished_at=request.finished_at,
    )


def iso_week(moment: datetime, time_zone: str) -> str:
    iso = moment.astimezone(ZoneInfo(time_zone)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


# What each support command is called in a refusal ("may not answer support requests").
VERBS: dict[str, Message] = {
    "raise": Message("raise"),
    "acknowledge": Message("acknowledge"),
    "answer": Message("answer"),
    "confirm": Message("confirm"),
    "reopen": Message("reopen"),
}


def require_team_role(principal: Principal, action: str) -> None:
    if principal.role not in TEAM_ROLES:
        raise DomainError(
            "{role} {person_id} may not {action} support requests; "
            "support-team members act as themselves (employee, manager or HR)",
            role=principal.role.value,
            person_id=principal.person_id,
            action=VERBS.get(action, Message.verbatim(action)),
        )


def require_rep_role(principal: Principal, action: str) -> None:
    if principal.role != AccessRole.employee:
        raise DomainError(
            "{role} {person_id} may not {action} support requests; "
            "reps raise, confirm and reopen their own requests",
            role=principal.role.value,
            person_id=principal.person_id,
            action=VERBS.get(action, Message.verbatim(action)),
        )


class SupportCommands:
    def __init__(self, services: Services) -> None:
        self.s = services
        self.app = services.store.support

    # -- documents -----------------------------------------------------------------------
    def process(self) -> tuple[SupportProcess, int]:
        try:
            return self.s.policies.in_force(SupportProcess)
        except NotFoundError:
            raise DomainError(
                "no support_process document is published; HR publishes one "
                "(`careerflow policy seed` publishes version 1)"
            ) from None

    # -- raising -------------------------------------------------------------------------
    def check_raise(
        self, principal: Principal, category: str, text: str, customer: str | None
    ) -> tuple[SupportProcess, int]:
        """Raises with the reason the request cannot be taken (nothing is recorded)."""
        require_rep_role(principal, "raise")
        employee = self.s.people.get(principal.person_id)
        if not employee.active:
            raise DomainError(
                "{person_id} has left; no support requests", person_id=principal.person_id
            )
        process, version = self.process()
        if category not in process.categories:
            raise DomainError(
                "unknown support category {category!r}; use one of: {categories}",
                category=category,
                categories=", ".join(sorted(process.categories)),
            )
        if not text.strip():
            raise DomainError("a support request needs text that says what the customer needs")
        if len(text) > process.max_text_length:
            raise DomainError(
                "the request text has {length} characters; at most {limit} are taken",
                length=len(text),
                limit=process.max_text_length,
            )
        if customer is not None and len(customer) > MAX_CUSTOMER:
            raise DomainError("a customer name has at most {limit} characters", limit=MAX_CUSTOMER)
        return process, version

    def raise_request(
        self,
        request_id: str,
        principal: Principal,
        category: str,
        text: str,
        customer: str | None,
        now: datetime,
        workflow_id: str,
    ) -> SupportInfo:
        existing = self.find(request_id)
        if existing is not None:
            if existing.employee_id != principal.person_id:
                raise DomainError(
                    "support request id {request_id!r} is already taken", request_id=request_id
                )
            return support_info(existing)
        if not REQUEST_ID.fullmatch(request_id):
            raise DomainError(
                "a support request id is 4-40 letters, digits, '-' or '_', got {request_id!r}",
                request_id=request_id,
            )
        process, version = self.check_raise(principal, category, text, customer)
        company, _ = self.s.policies.promotion_process()
        route = process.categories[category]
        team = process.teams[route.team]
        office = process.office_hours
        hours = (office.start, office.end) if office else None
        escalate = [team.lead_id] if process.escalate_to_lead else []
        if process.escalate_to_hr:
            escalate.append(HR_INBOX)

        def after(minutes: float) -> datetime:
            return add_office_minutes(now, minutes, hours, company, company.time_zone)

        routing = Routing(
            category=category,
            category_label=dict(route.label),
            team=route.team,
            team_label=dict(team.label),
            lead_id=team.lead_id,
            members=list(team.members),
            response_minutes=route.response_minutes,
            escalate_to=escalate,
            office_hours=office,
            country=company.country,
            time_zone=company.time_zone,
            extra_holidays=company.extra_holidays,
            extra_working_days=company.extra_working_days,
            close_unconfirmed_after_hours=process.close_unconfirmed_after_hours,
            process_version=version,
        )
        clock = SlaClock(
            raised_at=now,
            week=iso_week(now, company.time_zone),
            due_at=after(route.response_minutes),
            reminders=[
                SlaReminder(percent=p, at=after(route.response_minutes * p / 100))
                for p in process.remind_at_percent
            ],
        )
        with self._context(principal, workflow_id, "raise"):
            request = SupportRequest(
                request_id=request_id,
                employee_id=principal.person_id,
                text=text.strip(),
                customer=(customer or "").strip() or None,
                routing=routing,
                clock=clock,
                workflow_id=workflow_id,
            )
        self.app.save(request)
        return support_info(request)

    # -- reading -------------------------------------------------------------------------
    def find(self, request_id: str) -> SupportRequest | None:
        found: SupportRequest | None = self.app.find(support_uuid(request_id))
        return found

    def get(self, request_id: str) -> SupportRequest:
        found = self.find(request_id)
        if found is None:
            raise NotFoundError("no support request {request_id!r}", request_id=request_id)
        return found

    def info(self, request_id: str) -> SupportInfo:
        return support_info(self.get(request_id))

    # -- the team ------------------------------------------------------------------------
    def check(self, request: SupportRequest, principal: Principal, action: str, text: str) -> None:
        """Every reason `principal` may not take `action` now (nothing is recorded)."""
        if action in ("acknowledge", "answer"):
            require_team_role(principal, action)
            if action == "acknowledge":
                request.check_acknowledge(principal.person_id)
            else:
                request.check_answer(principal.person_id, text)
        else:
            require_rep_role(principal, action)
            if action == "confirm":
                request.check_confirm(principal.person_id)
            else:
                request.check_reopen(principal.person_id, text)

    def acknowledge(
        self, request_id: str, principal: Principal, key: str, now: datetime
    ) -> SupportInfo:
        request = self.get(request_id)
        if key in request.commands:
            return support_info(request)
        self.check(request, principal, "acknowledge", "")
        r = request.routing
        hours = (r.office_hours.start, r.office_hours.end) if r.office_hours else None
        minutes = office_minutes_between(request.clock.raised_at, now, hours, r, r.time_zone)
        with self._context(principal, request.workflow_id, f"acknowledge/{key}"):
            request.acknowledge(key, principal.person_id, principal.role.value, now, minutes)
        self.app.save(request)
        return support_info(request)

    def answer(
        self, request_id: str, principal: Principal, key: str, text: str, now: datetime
    ) -> SupportInfo:
        request = self.get(request_id)
        if key in request.commands:
            return support_info(request)
        self.check(request, principal, "answer", text)
        with self._context(principal, request.workflow_id, f"answer/{key}"):
            request.give_answer(key, principal.person_id, text.strip(), now)
        self.app.save(request)
        return support_info(request)

    # -- the rep -------------------------------------------------------------------------
    def confirm(
        self, request_id: str, principal: Principal, key: str, now: datetime
    ) -> SupportInfo:
        request = self.get(request_id)
        if key in request.commands:
            return support_info(request)
        self.check(request, principal, "confirm", "")
        with self._context(principal, request.workflow_id, f"confirm/{key}"):
            request.confirm(key, principal.person_id, now)
        self.app.save(request)
        return support_info(request)

    def reopen(
        self, request_id: str, principal: Principal, key: str, reason: str, now: datetime
    ) -> SupportInfo:
        request = self.get(request_id)
        if key in request.commands:
            return support_info(request)
        self.check(request, principal, "reopen", reason)
        with self._context(principal, request.workflow_id, f"reopen/{key}", reason=reason):
            request.reopen(key, principal.person_id, reason.strip(), now)
        self.app.save(request)
        return support_info(request)

    # -- the clock -----------------------------------------------------------------------
    def remind(
        self, request_id: str, key: str, percent: int, recipients: list[str], now: datetime
    ) -> SupportInfo:
        request = self.get(request_id)
        with self._context(None, request.workflow_id, f"remind/{key}"):
            changed = request.remind(key, percent, recipients, now)
        if changed:
            self.app.save(request)
        return support_info(request)

    def breach(self, request_id: str, now: datetime) -> SupportInfo:
        request = self.get(request_id)
        reason = (
            f"not acknowledged within {request.routing.response_minutes} minutes "
            f"(due {request.clock.due_at.isoformat()})"
        )
        with self._context(None, request.workflow_id, "breach", reason=reason):
            changed = request.breach(now)
        if changed:
            self.app.save(request)
        return support_info(request)

    def close_unconfirmed(self, request_id: str, now: datetime) -> SupportInfo:
        request = self.get(request_id)
        reason = (
            f"the answer was neither confirmed nor reopened within "
            f"{request.routing.close_unconfirmed_after_hours} hours"
        )
        with self._context(None, request.workflow_id, "close", reason=reason):
            changed = request.close_unconfirmed(now)
        if changed:
            self.app.save(request)
        return support_info(request)

    @staticmethod
    def _context(
        principal: Principal | None, workflow_id: str, step: str, reason: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        return command_context(
            actor=principal.person_id if principal else "careerflow",
            role=principal.role.value if principal else "system",
            command_id=f"{workflow_id}/{step}",
            workflow_id=workflow_id,
            reason=reason,
        )
