"""A 360° assessment round (seed 004): HR starts it for people or a team with a deadline;
every rater (the person, their manager, peers and reports) is told whom to rate, rates
each competency through an Update, and is reminded before the deadline while a task is
open. At the deadline (plus the competency model's grace for late ratings, 0 by
default: a late rating is refused with the reason) the round closes: anonymous groups
are sealed, profiles computed, gaps recommend courses, the levels go to the metric
ledger, and each person gets their results.

Anonymous ratings are held here until the close and handed over in an order of their
content, never with the rater; the store records for them only that the task is done."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.assessments import RemindRound, RoundRef
    from aggregates.assessment_round import RaterTask, task_key
    from aggregates.competency import RatingItem, rating_problems
    from careerflow.messages import Message
    from careerflow.principal import AccessRole, Principal
    from careerflow.services.assessments import (
        CloseRound,
        CloseSummary,
        OpenRound,
        RateCommand,
        RatingReceipt,
        Reminders,
        RoundInfo,
        RoundRequest,
        SealedRating,
        closed_message,
        sealed_order,
    )
    from workflows.notify import notify
    from workflows.refusals import refuse, refused
    from workflows.steps import step

FAN_OUT = 20  # notifications sent at a time


class StartRound(BaseModel):
    request: RoundRequest
    started_by: Principal


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


class RoundOutcome(BaseModel):
    round_id: str
    asked: int
    rated: int
    late: int
    gaps: dict[str, float | None]
    """competency -> share of the assessed below target."""


def assessment_workflow_id(round_id: str) -> str:
    return f"assessment-{round_id}"


async def _in_batches(calls: Sequence[Callable[[], Awaitable[None]]]) -> None:
    for offset in range(0, len(calls), FAN_OUT):
        await asyncio.gather(*(call() for call in calls[offset : offset + FAN_OUT]))


@workflow.defn(name="AssessmentRound")
class AssessmentRoundWorkflow:
    @workflow.init
    def __init__(self, start: StartRound) -> None:
        self.start = start
        self.info: RoundInfo | None = None
        self.tasks: dict[str, RaterTask] = {}
        self.done: set[str] = set()
        self.sealed: list[SealedRating] = []
        self.closing = False
        self.commands = 0

    @workflow.run
    async def run(self, start: StartRound) -> RoundOutcome:
        workflow_id = workflow.info().workflow_id
        info = await step(
            "assessment_open",
            OpenRound(
                request=start.request,
                started_by=start.started_by,
                workflow_id=workflow_id,
                now=workflow.now(),
            ),
            RoundInfo,
        )
        self.info = info
        self.tasks = {t.key: t for t in info.tasks}
        self.done = set(info.completed)
        base = f"assessment/{info.round_id}"
        ref = {"type": "assessment", "id": info.round_id}

        # Every rater learns whom to rate and by when.
        ratees: dict[str, list[str]] = {}
        for t in info.tasks:
            ratees.setdefault(t.rater_id, []).append(t.ratee_id)
        await _in_batches(
            [
                self._task_notice(base, ref, rater, people, info)
                for rater, people in sorted(ratees.items())
            ]
        )

        # Reminders to raters with a task still open.
        for index, at in enumerate(info.reminders):
            await self._until(at, self._all_done)
            if self._all_done():
                break
            reminders: Reminders = await step(
                "assessment_remind", RemindRound(round_id=info.round_id, index=index), Reminders
            )
            await _in_batches(
                [
                    self._reminder(base, ref, index, r.rater_id, r.ratees, reminders)
                    for r in reminders.raters
                ]
            )

        # The deadline; late ratings only during the model's grace period, if any.
        await self._until(info.deadline, lambda: False)
        if info.close_at > info.deadline:
            await step("assessment_deadline", RoundRef(round_id=info.round_id), RoundInfo)
            await self._until(info.close_at, lambda: False)
        self.closing = True
        await workflow.wait_condition(workflow.all_handlers_finished)

        summary: CloseSummary = await step(
            "assessment_close",
            CloseRound(
                round_id=info.round_id,
                sealed=sorted(self.sealed, key=sealed_order),
                now=workflow.now(),
            ),
            CloseSummary,
        )
        self.sealed = []
        await _in_batches(
            [
                self._send(
                    f"{base}/profile/{note.employee_id}",
                    note.employee_id,
                    "assessment.profile",
                    Message("{text}", text=note.title),
                    Message("{text}", text=note.body),
                    ref,
                )
                for note in summary.notes
            ]
        )
        gaps = [Message("{text}", text=g.text) for g in summary.gaps]
        await notify(
            key=f"{base}/closed",
            recipient_id=summary.started_by,
            kind="assessment.closed",
            title=Message("360° round closed: {title}", title=summary.title),
            body=Message(
                "{rated} of {asked} ratings in ({late} late); {gaps}",
                rated=summary.rated,
                asked=summary.asked,
                late=summary.late,
                gaps=gaps,
            )
            if gaps
            else Message(
                "{rated} of {asked} ratings in ({late} late)",
                rated=summary.rated,
                asked=summary.asked,
                late=summary.late,
            ),
            ref=ref,
        )
        return RoundOutcome(
            round_id=info.round_id,
            asked=summary.asked,
            rated=summary.rated,
            late=summary.late,
            gaps={g.competency: g.share for g in summary.gaps},
        )

    # -- notifications -------------------------------------------------------------------
    def _send(
        self,
        key: str,
        recipient: str,
        kind: str,
        title: Message,
        body: Message,
        ref: dict[str, str],
    ) -> Callable[[], Awaitable[None]]:
        async def send() -> None:
            await notify(
                key=key, recipient_id=recipient, kind=kind, title=title, body=body, ref=ref
            )

        return send

    def _task_notice(
        self, base: str, ref: dict[str, str], rater: str, people: list[str], info: RoundInfo
    ) -> Callable[[], Awaitable[None]]:
        names = ", ".join(people)
        return self._send(
            f"{base}/task/{rater}",
            rater,
            "assessment.task",
            Message("360° assessment: {title}", title=info.title),
            Message(
                "Rate {people} on each competency (1-{top}) by {deadline}.",
                people=names,
                top=info.model.top,
                deadline=info.deadline_label,
            ),
            ref,
        )

    def _reminder(
        self,
        base: str,
        ref: dict[str, str],
        index: int,
        rater: str,
        people: list[str],
        reminders: Reminders,
    ) -> Callable[[], Awaitable[None]]:
        names = ", ".join(people)
        return self._send(
            f"{base}/reminder-{index}/{rater}",
            rater,
            "assessment.reminder",
            Message("360° ratings due"),
            Message(
                "You still have to rate {people}; the deadline is {deadline}.",
                people=names,
                deadline=reminders.deadline_label,
            ),
            ref,
        )

    # -- time ------------------------------------------------------------------------------
    def _all_done(self) -> bool:
        return bool(self.tasks) and len(self.done) >= len(self.tasks)

    async def _until(self, at: datetime, done: Callable[[], bool]) -> None:
        """Waits until `at` (workflow time) or until `done()`, whichever is first."""
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0 or done():
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(done, timeout=timedelta(seconds=remaining))

    def _key(self) -> str:
        # Unique per update, stable across retries of its activity.
        self.commands += 1
        return f"rate-{workflow.info().run_id}-{self.commands}"

    # -- updates -------------------------------------------------------------------------
    @workflow.update
    async def rate(self, request: RateRequest) -> RatingReceipt:
        info = self._require_info()
        key = task_key(request.principal.person_id, request.ratee_id)
        task = self.tasks[key]
        if key in self.done:  # a second rating accepted in the same moment as the first
            raise refuse(
                "{rater_id} already rated {ratee_id} in round {round_id}; ratings are final",
                rater_id=task.rater_id,
                ratee_id=task.ratee_id,
                round_id=info.round_id,
            )
        self.done.add(key)  # claimed before anything is awaited
        try:
            receipt: RatingReceipt = await step(
                "assessment_rate",
                RateCommand(
                    round_id=info.round_id,
                    principal=request.principal,
                    ratee_id=request.ratee_id,
                    ratings=request.ratings,
                    key=self._key(),
                    now=workflow.now(),
                ),
                RatingReceipt,
            )
        except Exception:
            self.done.discard(key)
            raise
        if task.anonymous:
            self.sealed.append(
                SealedRating(ratee_id=task.ratee_id, group=task.group, ratings=request.ratings)
            )
        return receipt

    @rate.validator
    def _check_rate(self, request: RateRequest) -> None:
        info = self._require_info()
        p = request.principal
        if p.role not in (AccessRole.employee, AccessRole.manager):
            raise refuse(
                "{role} {person_id} cannot rate in round {round_id}; raters rate for themselves",
                role=p.role.value,
                person_id=p.person_id,
                round_id=info.round_id,
            )
        key = task_key(p.person_id, request.ratee_id)
        if key not in self.tasks:
            raise refuse(
                "{person_id} has no rating task for {ratee_id} in round {round_id}",
                person_id=p.person_id,
                ratee_id=request.ratee_id,
                round_id=info.round_id,
            )
        if key in self.done:
            raise refuse(
                "{rater_id} already rated {ratee_id} in round {round_id}; ratings are final",
                rater_id=p.person_id,
                ratee_id=request.ratee_id,
                round_id=info.round_id,
            )
        if self.closing or workflow.now() >= info.close_at:
            raise refused(
                closed_message(
                    info.round_id,
                    info.deadline_label,
                    info.close_label,
                    info.close_at > info.deadline,
                )
            )
        problems = rating_problems(info.model, request.ratings)
        if problems:
            raise refuse("the rating was not taken: {problems}", problems=problems)

    @workflow.query
    def state(self) -> RoundState:
        return RoundState(
            opened=self.info is not None,
            asked=len(self.tasks),
            rated=len(self.done),
            closing=self.closing,
        )

    def _require_info(self) -> RoundInfo:
        if self.info is None:
            raise refuse("the round is still being set up; try again in a moment")
        return self.info
