"""A support request's plain values: its statuses, the actions people take on it and its
SLA clock. Pure (pydantic and the message templates), so the SupportRequest workflow and
its activity contracts use them without importing the event-sourced aggregate;
`aggregates.support_request` re-exports them. None is an event: the clock is stored as
plain JSON inside the Raised event, never by topic."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from aggregates.meta import Immutable
from words.messages import Message

SupportStatus = Literal["open", "acknowledged", "answered", "reopened", "resolved", "closed"]
# Waiting for the support team (the queue); "answered" waits for the rep.
WITH_TEAM: tuple[SupportStatus, ...] = ("open", "acknowledged", "reopened")
FINISHED: tuple[SupportStatus, ...] = ("resolved", "closed")
# What a person may do to a request, as said in a refusal ("only ... may {action} it").
ACTIONS = {
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
