"""One support request (seed 004): raised by a rep, routed by the support_process
document to a team with a response SLA (the article's hour; 30 minutes for product),
reminders to the team before the SLA passes, an escalation to the team lead and HR when
it does, then the team's acknowledgement and answer and the rep's confirmation (or a
reopen with a reason, answered again). An answer left unconfirmed closes after the
document's `close_unconfirmed_after_hours`.

The SLA moments (due, reminders) are computed by the `support_raise` activity in office
hours of the company's calendar and recorded, so they are in the history. The people's
steps are Updates, checked by validators against the request's routing and state and
recorded by activities that check again on the event store."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.support import (
        Action,
        RaiseSupport,
        SupportAction,
        SupportActivities,
        SupportClockStep,
        SupportInfo,
        SupportReminder,
    )
    from aggregates.support_rules import action_refusal
    from careerflow.principal import Principal
    from words.messages import Message
    from workflows.notify import notify
    from workflows.refusals import refuse, refused
    from workflows.steps import run
    from workflows.support_request_io import RepStep, StartSupport, SupportOutcome, TeamStep


def support_workflow_id(request_id: str) -> str:
    return f"support-{request_id}"


def _minutes(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _refusal(exc: ActivityError) -> Message:
    """Why the activity refused, with its template and values when it sent them (a
    DomainError does, see activities.errors), so the caller can say it in any language."""
    cause = exc.cause
    if not isinstance(cause, ApplicationError):
        return Message.verbatim(str(exc))
    return Message.from_failure(cause.details, cause.message)


@workflow.defn(name="SupportRequest")
class SupportRequestWorkflow:
    @workflow.init
    def __init__(self, start: StartSupport) -> None:
        self.start = start
        self.info: SupportInfo | None = None
        self.failure: Message | None = None
        self.commands = 0

    @workflow.run
    async def run(self, start: StartSupport) -> SupportOutcome:
        try:
            self.info = await run(
                SupportActivities.raise_request,
                RaiseSupport(
                    request_id=start.request_id,
                    principal=start.principal,
                    category=start.category,
                    text=start.text,
                    customer=start.customer,
                    now=workflow.now(),
                    workflow_id=workflow.info().workflow_id,
                ),
            )
        except ActivityError as exc:
            self.failure = _refusal(exc)
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise refused(self.failure) from None
        info = self.info
        base = f"support/{info.request_id}"
        subject = Message(
            "{request_id} · {category} · {employee_id}",
            request_id=info.request_id,
            category=info.category_label,
            employee_id=info.employee_id,
        )

        for person in info.team_people():
            await self._notify(
                f"{base}/new/{person}",
                person,
                "support.new",
                Message("New support request for the {team}", team=info.team_label),
                Message(
                    "{subject} (customer: {customer}): {text} · respond within {minutes} minutes",
                    subject=subject,
                    customer=Message.quote(info.customer),
                    text=Message.quote(info.text),
                    minutes=info.response_minutes_allowed,
                )
                if info.customer
                else Message(
                    "{subject}: {text} · respond within {minutes} minutes",
                    subject=subject,
                    text=Message.quote(info.text),
                    minutes=info.response_minutes_allowed,
                ),
            )

        # The response SLA: reminders to the team, then the escalation.
        for reminder in info.reminders:
            await self._until(reminder.at, self._acknowledged)
            if self._acknowledged():
                break
            key = f"reminder-{reminder.percent}"
            people = info.team_people()
            await run(
                SupportActivities.remind,
                SupportReminder(
                    request_id=info.request_id,
                    key=key,
                    percent=reminder.percent,
                    recipients=people,
                    now=workflow.now(),
                ),
            )
            for person in people:
                await self._notify(
                    f"{base}/{key}/{person}",
                    person,
                    "support.sla_reminder",
                    Message(
                        "Reminder: a support request is {percent}% into its SLA",
                        percent=reminder.percent,
                    ),
                    Message(
                        "{subject}: acknowledge it by {due}",
                        subject=subject,
                        due=Message.local(info.due_label),
                    ),
                )
        await self._until(info.due_at, self._acknowledged)
        if not self._acknowledged():
            breached = await run(
                SupportActivities.breach,
                SupportClockStep(request_id=info.request_id, now=workflow.now()),
            )
            if breached.breached_at is not None:
                self.info = self._current().model_copy(update={"breached_at": breached.breached_at})
                for person in breached.escalate_to:
                    await self._notify(
                        f"{base}/escalation/{person}",
                        person,
                        "support.escalation",
                        Message(
                            "Escalation: a support request missed its {minutes}-minute SLA",
                            minutes=info.response_minutes_allowed,
                        ),
                        Message(
                            "{subject}: not acknowledged by the {team} by {due}",
                            subject=subject,
                            team=info.team_label,
                            due=Message.local(info.due_label),
                        ),
                    )
        await workflow.wait_condition(self._acknowledged)
        acked = self._current()
        met = Message("SLA met") if acked.sla_met else Message("SLA missed")
        await self._notify(
            f"{base}/acknowledged",
            info.employee_id,
            "support.acknowledged",
            Message("Your support request is being handled"),
            Message(
                "{person} of the {team} took {subject} after {minutes} minutes ({sla}).",
                person=acked.acknowledged_by,
                team=info.team_label,
                subject=subject,
                minutes=_minutes(acked.response_minutes or 0),
                sla=met,
            ),
        )

        # Answers, each confirmed or reopened by the rep (or closed unconfirmed).
        answers_seen = 0
        reopens_seen = 0
        while True:
            await workflow.wait_condition(self._answered_after(answers_seen))
            answered = self._current()
            answers_seen = answered.answers
            await self._notify(
                f"{base}/answer-{answers_seen}",
                info.employee_id,
                "support.answered",
                Message("Your support request is answered"),
                Message(
                    "{subject}: {answer} · confirm it resolved your request, "
                    "or reopen it with what is missing.",
                    subject=subject,
                    answer=Message.quote(answered.answer or ""),
                ),
            )
            assert answered.answered_at is not None
            deadline = answered.answered_at + timedelta(hours=info.close_unconfirmed_after_hours)
            seen = answers_seen
            await self._until(deadline, self._settled_after(seen))
            now = self._current()
            if now.status == "resolved":
                break
            if now.reopens > reopens_seen:
                reopens_seen = now.reopens
                for person in dict.fromkeys([answered.answered_by or info.lead_id, info.lead_id]):
                    await self._notify(
                        f"{base}/reopen-{reopens_seen}/{person}",
                        person,
                        "support.reopened",
                        Message("A support request was reopened"),
                        Message(
                            "{subject}: {employee_id} says the answer did not resolve it; "
                            "see the reason and answer again.",
                            subject=subject,
                            employee_id=info.employee_id,
                        ),
                    )
                continue
            if now.answers > seen:
                continue
            closed = await run(
                SupportActivities.close_unconfirmed,
                SupportClockStep(request_id=info.request_id, now=workflow.now()),
            )
            self.info = self._current().model_copy(
                update={"status": closed.status, "finished_at": closed.finished_at}
            )
            if closed.status == "closed":
                await self._notify(
                    f"{base}/closed",
                    info.employee_id,
                    "support.closed",
                    Message("Your support request was closed"),
                    Message(
                        "{subject}: no confirmation within {hours} hours; raise a new request "
                        "if you still need help.",
                        subject=subject,
                        hours=info.close_unconfirmed_after_hours,
                    ),
                )
            break
        await workflow.wait_condition(workflow.all_handlers_finished)
        final = self._current()
        return SupportOutcome(
            request_id=final.request_id,
            status=final.status,
            sla_met=final.sla_met,
            breached=final.breached_at is not None or final.sla_met is False,
            response_minutes=final.response_minutes,
            answers=final.answers,
            reopens=final.reopens,
        )

    # -- helpers -------------------------------------------------------------------------
    def _current(self) -> SupportInfo:
        assert self.info is not None
        return self.info

    def _answered_after(self, seen: int) -> Callable[[], bool]:
        return lambda: self._current().answers > seen

    def _settled_after(self, seen: int) -> Callable[[], bool]:
        """The rep confirmed or reopened answer `seen`, or a newer answer came."""
        return lambda: self._current().status != "answered" or self._current().answers > seen

    def _acknowledged(self) -> bool:
        return self.info is not None and self.info.acknowledged_at is not None

    async def _until(self, at: datetime, done: Callable[[], bool]) -> None:
        """Waits until `at` (workflow time) or until `done()`, whichever is first."""
        remaining = (at - workflow.now()).total_seconds()
        if remaining <= 0 or done():
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(done, timeout=timedelta(seconds=remaining))

    async def _notify(
        self, key: str, recipient: str, kind: str, title: Message, body: Message
    ) -> None:
        request_id = self.start.request_id
        await notify(
            key=key,
            recipient_id=recipient,
            kind=kind,
            title=title,
            body=body,
            ref={"type": "support", "id": request_id},
        )

    def _key(self, what: str) -> str:
        # Unique per update, stable across retries of its activity.
        self.commands += 1
        return f"{what}-{workflow.info().run_id}-{self.commands}"

    async def _act(self, action: Action, principal: Principal, text: str) -> SupportInfo:
        info = await run(
            SupportActivities.act,
            SupportAction(
                request_id=self.start.request_id,
                action=action,
                principal=principal,
                key=self._key(action),
                text=text,
                now=workflow.now(),
            ),
        )
        # Keep what the clock steps recorded meanwhile (the breach) on the fresh state.
        current = self._current()
        self.info = info.model_copy(update={"breached_at": info.breached_at or current.breached_at})
        return self.info

    def _require_info(self) -> SupportInfo:
        if self.info is None:
            raise refuse("the support request is still being set up; try again in a moment")
        return self.info

    # -- updates -------------------------------------------------------------------------
    @workflow.update
    async def raised(self) -> SupportInfo:
        """The request as recorded when raised (waits for the first activity)."""
        await workflow.wait_condition(lambda: self.info is not None or self.failure is not None)
        if self.info is None:
            raise refused(self.failure or Message("not raised"))
        return self.info

    @workflow.update
    async def acknowledge(self, request: TeamStep) -> SupportInfo:
        return await self._act("acknowledge", request.principal, "")

    @acknowledge.validator
    def _check_acknowledge(self, request: TeamStep) -> None:
        self._check(request.principal, "acknowledge", "")

    @workflow.update
    async def answer(self, request: TeamStep) -> SupportInfo:
        return await self._act("answer", request.principal, request.text)

    @answer.validator
    def _check_answer(self, request: TeamStep) -> None:
        self._check(request.principal, "answer", request.text)

    @workflow.update
    async def confirm(self, request: RepStep) -> SupportInfo:
        return await self._act("confirm", request.principal, "")

    @confirm.validator
    def _check_confirm(self, request: RepStep) -> None:
        self._check(request.principal, "confirm", "")

    @workflow.update
    async def reopen(self, request: RepStep) -> SupportInfo:
        return await self._act("reopen", request.principal, request.text)

    @reopen.validator
    def _check_reopen(self, request: RepStep) -> None:
        self._check(request.principal, "reopen", request.text)

    def _check(self, p: Principal, action: Action, text: str) -> None:
        """The validators' one check (aggregates.support_rules decides, as the aggregate's)."""
        info = self._require_info()
        if refusal := action_refusal(info, p.role.value, p.person_id, action, text):
            raise refused(refusal)

    @workflow.query
    def current(self) -> SupportInfo | None:
        """For operators only: people read the support read models."""
        return self.info
