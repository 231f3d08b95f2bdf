"""A 360° assessment round (seed 004): HR starts it for people or a team with a deadline;
every rater (the person, their manager, peers and reports) is told whom to rate, rates
each competency through an Update, and is reminded before the deadline while a task is
open. At the deadline (plus the competency model's grace for late ratings, 0 by
default: a late rating is refused with the reason) the round closes: anonymous groups
are sealed, profiles computed, gaps recommend courses, the levels go to the metric
ledger, and each person gets their results.

Anonymous ratings are held here until the close and handed over in an order of their
content, never with the rater; the store records for them only that the task is done.

Rounds of any size (`StartRound.bounded`): the steps take and return ids, counts and
pages (never the task list); notices, reminders, sealing and results go a page at a time; and a run
continues as new once its history reaches `events_per_run` events, handing the next run
its place and the anonymous ballots (a `Carry`), so no history grows with the round.
Rounds started without `bounded` finish as they began (`_run_unbounded`)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import NoReturn

from temporalio import workflow

# Passed through: imported once per worker, not again for every run (the state module
# builds pydantic models).
with workflow.unsafe.imports_passed_through():
    from activities.assessments import (
        AssessmentActivities,
        Ballot,
        CloseRound,
        CloseSummary,
        FinishRound,
        OpenRound,
        ProfileNote,
        RateCommand,
        RatingReceipt,
        RemindRound,
        RoundBrief,
        RoundClosed,
        RoundInfo,
        RoundPage,
        RoundRef,
        SealedRating,
        SealPage,
        ballot_key,
        sealed_order,
    )
    from aggregates.assessment_rules import (
        RaterTask,
        already_rated,
        closed_refusal,
        no_task,
        rater_refusal,
        rating_refusal,
        task_key,
    )
    from words.messages import Message, as_message
    from workflows.assessment_round_state import (
        BUSY,
        EVENTS_PER_RUN,
        FAN_OUT,
        SEAL_BALLOTS,
        Carry,
        RateRequest,
        RoundOutcome,
        RoundState,
        StartRound,
        _in_batches,
        _seal_page,
        assessment_workflow_id,
    )
    from workflows.notify import notify
    from workflows.refusals import busy, refuse, refused
    from workflows.steps import run

__all__ = [
    "BUSY",
    "EVENTS_PER_RUN",
    "FAN_OUT",
    "SEAL_BALLOTS",
    "AssessmentRoundWorkflow",
    "Carry",
    "RateRequest",
    "RoundOutcome",
    "RoundState",
    "StartRound",
    "assessment_workflow_id",
]


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
        self.carry: Carry | None = start.carry  # set: a bounded round, once opened
        self.closing = bool(start.carry and start.carry.closing)
        self.handing_over = False
        self.in_flight: set[str] = set()

    @workflow.run
    async def run(self, start: StartRound) -> RoundOutcome:
        if not start.bounded:
            return await self._run_unbounded(start)  # started before rounds of any size
        return await self._run_bounded(start)

    async def _run_unbounded(self, start: StartRound) -> RoundOutcome:
        """The whole round in one history, its task list in workflow state: rounds started
        without `bounded` replay and finish this way."""
        workflow_id = workflow.info().workflow_id
        info = await run(
            AssessmentActivities.open,
            OpenRound(
                request=start.request,
                started_by=start.started_by,
                workflow_id=workflow_id,
                now=workflow.now(),
            ),
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
            reminders = await run(
                AssessmentActivities.remind, RemindRound(round_id=info.round_id, index=index)
            )
            await _in_batches(
                [
                    self._reminder(base, ref, index, r.rater_id, r.ratees, reminders.deadline_label)
                    for r in reminders.raters
                ]
            )

        # The deadline; late ratings only during the model's grace period, if any.
        await self._until(info.deadline, lambda: False)
        if info.close_at > info.deadline:
            await run(AssessmentActivities.deadline, RoundRef(round_id=info.round_id))
            await self._until(info.close_at, lambda: False)
        self.closing = True
        await workflow.wait_condition(workflow.all_handlers_finished)

        summary = await run(
            AssessmentActivities.close,
            CloseRound(
                round_id=info.round_id,
                sealed=sorted(self.sealed, key=sealed_order),
                now=workflow.now(),
            ),
        )
        self.sealed = []
        await self._send_profiles(base, ref, summary.notes)
        await self._closed_notice(base, ref, summary)
        return RoundOutcome(
            round_id=info.round_id,
            asked=summary.asked,
            rated=summary.rated,
            late=summary.late,
            gaps={g.competency: g.share for g in summary.gaps},
        )

    async def _run_bounded(self, start: StartRound) -> RoundOutcome:
        c = start.carry
        if c is None:
            brief = await run(
                AssessmentActivities.open_brief,
                OpenRound(
                    request=start.request,
                    started_by=start.started_by,
                    workflow_id=workflow.info().workflow_id,
                    now=workflow.now(),
                ),
            )
            c = Carry(brief=brief, rated=brief.rated)
            self.carry = c
        b = c.brief
        base = f"assessment/{b.round_id}"
        ref = {"type": "assessment", "id": b.round_id}

        # Every rater learns whom to rate and by when, a page of raters at a time.
        while c.notices_after is not None:
            after = c.notices_after
            page = await run(
                AssessmentActivities.raters, RoundPage(round_id=b.round_id, after=after)
            )
            await _in_batches(
                [self._task_notice(base, ref, r.rater_id, r.ratees, b) for r in page.raters]
            )
            c.notices_after = page.next
            await self._checkpoint(start)

        # Reminders to raters with a task still open.
        while c.reminder < len(b.reminders):
            if c.reminder_after is None:
                await self._wait_until(b.reminders[c.reminder], start, self._all_done)
                if self._all_done():
                    c.reminder = len(b.reminders)
                    break
                c.reminder_after = ""
            page = await run(
                AssessmentActivities.raters,
                RoundPage(round_id=b.round_id, after=c.reminder_after, reminder=c.reminder),
            )
            await _in_batches(
                [
                    self._reminder(base, ref, c.reminder, r.rater_id, r.ratees, page.deadline_label)
                    for r in page.raters
                ]
            )
            if page.next is None:
                c.reminder, c.reminder_after = c.reminder + 1, None
            else:
                c.reminder_after = page.next
            await self._checkpoint(start)

        # The deadline; late ratings only during the model's grace period, if any.
        await self._wait_until(b.deadline, start)
        if b.close_at > b.deadline:
            if not c.deadline_passed:
                await run(AssessmentActivities.deadline_brief, RoundRef(round_id=b.round_id))
                c.deadline_passed = True
            await self._wait_until(b.close_at, start)
        c.closing = self.closing = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        if c.closed_at is None:
            c.closed_at = workflow.now()

        # Sealed a page of people at a time, then closed; the results go out in pages.
        while not c.sealed:
            ballots, upto = _seal_page(c.ballots)
            await run(
                AssessmentActivities.seal,
                SealPage(round_id=b.round_id, ballots=ballots, upto=upto),
            )
            for key in ballots:
                del c.ballots[key]
            c.sealed = upto is None
            await self._checkpoint(start)
        if c.closed is None:
            c.closed = await run(
                AssessmentActivities.finish, FinishRound(round_id=b.round_id, now=c.closed_at)
            )
        while c.notes_after is not None:
            notes = await run(
                AssessmentActivities.notes, RoundPage(round_id=b.round_id, after=c.notes_after)
            )
            await self._send_profiles(base, ref, notes.notes)
            c.notes_after = notes.next
            await self._checkpoint(start)
        closed = c.closed
        await self._closed_notice(base, ref, closed)
        return RoundOutcome(
            round_id=b.round_id,
            asked=closed.asked,
            rated=closed.rated,
            late=closed.late,
            gaps={g.competency: g.share for g in closed.gaps},
            runs=c.runs,
            most_events=max(c.most_events, workflow.info().get_current_history_length()),
        )

    async def _closed_notice(
        self, base: str, ref: dict[str, str], summary: CloseSummary | RoundClosed
    ) -> None:
        gaps = [Message("{text}", text=g.text) for g in summary.gaps]
        await notify(
            key=f"{base}/closed",
            recipient_id=summary.started_by,
            kind="assessment.closed",
            title=Message("360° round closed: {title}", title=Message.quote(summary.title)),
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

    # -- a bounded history -----------------------------------------------------------------
    def _too_long(self, start: StartRound) -> bool:
        info = workflow.info()
        return (
            info.get_current_history_length() >= start.events_per_run
            or info.is_continue_as_new_suggested()
        )

    async def _checkpoint(self, start: StartRound) -> None:
        if self._too_long(start):
            await self._continue(start)

    async def _continue(self, start: StartRound) -> NoReturn:
        """The next run goes on from here with a fresh history. Ratings arriving while
        the running ones finish are turned away as busy (the service tries them again)."""
        assert self.carry is not None
        self.handing_over = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        c = self.carry
        c.most_events = max(c.most_events, workflow.info().get_current_history_length())
        c.runs += 1
        workflow.continue_as_new(start.model_copy(update={"carry": c}))

    async def _wait_until(
        self, at: datetime, start: StartRound, done: Callable[[], bool] = lambda: False
    ) -> None:
        """Waits until `at` or `done()`; continues as new meanwhile if ratings made the
        history long (the next run waits for the rest)."""
        await self._until(at, lambda: done() or self._too_long(start))
        await self._checkpoint(start)

    # -- notifications -------------------------------------------------------------------
    async def _send_profiles(
        self, base: str, ref: dict[str, str], notes: list[ProfileNote]
    ) -> None:
        """Each assessed person's profile notice, in batches."""
        await _in_batches(
            [
                self._send(
                    f"{base}/profile/{note.employee_id}",
                    note.employee_id,
                    "assessment.profile",
                    as_message(note.title),
                    Message("{text}", text=note.body),
                    ref,
                )
                for note in notes
            ]
        )

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
        self,
        base: str,
        ref: dict[str, str],
        rater: str,
        people: list[str],
        info: RoundInfo | RoundBrief,
    ) -> Callable[[], Awaitable[None]]:
        names = ", ".join(people)
        return self._send(
            f"{base}/task/{rater}",
            rater,
            "assessment.task",
            Message("360° assessment: {title}", title=Message.quote(info.title)),
            Message(
                "Rate {people} on each competency (1-{top}) by {deadline}.",
                people=names,
                top=info.model.top,
                deadline=Message.local(info.deadline_label),
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
        deadline_label: str,
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
                deadline=Message.local(deadline_label),
            ),
            ref,
        )

    # -- time ------------------------------------------------------------------------------
    def _all_done(self) -> bool:
        if self.carry is not None:
            return self.carry.brief.asked > 0 and self.carry.rated >= self.carry.brief.asked
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
        if self.carry is not None:
            return await self._rate_bounded(self.carry, request)
        info = self._require_info()
        key = task_key(request.principal.person_id, request.ratee_id)
        task = self.tasks[key]
        if key in self.done:  # a second rating accepted in the same moment as the first
            raise refused(already_rated(task.rater_id, task.ratee_id, info.round_id))
        self.done.add(key)  # claimed before anything is awaited
        try:
            receipt = await run(
                AssessmentActivities.rate,
                RateCommand(
                    round_id=info.round_id,
                    principal=request.principal,
                    ratee_id=request.ratee_id,
                    ratings=request.ratings,
                    key=self._key(),
                    now=workflow.now(),
                ),
            )
        except Exception:
            self.done.discard(key)
            raise
        if task.anonymous:
            self.sealed.append(
                SealedRating(ratee_id=task.ratee_id, group=task.group, ratings=request.ratings)
            )
        return receipt

    async def _rate_bounded(self, c: Carry, request: RateRequest) -> RatingReceipt:
        """The store checks the task and that it is not rated yet; here only a second
        rating racing the first is refused. An anonymous rating is kept, without its
        rater, until the close."""
        key = task_key(request.principal.person_id, request.ratee_id)
        if key in self.in_flight:
            raise refused(
                already_rated(request.principal.person_id, request.ratee_id, c.brief.round_id)
            )
        self.in_flight.add(key)
        try:
            receipt = await run(
                AssessmentActivities.rate,
                RateCommand(
                    round_id=c.brief.round_id,
                    principal=request.principal,
                    ratee_id=request.ratee_id,
                    ratings=request.ratings,
                    key=self._key(),
                    now=workflow.now(),
                ),
            )
        finally:
            self.in_flight.discard(key)
        c.rated += 1
        if receipt.anonymous:
            ballot = Ballot.of(c.brief.model.ids(), request.ratings)
            c.ballots.setdefault(ballot_key(receipt.ratee_id, receipt.group), []).append(ballot)
        return receipt

    def _check_bounded(self, c: Carry, request: RateRequest) -> None:
        b = c.brief
        p = request.principal
        if refusal := rater_refusal(p.role.value, p.person_id, b.round_id):
            raise refused(refusal)
        now = workflow.now()
        closed = closed_refusal(
            b.round_id, self.closing, now, b.deadline, b.close_at, b.deadline_label, b.close_label
        )
        if closed:
            raise refused(closed)
        if self.handing_over:
            message = Message(
                "round {round_id} is starting a fresh history; rate again in a moment",
                round_id=b.round_id,
            )
            raise busy(message, BUSY)
        if refusal := rating_refusal(b.model, request.ratings):
            raise refused(refusal)

    @rate.validator
    def _check_rate(self, request: RateRequest) -> None:
        if self.carry is not None:
            self._check_bounded(self.carry, request)
            return
        if self.start.bounded:  # not opened yet: the service tries again
            message = Message("the round is still being set up; try again in a moment")
            raise busy(message, BUSY)
        info = self._require_info()
        p = request.principal
        if refusal := rater_refusal(p.role.value, p.person_id, info.round_id):
            raise refused(refusal)
        key = task_key(p.person_id, request.ratee_id)
        if key not in self.tasks:
            raise refused(no_task(p.person_id, request.ratee_id, info.round_id))
        if key in self.done:
            raise refused(already_rated(p.person_id, request.ratee_id, info.round_id))
        closed = closed_refusal(
            info.round_id,
            self.closing,
            workflow.now(),
            info.deadline,
            info.close_at,
            info.deadline_label,
            info.close_label,
        )
        if closed:
            raise refused(closed)
        if refusal := rating_refusal(info.model, request.ratings):
            raise refused(refusal)

    @workflow.query
    def state(self) -> RoundState:
        if self.carry is not None:
            return RoundState(
                opened=True,
                asked=self.carry.brief.asked,
                rated=self.carry.rated,
                closing=self.closing,
                told=self.carry.notices_after is None,
            )
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
