"""HR's manual launch of a week's cycles or a month close: which periods may be launched.
Decided once here; the API, the pages and the CLI reach it through
CycleProcessService.check_launch."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, stable_id
from aggregates.calendar_periods import PeriodKind, period_problem, shift_month
from aggregates.errors import DomainError
from words.messages import Message

EXAMPLES: dict[PeriodKind, str] = {"week": "2026-W48", "month": "2026-11"}


class InvalidPeriodError(DomainError):
    """The period asked for is not a week (or month) at all: "2026-48" gets the
    "use '2026-W48'" hint. The API names the `period` field with it."""


def checked_launch_period(kind: PeriodKind, period: str) -> str:
    """`period` when it is a `kind` period, else InvalidPeriodError saying why."""
    problem = period_problem(period.strip(), kind, EXAMPLES[kind])
    if problem is not None:
        raise InvalidPeriodError(problem)
    return period.strip()


def launch_refusal(
    kind: PeriodKind,
    period: str,
    current_week: str,
    launched: bool,
    current_month: str | None = None,
    statements: int = 0,
) -> Message | None:
    """Why `period` may not be launched now, or None. A week before the current one is
    over (its cycles would open closed); a month not over yet has no final figures to pay
    on (closing it would fix pay on part of its sales); a period already launched, or a
    month whose statements are already out (the schedule closed it), starts nobody again.
    `current_month` is the company's local month (None: not checked)."""
    if kind == "week" and period < current_week:
        return Message(
            "week {week} is in the past; launch the current week {current} or a later one",
            week=period,
            current=current_week,
        )
    if kind == "month" and current_month is not None and period >= current_month:
        return Message(
            "month {month} is not over yet; a month is closed once it has ended "
            "(the latest month you can close now is {latest})",
            month=period,
            latest=shift_month(current_month, -1),
        )
    if launched:
        return already_launched(period)
    if kind == "month" and statements:
        return Message(
            "month {month} is already closed ({count} statements); closing it again "
            "would produce no statement",
            month=period,
            count=statements,
        )
    return None


def launch_key(kind: PeriodKind, period: str) -> str:
    return f"{kind}/{period}"


def already_launched(period: str) -> Message:
    """A period launched before (by HR or the schedule): launching again starts nobody."""
    return Message(
        "{period} is already launched; launching it again would start nobody", period=period
    )


def launch_uuid(kind: PeriodKind, period: str) -> UUID:
    return stable_id("cycle-launch", launch_key(kind, period))


class CycleLaunch(Aggregate):
    """A period's launch, recorded once by the launcher's first roster read, whichever
    way it was started (HR's page/API/CLI, or the Monday schedule, whose run has a
    workflow id of its own): "already launched" is read from here. `launched_by` is the
    person who launched it by hand (None: the schedule, or a launch recorded before it
    was kept); `Finished` is recorded once, when the launcher's roster is exhausted, with
    how many workflows it started and how many reps it skipped (having one already)."""

    @staticmethod
    def create_id(kind: PeriodKind, period: str, *_: object, **__: object) -> UUID:
        return launch_uuid(kind, period)

    class Started(Aggregate.Created):
        """Declared (not derived from `__init__`): `launched_by` has a default, so the
        events stored before it was kept still load."""

        kind: PeriodKind
        period: str
        workflow_id: str
        launched_by: str | None = None

    @event(Started)
    def __init__(
        self, kind: PeriodKind, period: str, workflow_id: str, launched_by: str | None = None
    ) -> None:
        self.kind = kind
        self.period = period
        self.workflow_id = workflow_id
        self.launched_by = launched_by
        self.finished = False
        self.started = 0
        self.skipped = 0

    def finish(self, started: int, skipped: int) -> None:
        """Records the launch's end once: a second finish (a retried activity, a launch
        run again) changes nothing."""
        if not getattr(self, "finished", False):
            self._finished(started=started, skipped=skipped)

    @event("Finished")
    def _finished(self, started: int, skipped: int) -> None:
        self.finished = True
        self.started = started
        self.skipped = skipped
