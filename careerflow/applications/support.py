"""Support requests' commands on the event store (run by activities.support): each method
is one idempotent command (a retried activity changes nothing) and takes the moment it
acts at from the workflow, so SLA arithmetic follows workflow time. Who may do what is
decided in aggregates.support_rules, which the workflow's validators ask too."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aggregates.base import DomainError, EventMeta, NotFoundError, command_context
from aggregates.employee import Employee
from aggregates.not_found import no_support_request
from aggregates.support_process import HR_INBOX, SupportProcess
from aggregates.support_request import (
    Routing,
    SlaClock,
    SlaReminder,
    SupportRequest,
    support_uuid,
)
from aggregates.support_rules import action_refusal, role_refusal
from careerflow.eventstore import PydanticApplication
from careerflow.office_hours import add_office_minutes, office_minutes_between
from careerflow.principal import Principal

if TYPE_CHECKING:
    from careerflow.applications.policies import Policies

REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$")
MAX_CUSTOMER = 200


def taken(request_id: str) -> DomainError:
    """The refusal of a request id someone else raised."""
    return DomainError("support request id {request_id!r} is already taken", request_id=request_id)


def iso_week(moment: datetime, time_zone: str) -> str:
    iso = moment.astimezone(ZoneInfo(time_zone)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


class Support(PydanticApplication):
    """Support requests from the field to the product, after-sales and finance teams.

    Collaborators: `employee` reads an employee (the people application's), `policies`
    gives the support_process and promotion_process (the company calendar) in force."""

    name = "support"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
    ) -> None:
        super().__init__(env=env)
        self.wire(employee=employee, policies=policies)

    def wire(
        self,
        *,
        employee: Callable[[str], Employee] | None = None,
        policies: Policies | None = None,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before their collaborators exist (careerflow.wiring)."""
        self._employee = employee
        self._policies = policies

    # -- collaborators ---------------------------------------------------------------------
    def employee(self, employee_id: str) -> Employee:
        assert self._employee is not None, "Support needs employee= to read employees"
        return self._employee(employee_id)

    @property
    def policies(self) -> Policies:
        assert self._policies is not None, "Support needs policies= to read the policies"
        return self._policies

    def process(self) -> tuple[SupportProcess, int]:
        try:
            return self.policies.in_force(SupportProcess)
        except NotFoundError:
            raise DomainError(
                "no support_process document is published; HR publishes one "
                "(`careerflow policy seed` publishes version 1)"
            ) from None

    # -- reading ---------------------------------------------------------------------------
    def find_request(self, request_id: str) -> SupportRequest | None:
        found: SupportRequest | None = self.find(support_uuid(request_id))
        return found

    def get(self, request_id: str) -> SupportRequest:
        found = self.find_request(request_id)
        if found is None:
            raise no_support_request(request_id)
        return found

    # -- checks (nothing is recorded) ------------------------------------------------------
    def claim(self, request_id: str, principal: Principal) -> SupportRequest | None:
        """The request this rep already raised under `request_id` (a retry), or None for
        a new one; refuses an id that is malformed or someone else's."""
        if not REQUEST_ID.fullmatch(request_id):
            raise DomainError(
                "a support request id is 4-40 letters, digits, '-' or '_', got {request_id!r}",
                request_id=request_id,
            )
        existing = self.find_request(request_id)
        if existing is not None and existing.employee_id != principal.person_id:
            raise taken(request_id)
        return existing

    def check_raise(
        self, principal: Principal, category: str, text: str, customer: str | None
    ) -> tuple[SupportProcess, int]:
        """Raises with the reason the request cannot be taken."""
        if refusal := role_refusal(principal.role.value, principal.person_id, "raise"):
            raise DomainError(refusal)
        employee = self.employee(principal.person_id)
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

    def check(self, request: SupportRequest, principal: Principal, action: str, text: str) -> None:
        """Every reason `principal` may not take `action` now (support_rules decides)."""
        refusal = action_refusal(
            request.facts(), principal.role.value, principal.person_id, action, text
        )
        if refusal:
            raise DomainError(refusal)

    # -- raising ---------------------------------------------------------------------------
    def raise_request(
        self,
        request_id: str,
        principal: Principal,
        category: str,
        text: str,
        customer: str | None,
        now: datetime,
        workflow_id: str,
    ) -> SupportRequest:
        existing = self.claim(request_id, principal)
        if existing is not None:
            return existing
        process, version = self.check_raise(principal, category, text, customer)
        company, _ = self.policies.promotion_process()
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
        with _context(principal, workflow_id, "raise"):
            request = SupportRequest(
                request_id=request_id,
                employee_id=principal.person_id,
                text=text.strip(),
                customer=(customer or "").strip() or None,
                routing=routing,
                clock=clock,
                workflow_id=workflow_id,
            )
        self.save(request)
        return request

    # -- the team --------------------------------------------------------------------------
    def acknowledge(
        self, request_id: str, principal: Principal, key: str, now: datetime
    ) -> SupportRequest:
        request = self.get(request_id)
        if key in request.commands:
            return request
        self.check(request, principal, "acknowledge", "")
        r = request.routing
        hours = (r.office_hours.start, r.office_hours.end) if r.office_hours else None
        minutes = office_minutes_between(request.clock.raised_at, now, hours, r, r.time_zone)
        with _context(principal, request.workflow_id, f"acknowledge/{key}"):
            request.acknowledge(key, principal.person_id, principal.role.value, now, minutes)
        self.save(request)
        return request

    def answer(
        self, request_id: str, principal: Principal, key: str, text: str, now: datetime
    ) -> SupportRequest:
        request = self.get(request_id)
        if key in request.commands:
            return request
        self.check(request, principal, "answer", text)
        with _context(principal, request.workflow_id, f"answer/{key}"):
            request.give_answer(key, principal.person_id, text.strip(), now)
        self.save(request)
        return request

    # -- the rep ---------------------------------------------------------------------------
    def confirm(
        self, request_id: str, principal: Principal, key: str, now: datetime
    ) -> SupportRequest:
        request = self.get(request_id)
        if key in request.commands:
            return request
        self.check(request, principal, "confirm", "")
        with _context(principal, request.workflow_id, f"confirm/{key}"):
            request.confirm(key, principal.person_id, now)
        self.save(request)
        return request

    def reopen(
        self, request_id: str, principal: Principal, key: str, reason: str, now: datetime
    ) -> SupportRequest:
        request = self.get(request_id)
        if key in request.commands:
            return request
        self.check(request, principal, "reopen", reason)
        with _context(principal, request.workflow_id, f"reopen/{key}", reason=reason):
            request.reopen(key, principal.person_id, reason.strip(), now)
        self.save(request)
        return request

    # -- the clock -------------------------------------------------------------------------
    def remind(
        self, request_id: str, key: str, percent: int, recipients: list[str], now: datetime
    ) -> SupportRequest:
        request = self.get(request_id)
        with _context(None, request.workflow_id, f"remind/{key}"):
            changed = request.remind(key, percent, recipients, now)
        if changed:
            self.save(request)
        return request

    def breach(self, request_id: str, now: datetime) -> SupportRequest:
        request = self.get(request_id)
        reason = (
            f"not acknowledged within {request.routing.response_minutes} minutes "
            f"(due {request.clock.due_at.isoformat()})"
        )
        with _context(None, request.workflow_id, "breach", reason=reason):
            changed = request.breach(now)
        if changed:
            self.save(request)
        return request

    def close_unconfirmed(self, request_id: str, now: datetime) -> SupportRequest:
        request = self.get(request_id)
        reason = (
            f"the answer was neither confirmed nor reopened within "
            f"{request.routing.close_unconfirmed_after_hours} hours"
        )
        with _context(None, request.workflow_id, "close", reason=reason):
            changed = request.close_unconfirmed(now)
        if changed:
            self.save(request)
        return request


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
