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

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.support import (
        Action,
        RaiseSupport,
        SupportAction,
        SupportClockStep,
        SupportReminder,
    )
    from careerflow.messages import Message
    from careerflow.principal import AccessRole, Principal
    from careerflow.services.support import SupportInfo
    from workflows.notify import notify
    from workflows.refusals import refuse, refused
    from workflows.steps import step

# The verbs a refusal names, said in the reader's language like the rest of it.
ACTIONS = {
    "acknowledge": Message("acknowledge"),
    "answer": Message("answer"),
    "confirm": Message("confirm"),
    "reopen": Message("reopen"),
}


class StartSupport(BaseModel):
    request_id: str
    principal: Principal
    category: str
    text: str
    customer: str | None = None


class TeamStep(BaseModel):
    """A support-team member acknowledges (no text) or answers (the answer)."""

    principal: Principal
    text: str = ""


class RepStep(BaseModel):
    """The rep confirms (no text) or reopens (the reason)."""

    principal: Principal
    text: str = ""


class SupportOutcome(BaseModel):
    request_id: str
    status: str
    sla_met: bool | None
    breached: bool
    response_minutes: float | None
    answers: int
    reopens: int


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
            self.info = await step(
                "support_raise",
                RaiseSupport(
                    request_id=start.request_id,
                    principal=start.principal,
                    category=start.category,
                    text=start.text,
                    customer=start.customer,
                    now=workflow.now(),
                    workflow_id=workflow.info().workflow_id,
                ),
                SupportInfo,
            )
        except ActivityError as exc:
            self.failure = _refusal(exc)
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise refused(self.failure) from None
        info = self.info
        base = f"support/{info.request_id}"
        subject = f"{info.request_id} · {info.category_label['en']} · {info.employee_id}"
        subject_zh = f"{info.request_id} · {info.category_label['zh']} · {info.employee_id}"
        customer = f" (customer: {info.customer})" if info.customer else ""
        customer_zh = f"（客户：{info.customer}）" if info.customer else ""

        for person in info.team_people():
            await self._notify(
                f"{base}/new/{person}",
                person,
                "support.new",
                {
                    "en": f"New support request for the {info.team_label['en']}",
                    "zh": f"{info.team_label['zh']}收到新的支持请求",
                },
                {
                    "en": f"{subject}{customer}: {info.text} · respond within "
                    f"{info.response_minutes_allowed} minutes",
                    "zh": f"{subject_zh}{customer_zh}：{info.text} · "
                    f"请在 {info.response_minutes_allowed} 分钟内响应",
                },
            )

        # The response SLA: reminders to the team, then the escalation.
        for reminder in info.reminders:
            await self._until(reminder.at, self._acknowledged)
            if self._acknowledged():
                break
            key = f"reminder-{reminder.percent}"
            people = info.team_people()
            await step(
                "support_remind",
                SupportReminder(
                    request_id=info.request_id,
                    key=key,
                    percent=reminder.percent,
                    recipients=people,
                    now=workflow.now(),
                ),
                SupportInfo,
            )
            for person in people:
                await self._notify(
                    f"{base}/{key}/{person}",
                    person,
                    "support.sla_reminder",
                    {
                        "en": f"Reminder: a support request is {reminder.percent}% into its SLA",
                        "zh": f"提醒：支持请求的响应时限已过 {reminder.percent}%",
                    },
                    {
                        "en": f"{subject}: acknowledge it by {info.due_label}",
                        "zh": f"{subject_zh}：请在 {info.due_label} 前响应",
                    },
                )
        await self._until(info.due_at, self._acknowledged)
        if not self._acknowledged():
            breached: SupportInfo = await step(
                "support_breach",
                SupportClockStep(request_id=info.request_id, now=workflow.now()),
                SupportInfo,
            )
            if breached.breached_at is not None:
                self.info = self._current().model_copy(update={"breached_at": breached.breached_at})
                for person in breached.escalate_to:
                    await self._notify(
                        f"{base}/escalation/{person}",
                        person,
                        "support.escalation",
                        {
                            "en": f"Escalation: a support request missed its "
                            f"{info.response_minutes_allowed}-minute SLA",
                            "zh": f"升级：支持请求超过 {info.response_minutes_allowed} 分钟未响应",
                        },
                        {
                            "en": f"{subject}: not acknowledged by the {info.team_label['en']} "
                            f"by {info.due_label}",
                            "zh": f"{subject_zh}：{info.team_label['zh']}未在 "
                            f"{info.due_label} 前响应",
                        },
                    )
        await workflow.wait_condition(self._acknowledged)
        acked = self._current()
        met = "SLA met" if acked.sla_met else "SLA missed"
        await self._notify(
            f"{base}/acknowledged",
            info.employee_id,
            "support.acknowledged",
            {"en": "Your support request is being handled", "zh": "你的支持请求已有人响应"},
            {
                "en": f"{acked.acknowledged_by} of the {info.team_label['en']} took {subject} "
                f"after {_minutes(acked.response_minutes or 0)} minutes ({met}).",
                "zh": f"{info.team_label['zh']} {acked.acknowledged_by} 已受理 {subject_zh}，"
                f"响应用时 {_minutes(acked.response_minutes or 0)} 分钟"
                f"（{'达标' if acked.sla_met else '超时'}）。",
            },
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
                {"en": "Your support request is answered", "zh": "你的支持请求已答复"},
                {
                    "en": f"{subject}: {answered.answer} · confirm it resolved your request, "
                    "or reopen it with what is missing.",
                    "zh": f"{subject_zh}：{answered.answer} · "
                    "如已解决请确认，否则请说明原因后重新打开。",
                },
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
                        {"en": "A support request was reopened", "zh": "支持请求被重新打开"},
                        {
                            "en": f"{subject}: {info.employee_id} says the answer did not resolve "
                            "it; see the reason and answer again.",
                            "zh": f"{subject_zh}：{info.employee_id} 认为答复未解决问题，"
                            "请查看原因并再次答复。",
                        },
                    )
                continue
            if now.answers > seen:
                continue
            closed: SupportInfo = await step(
                "support_close_unconfirmed",
                SupportClockStep(request_id=info.request_id, now=workflow.now()),
                SupportInfo,
            )
            self.info = self._current().model_copy(
                update={"status": closed.status, "finished_at": closed.finished_at}
            )
            if closed.status == "closed":
                await self._notify(
                    f"{base}/closed",
                    info.employee_id,
                    "support.closed",
                    {"en": "Your support request was closed", "zh": "你的支持请求已关闭"},
                    {
                        "en": f"{subject}: no confirmation within "
                        f"{info.close_unconfirmed_after_hours} hours; raise a new request if "
                        "you still need help.",
                        "zh": f"{subject_zh}：{info.close_unconfirmed_after_hours} 小时内未确认，"
                        "如仍需帮助请新建请求。",
                    },
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
        self, key: str, recipient: str, kind: str, title: dict[str, str], body: dict[str, str]
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
        info: SupportInfo = await step(
            "support_act",
            SupportAction(
                request_id=self.start.request_id,
                action=action,
                principal=principal,
                key=self._key(action),
                text=text,
                now=workflow.now(),
            ),
            SupportInfo,
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
        info = self._require_info()
        self._check_team(info, request.principal, "acknowledge")
        if info.acknowledged_at is not None:
            raise refuse(
                "support request {request_id} was already acknowledged by "
                "{acknowledged_by} at {acknowledged_at}; "
                "a request is acknowledged once",
                request_id=info.request_id,
                acknowledged_by=info.acknowledged_by,
                acknowledged_at=info.acknowledged_at.isoformat(),
            )

    @workflow.update
    async def answer(self, request: TeamStep) -> SupportInfo:
        return await self._act("answer", request.principal, request.text)

    @answer.validator
    def _check_answer(self, request: TeamStep) -> None:
        info = self._require_info()
        self._check_team(info, request.principal, "answer")
        if info.acknowledged_at is None:
            raise refuse(
                "support request {request_id} is not acknowledged yet; "
                "acknowledge it before answering",
                request_id=info.request_id,
            )
        if info.status == "answered":
            raise refuse(
                "support request {request_id} is answered and waits for "
                "{employee_id} to confirm or reopen it",
                request_id=info.request_id,
                employee_id=info.employee_id,
            )
        if not request.text.strip():
            raise refuse("an answer needs text for the rep")

    @workflow.update
    async def confirm(self, request: RepStep) -> SupportInfo:
        return await self._act("confirm", request.principal, "")

    @confirm.validator
    def _check_confirm(self, request: RepStep) -> None:
        info = self._require_info()
        self._check_rep(info, request.principal, "confirm")
        if info.status != "answered":
            raise refuse(
                "support request {request_id} has no answer to confirm yet (it is {status})",
                request_id=info.request_id,
                status=info.status,
            )

    @workflow.update
    async def reopen(self, request: RepStep) -> SupportInfo:
        return await self._act("reopen", request.principal, request.text)

    @reopen.validator
    def _check_reopen(self, request: RepStep) -> None:
        info = self._require_info()
        self._check_rep(info, request.principal, "reopen")
        if info.status != "answered":
            raise refuse(
                "support request {request_id} has no answer to reopen "
                "(it is {status}); it is still with the {team}",
                request_id=info.request_id,
                status=info.status,
                team=info.team_label["en"],
            )
        if not request.text.strip():
            raise refuse("reopening needs a reason that tells the team what is missing")

    @staticmethod
    def _check_team(info: SupportInfo, p: Principal, action: str) -> None:
        if p.role not in (AccessRole.employee, AccessRole.manager, AccessRole.hr):
            raise refuse(
                "{role} {person_id} may not {action} support requests; "
                "support-team members act as themselves (employee, manager or HR)",
                role=p.role.value,
                person_id=p.person_id,
                action=ACTIONS[action],
            )
        if not info.on_team(p.person_id):
            raise refuse(
                "{person_id} is not on the {team} ({people}); only the team a request is "
                "routed to may {action} it",
                person_id=p.person_id,
                team=info.team_label["en"],
                people=", ".join(info.team_people()),
                action=ACTIONS[action],
            )
        if info.status in ("resolved", "closed"):
            raise refuse(
                "support request {request_id} is {status}",
                request_id=info.request_id,
                status=info.status,
            )

    @staticmethod
    def _check_rep(info: SupportInfo, p: Principal, action: str) -> None:
        if p.role != AccessRole.employee:
            raise refuse(
                "{role} {person_id} may not {action} support requests; "
                "reps raise, confirm and reopen their own requests",
                role=p.role.value,
                person_id=p.person_id,
                action=ACTIONS[action],
            )
        if p.person_id != info.employee_id:
            raise refuse(
                "{person_id} cannot {action} {employee_id}'s support request "
                "{request_id}; only the rep who raised it may",
                person_id=p.person_id,
                action=ACTIONS[action],
                employee_id=info.employee_id,
                request_id=info.request_id,
            )
        if info.status in ("resolved", "closed"):
            raise refuse(
                "support request {request_id} is {status}",
                request_id=info.request_id,
                status=info.status,
            )

    @workflow.query
    def current(self) -> SupportInfo | None:
        """For operators only: people read the support read models."""
        return self.info
