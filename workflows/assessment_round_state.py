"""The round workflow's inputs, outputs and the state one run hands to the next
(workflows/assessment_round.py), and its pure helpers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.assessments import Ballot, RoundBrief, RoundClosed, RoundRequest
    from aggregates.ratings import RatingItem
    from careerflow.principal import Principal

FAN_OUT = 20  # notifications sent at a time

EVENTS_PER_RUN = 10_000
"""A run continues as new once its history has this many events (Temporal's limit is
50,000). It checks between pages and while waiting, so a run ends within one page (at
most PAGE raters x FAN_OUT-wide notify rounds, ~700 events) or one burst of ratings of it."""
SEAL_BALLOTS = 2_000
"""Anonymous ballots per sealing step (~35 bytes each: ~70 KB an activity input)."""
BUSY = "RoundBusy"
"""A rating that arrived while the run hands over to the next: the caller tries again."""


class Carry(BaseModel):
    """What one run of a round hands to the next: where it is and the anonymous ballots
    waiting for the close (without raters); never the task list or named ratings (the
    store has them)."""

    brief: RoundBrief
    notices_after: str | None = ""  # None: every rater was told
    reminder: int = 0  # the next reminder
    reminder_after: str | None = None  # None: that reminder has not begun
    deadline_passed: bool = False
    closing: bool = False
    closed_at: datetime | None = None
    sealed: bool = False
    closed: RoundClosed | None = None
    notes_after: str | None = ""  # None: everyone has their results
    rated: int = 0
    ballots: dict[str, list[Ballot]] = {}
    runs: int = 1
    most_events: int = 0


class StartRound(BaseModel):
    request: RoundRequest
    started_by: Principal
    bounded: bool = False
    """The versioning decision: rounds of any size (compact steps, paged notices and
    results, continue-as-new). The service starts every round so; an input without it (a
    round started before, and the committed histories) runs the one-history path. A
    field rather than `workflow.patched`, whose marker would be the one payload in a
    round's history that the codec does not encrypt."""
    carry: Carry | None = None
    events_per_run: int = EVENTS_PER_RUN


class RateRequest(BaseModel):
    principal: Principal
    ratee_id: str
    ratings: dict[str, RatingItem]


class RoundState(BaseModel):
    """For operators and tests: counts only (dashboards read the round's read model)."""

    opened: bool
    asked: int
    rated: int
    closing: bool
    told: bool = False
    """Every rater has been told whom to rate."""


class RoundOutcome(BaseModel):
    round_id: str
    asked: int
    rated: int
    late: int
    gaps: dict[str, float | None]
    """competency -> share of the assessed below target."""
    runs: int = 1
    """Runs of the workflow (continued as new between them)."""
    most_events: int = 0
    """The longest history of its runs."""


def assessment_workflow_id(round_id: str) -> str:
    return f"assessment-{round_id}"


async def _in_batches(calls: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for offset in range(0, len(calls), FAN_OUT):
        await asyncio.gather(*(call() for call in calls[offset : offset + FAN_OUT]))


def _seal_page(ballots: dict[str, list[Ballot]]) -> tuple[dict[str, list[Ballot]], str | None]:
    """The next people to seal, by id, with all their ballots: whole people up to about
    SEAL_BALLOTS ballots, and up to which id (None: everyone left, ballots or not)."""
    keys: dict[str, list[str]] = defaultdict(list)
    for key in ballots:
        keys[key.rsplit("/", 1)[0]].append(key)
    page: dict[str, list[Ballot]] = {}
    count = 0
    ratees = sorted(keys)
    for i, ratee in enumerate(ratees):
        for key in sorted(keys[ratee]):
            page[key] = ballots[key]
            count += len(ballots[key])
        if count >= SEAL_BALLOTS and i < len(ratees) - 1:
            return page, ratee
    return page, None
