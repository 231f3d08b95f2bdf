"""A support request's plain values: its statuses, the actions people take on it and its
SLA clock. Pure (pydantic and the message templates), so the SupportRequest workflow and
its activity contracts use them without importing the event-sourced aggregate;
`aggregates.support_request` re-exports them. None is an event: the clock is stored as
plain JSON inside the Raised event, never by topic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from aggregates.meta import Immutable
from words.messages import Message

SupportStatus = Literal["open", "acknowledged", "answered", "reopened", "resolved", "closed"]
# Waiting for the support team (the queue); "answered" waits for the rep.
WITH_TEAM: tuple[SupportStatus, ...] = ("open", "acknowledged", "reopened")
FINISHED: tuple[SupportStatus, ...] = ("resolved", "closed")
# What a person may do to a request, as said in a refusal ("only ... may {action} it").
ACTIONS = {
    "raise": Message("raise"),
    "acknowledge": Message("acknowledge"),
    "answer": Message("answer"),
    "confirm": Message("confirm"),
    "reopen": Message("reopen"),
}


class SlaReminder(Immutable):
    percent: int
    at: datetime


class SlaClock(Immutable):
    raised_at: datetime
    week: str
    """The ISO week of `raised_at` in the company's time zone (compliance is by week)."""
    due_at: datetime
    reminders: list[SlaReminder]


def local_label(moment: datetime, time_zone: str) -> str:
    """A moment as said in the team's time zone: "2026-11-23 17:30 (Asia/Shanghai)"."""
    return f"{moment.astimezone(ZoneInfo(time_zone)).strftime('%Y-%m-%d %H:%M')} ({time_zone})"


# -- who may do what: each refusal decided once, here. The SupportRequest aggregate raises
# DomainError(refusal), the Support application checks the role first, and the workflow's
# Update validators raise refused(refusal) on the state they hold (activities.SupportInfo).

# Team members act with their own principal; these roles are people who can be on a team.
TEAM_ROLES = ("employee", "manager", "hr")
TEAM_ACTIONS = ("acknowledge", "answer")


class RequestState(Protocol):
    """What the rules read of a request: the aggregate's facts or the workflow's copy."""

    @property
    def request_id(self) -> str: ...
    @property
    def employee_id(self) -> str: ...
    @property
    def status(self) -> SupportStatus: ...
    @property
    def team_label(self) -> dict[str, str]: ...
    @property
    def acknowledged_by(self) -> str | None: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    def on_team(self, person_id: str) -> bool: ...
    def team_people(self) -> list[str]: ...


class RequestFacts(Immutable):
    """A RequestState built from the aggregate (its routing holds the team)."""

    request_id: str
    employee_id: str
    status: SupportStatus
    team_label: dict[str, str]
    lead_id: str
    members: Sequence[str]
    acknowledged_by: str | None
    acknowledged_at: datetime | None

    def on_team(self, person_id: str) -> bool:
        return person_id == self.lead_id or person_id in self.members

    def team_people(self) -> list[str]:
        return [self.lead_id, *(m for m in self.members if m != self.lead_id)]


def role_refusal(role: str, person_id: str, action: str) -> Message | None:
    """Whether a principal's role may take `action` at all: team members act as
    themselves; reps raise, confirm and reopen."""
    if action in TEAM_ACTIONS:
        if role not in TEAM_ROLES:
            return Message(
                "{role} {person_id} may not {action} support requests; "
                "support-team members act as themselves (employee, manager or HR)",
                role=role,
                person_id=person_id,
                action=ACTIONS[action],
            )
    elif role != "employee":
        return Message(
            "{role} {person_id} may not {action} support requests; "
            "reps raise, confirm and reopen their own requests",
            role=role,
            person_id=person_id,
            action=ACTIONS[action],
        )
    return None


def not_on_team(person_id: str, team: Any, people: list[str], action: str) -> Message:
    """`team` is the team's label ({"en", "zh"}) or its key."""
    return Message(
        "{person_id} is not on the {team} ({people}); only the team a request is "
        "routed to may {action} it",
        person_id=person_id,
        team=team,
        people=", ".join(people),
        action=ACTIONS[action],
    )


def not_the_rep(person_id: str, action: str, employee_id: str, request_id: str) -> Message:
    return Message(
        "{person_id} cannot {action} {employee_id}'s support request "
        "{request_id}; only the rep who raised it may",
        person_id=person_id,
        action=ACTIONS[action],
        employee_id=employee_id,
        request_id=request_id,
    )


def team_refusal(request: RequestState, person_id: str, action: str) -> Message | None:
    if not request.on_team(person_id):
        return not_on_team(person_id, request.team_label, request.team_people(), action)
    return finished_refusal(request)


def rep_refusal(request: RequestState, person_id: str, action: str) -> Message | None:
    if person_id != request.employee_id:
        return not_the_rep(person_id, action, request.employee_id, request.request_id)
    return finished_refusal(request)


def finished_refusal(request: RequestState) -> Message | None:
    if request.status in FINISHED:
        return Message(
            "support request {request_id} is {status}",
            request_id=request.request_id,
            status=request.status,
        )
    return None


def acknowledge_refusal(request: RequestState, person_id: str) -> Message | None:
    if refusal := team_refusal(request, person_id, "acknowledge"):
        return refusal
    if request.acknowledged_at is not None:
        return Message(
            "support request {request_id} was already acknowledged by "
            "{acknowledged_by} at {acknowledged_at}; "
            "a request is acknowledged once",
            request_id=request.request_id,
            acknowledged_by=request.acknowledged_by,
            acknowledged_at=request.acknowledged_at.isoformat(),
        )
    return None


def answer_refusal(request: RequestState, person_id: str, text: str) -> Message | None:
    if refusal := team_refusal(request, person_id, "answer"):
        return refusal
    if request.acknowledged_at is None:
        return Message(
            "support request {request_id} is not acknowledged yet; acknowledge it before answering",
            request_id=request.request_id,
        )
    if request.status == "answered":
        return Message(
            "support request {request_id} is answered and waits for "
            "{employee_id} to confirm or reopen it",
            request_id=request.request_id,
            employee_id=request.employee_id,
        )
    if not text.strip():
        return Message("an answer needs text for the rep")
    return None


def confirm_refusal(request: RequestState, person_id: str) -> Message | None:
    if refusal := rep_refusal(request, person_id, "confirm"):
        return refusal
    if request.status != "answered":
        return Message(
            "support request {request_id} has no answer to confirm yet (it is {status})",
            request_id=request.request_id,
            status=request.status,
        )
    return None


def reopen_refusal(request: RequestState, person_id: str, reason: str) -> Message | None:
    if refusal := rep_refusal(request, person_id, "reopen"):
        return refusal
    if request.status != "answered":
        return Message(
            "support request {request_id} has no answer to reopen "
            "(it is {status}); it is still with the {team}",
            request_id=request.request_id,
            status=request.status,
            team=request.team_label,
        )
    if not reason.strip():
        return Message("reopening needs a reason that tells the team what is missing")
    return None


def action_refusal(
    request: RequestState, role: str, person_id: str, action: str, text: str = ""
) -> Message | None:
    """Every reason a principal may not take `action` on the request now (its role first,
    then the request's state); None when they may."""
    if refusal := role_refusal(role, person_id, action):
        return refusal
    if action == "acknowledge":
        return acknowledge_refusal(request, person_id)
    if action == "answer":
        return answer_refusal(request, person_id, text)
    if action == "confirm":
        return confirm_refusal(request, person_id)
    return reopen_refusal(request, person_id, text)
