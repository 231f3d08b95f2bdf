"""The support request on the time-skipping server with the real event store and read
models: the SLA met (and every refusal), reminders then the breach and its escalation,
product's 30-minute SLA beside after-sales' hour, and a reopened request answered again
and closed unconfirmed. The SLA clock runs in office hours (09:00-18:00 on China's
working days), so each test starts at 10:00 on the next working day."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notifications import NotificationActivities
from activities.support import SupportActivities
from aggregates.base import DomainError
from aggregates.support_request import SupportRequest, support_uuid
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from careerflow.workdays import is_working_day
from projections.paging import PageRequest
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org
from words.catalogue import stored_text
from worker import INTERCEPTORS, WORKFLOW_RUNNER
from workflows.support_request import SupportOutcome, SupportRequestWorkflow, support_workflow_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
HISTORIES = Path(__file__).with_name("histories")
HR = Principal(person_id="H001", role=AccessRole.hr)


def rep(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.employee)


def staff(person: str, role: AccessRole = AccessRole.employee) -> Principal:
    return Principal(person_id=person, role=role)


@pytest.fixture
def read_models(pg: PostgresSettings) -> Iterator[ReadModels]:
    with ReadModels(pg, application_env(pg)) as rm:
        yield rm


@pytest.fixture
def services(pg: PostgresSettings, read_models: ReadModels) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        build_org(s)  # publishes the version-1 policies, support_process included
        read_models.wait_caught_up(s.store.applications(), timeout=60)
        yield s


def worker(env: WorkflowEnvironment, services: Engine, queue: str) -> Worker:
    notifications = NotificationActivities(services.notifications, services.people)
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[SupportRequestWorkflow],
        activities=[
            *notifications.all(),
            *SupportActivities(services.store.support).all(),
        ],
        activity_executor=concurrent.futures.ThreadPoolExecutor(8),
        workflow_runner=WORKFLOW_RUNNER,
        interceptors=INTERCEPTORS,
    )


async def move_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


async def eventually(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Polls until `check()` is truthy (activities run in real time after a time skip)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout}s")
        await asyncio.sleep(0.2)


async def next_working_day_10(env: WorkflowEnvironment) -> datetime:
    day = (await env.get_current_time()).astimezone(SHANGHAI).date() + timedelta(days=1)
    while not is_working_day(day, "CN"):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SHANGHAI)


def request(services: Engine, request_id: str) -> SupportRequest:
    found: SupportRequest = services.store.support.repository.get(support_uuid(request_id))
    return found


def names(services: Engine, request_id: str) -> list[str]:
    events = services.store.support.events.get(support_uuid(request_id))
    return [type(e).__qualname__.split(".")[-1] for e in events]


def inbox(services: Engine, recipient: str, kind: str) -> list[dict[str, Any]]:
    with services.read_pool.connection() as conn:
        rows: Any = conn.execute(
            "SELECT key, body FROM rm_inbox WHERE recipient_id = %s AND kind = %s ORDER BY key",
            (recipient, kind),
        ).fetchall()
    return list(rows)


async def record(env: WorkflowEnvironment, request_id: str, name: str) -> None:
    if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
        handle = env.client.get_workflow_handle(support_workflow_id(request_id))
        (HISTORIES / f"{name}.json").write_text((await handle.fetch_history()).to_json())


async def test_sla_met_and_every_refusal_records_nothing(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    start = await next_working_day_10(env)
    queue = f"q-support-met-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        flow = services.support_process(env.client, queue)
        # Raising is checked before anything starts.
        with pytest.raises(DomainError, match="unknown support category 'legal'"):
            await flow.raise_request(rep("E1"), "legal", "a contract review")
        with pytest.raises(DomainError, match="may not raise support requests"):
            await flow.raise_request(staff("S001", AccessRole.manager), "product", "help")
        info = await flow.raise_request(
            rep("E1"),
            "product",
            "The client needs a customised service: when can the product team answer?",
            customer="Hangzhou Lianxin",
            request_id="SR-MET-1",
        )
        assert (info.team, info.response_minutes_allowed, info.status) == ("product", 30, "open")
        raised = info.raised_at
        assert timedelta(0) <= raised - start < timedelta(seconds=10)
        assert info.due_at == raised + timedelta(minutes=30)
        assert [(r.percent, r.at) for r in info.reminders] == [
            (50, raised + timedelta(minutes=15)),
            (80, raised + timedelta(minutes=24)),
        ]
        assert info.escalate_to == ["PD01", "HR"]
        # Raising again with the same id is the same request; someone else cannot take it.
        again = await flow.raise_request(rep("E1"), "product", "again", request_id="SR-MET-1")
        assert again.raised_at == info.raised_at
        with pytest.raises(DomainError, match="already taken"):
            await flow.raise_request(rep("E2"), "finance", "mine", request_id="SR-MET-1")
        # The team hears of it.
        for person in ("PD01", "PD02", "PD03"):
            await eventually(lambda p=person: inbox(services, p, "support.new"))

        refusals = [
            (flow.acknowledge(staff("AS01"), "SR-MET-1"), "AS01 is not on the Product team"),
            (flow.acknowledge(staff("A001", AccessRole.auditor), "SR-MET-1"), "may not"),
            (flow.answer(staff("PD01"), "SR-MET-1", "soon"), "acknowledge it before answering"),
            (flow.confirm(rep("E1"), "SR-MET-1"), "has no answer to confirm yet"),
            (flow.confirm(rep("E2"), "SR-MET-1"), "E2 cannot confirm E1's support request"),
            (flow.reopen(rep("E1"), "SR-MET-1", "no"), "has no answer to reopen"),
        ]
        for call, message in refusals:
            with pytest.raises(DomainError, match=message):
                await call
        assert names(services, "SR-MET-1") == ["Raised"]

        # Ten minutes in, a product-team member takes it: the SLA is met.
        await move_to(env, start + timedelta(minutes=10))
        acked = await flow.acknowledge(staff("PD02"), "SR-MET-1")
        assert (acked.status, acked.acknowledged_by, acked.sla_met) == (
            "acknowledged",
            "PD02",
            True,
        )
        assert acked.response_minutes is not None and 10 <= acked.response_minutes < 11
        with pytest.raises(DomainError, match="already acknowledged by PD02"):
            await flow.acknowledge(staff("PD01", AccessRole.manager), "SR-MET-1")
        await eventually(lambda: inbox(services, "E1", "support.acknowledged"))
        with pytest.raises(DomainError, match="an answer needs text"):
            await flow.answer(staff("PD02"), "SR-MET-1", "  ")
        answered = await flow.answer(
            staff("PD02"), "SR-MET-1", "Yes: a solution proposal by Friday; call me today."
        )
        assert (answered.status, answered.answers) == ("answered", 1)
        with pytest.raises(DomainError, match="waits for E1 to confirm or reopen"):
            await flow.answer(staff("PD01"), "SR-MET-1", "more")
        note = await eventually(lambda: inbox(services, "E1", "support.answered"))
        assert "solution proposal by Friday" in stored_text(note[0]["body"], "en")
        # The team's words are kept apart from the sentence: data, said as typed.
        typed = "Yes: a solution proposal by Friday; call me today."
        assert note[0]["body"]["params"]["answer"] == {"$quote": typed}
        confirmed = await flow.confirm(rep("E1"), "SR-MET-1")
        assert confirmed.status == "resolved"
        handle = env.client.get_workflow_handle_for(
            SupportRequestWorkflow.run, support_workflow_id("SR-MET-1")
        )
        outcome: SupportOutcome = await handle.result()
        assert (outcome.status, outcome.sla_met, outcome.breached) == ("resolved", True, False)
        assert names(services, "SR-MET-1") == ["Raised", "Acknowledged", "Answered", "Confirmed"]
        # Nobody was reminded or escalated to.
        assert inbox(services, "PD01", "support.sla_reminder") == []
        assert inbox(services, "HR", "support.escalation") == []
        # Every event says who did it and from which workflow.
        events = list(services.store.support.events.get(support_uuid("SR-MET-1")))
        assert [(e.meta.actor, e.meta.role) for e in events] == [
            ("E1", "employee"),
            ("PD02", "employee"),
            ("PD02", "employee"),
            ("E1", "employee"),
        ]
        assert {e.meta.workflow_id for e in events} == {"support-SR-MET-1"}

        # The read models: the rep's requests, the team's queue, compliance.
        read_models.wait_caught_up(services.store.applications())
        later = start + timedelta(hours=2)
        mine = services.support_queries.mine_paged(rep("E1"), PageRequest(), now=later)
        (row,) = mine.items
        assert (row.status, row.clock.sla_met, row.clock.breached) == ("resolved", True, False)
        assert 10 <= row.clock.waited_minutes < 11 and row.clock.minutes_left is None
        assert [s.kind for s in services.support_queries.request(HR, "SR-MET-1").steps] == [
            "Raised",
            "Acknowledged",
            "Answered",
            "Confirmed",
        ]
        assert (
            services.support_queries.queue_paged(
                staff("PD03"), "product", PageRequest(), now=later
            ).waiting
            == 0
        )
        compliance = services.support_queries.compliance(HR, now=later)
        (week,) = compliance.weeks
        assert (week.team, week.count, week.met, week.breached) == ("product", 1, 1, 0)
        assert week.median_response_minutes is not None and week.met_share == 1.0
        # A finished request: the service says why from its record.
        with pytest.raises(DomainError, match="is resolved"):
            await flow.reopen(rep("E1"), "SR-MET-1", "one more thing")
        await record(env, "SR-MET-1", "support_sla_met")


async def test_reminders_then_the_breach_and_its_escalation(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    start = await next_working_day_10(env)
    queue = f"q-support-breach-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        flow = services.support_process(env.client, queue)
        info = await flow.raise_request(
            rep("E2"), "after_sales", "The client's installation fails", request_id="SR-LATE-1"
        )
        assert info.due_at == info.raised_at + timedelta(hours=1)
        team = ("AS01", "AS02", "AS03")
        # 50%: the whole team is reminded.
        await move_to(env, start + timedelta(minutes=31))
        for person in team:
            await eventually(lambda p=person: inbox(services, p, "support.sla_reminder"))
        assert "Reminded" in names(services, "SR-LATE-1")
        # 80%: again.
        await move_to(env, start + timedelta(minutes=49))
        await eventually(lambda: len(inbox(services, "AS02", "support.sla_reminder")) == 2)
        assert inbox(services, "HR", "support.escalation") == []
        # The hour passes: breached, escalated to the team lead and HR.
        await move_to(env, start + timedelta(minutes=61))
        await eventually(lambda: "Breached" in names(services, "SR-LATE-1"))
        lead = await eventually(lambda: inbox(services, "AS01", "support.escalation"))
        assert "60-minute SLA" in await_first_title(services, "AS01")
        assert "SR-LATE-1" in stored_text(lead[0]["body"], "en")
        await eventually(lambda: inbox(services, "HR", "support.escalation"))
        assert inbox(services, "AS02", "support.escalation") == []

        # The queue shows it breached; the late acknowledgement misses the SLA.
        read_models.wait_caught_up(services.store.applications())
        now = start + timedelta(minutes=62)
        board = services.support_queries.queue_paged(
            staff("AS03"), "after_sales", PageRequest(), now=now
        )
        (row,) = board.items
        assert (row.request_id, row.clock.breached, row.clock.reminders_sent) == (
            "SR-LATE-1",
            True,
            2,
        )
        assert row.clock.escalated_to == ["AS01", "HR"] and row.clock.minutes_left is not None
        assert row.clock.minutes_left < 0
        await move_to(env, start + timedelta(minutes=70))
        acked = await flow.acknowledge(staff("AS03"), "SR-LATE-1")
        assert acked.sla_met is False
        assert acked.response_minutes is not None and acked.response_minutes >= 70
        await flow.answer(staff("AS03"), "SR-LATE-1", "An engineer is on site at 14:00.")
        await flow.confirm(rep("E2"), "SR-LATE-1")
        outcome = await env.client.get_workflow_handle_for(
            SupportRequestWorkflow.run, support_workflow_id("SR-LATE-1")
        ).result()
        assert (outcome.status, outcome.sla_met, outcome.breached) == ("resolved", False, True)
        assert names(services, "SR-LATE-1") == [
            "Raised",
            "Reminded",
            "Reminded",
            "Breached",
            "Acknowledged",
            "Answered",
            "Confirmed",
        ]
        read_models.wait_caught_up(services.store.applications())
        compliance = services.support_queries.compliance(staff("AS01"), now=now)
        (week,) = compliance.weeks
        assert (week.team, week.count, week.met, week.breached, week.met_share) == (
            "after_sales",
            1,
            0,
            1,
            0.0,
        )
        with pytest.raises(DomainError, match="is on no support team"):
            services.support_queries.compliance(staff("PD09"))
        await record(env, "SR-LATE-1", "support_breached_escalated")


def await_first_title(services: Engine, recipient: str) -> str:
    with services.read_pool.connection() as conn:
        row: Any = conn.execute(
            "SELECT title FROM rm_inbox WHERE recipient_id = %s AND kind = 'support.escalation'",
            (recipient,),
        ).fetchone()
    return str(stored_text(row["title"], "en"))


async def test_product_answers_within_30_minutes_the_others_within_the_hour(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    start = await next_working_day_10(env)
    queue = f"q-support-product-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        flow = services.support_process(env.client, queue)
        product = await flow.raise_request(
            rep("E1"), "product", "Custom report format", request_id="SR-PROD-1"
        )
        finance = await flow.raise_request(
            rep("E1"), "finance", "Payment terms of 90 days?", request_id="SR-FIN-1"
        )
        assert product.due_at == product.raised_at + timedelta(minutes=30)
        assert finance.due_at == finance.raised_at + timedelta(minutes=60)
        # 31 minutes in: product is breached, finance only half-way.
        await move_to(env, start + timedelta(minutes=31))
        await eventually(lambda: "Breached" in names(services, "SR-PROD-1"))
        await eventually(lambda: inbox(services, "FN01", "support.sla_reminder"))
        assert "Breached" not in names(services, "SR-FIN-1")
        read_models.wait_caught_up(services.store.applications())
        mine = services.support_queries.mine_paged(
            rep("E1"), PageRequest(), now=start + timedelta(minutes=32)
        )
        clocks = {r.request_id: r.clock for r in mine.items}
        assert (clocks["SR-PROD-1"].breached, clocks["SR-FIN-1"].breached) == (True, False)
        assert clocks["SR-FIN-1"].minutes_left == pytest.approx(28, abs=0.2)
        assert clocks["SR-PROD-1"].waited_minutes == pytest.approx(32, abs=0.2)
        assert (mine.open, mine.breached) == (2, 1)
        # Finance acknowledges at 45 minutes: met; the request stays with the team.
        await move_to(env, start + timedelta(minutes=45))
        assert (await flow.acknowledge(staff("FN02"), "SR-FIN-1")).sla_met is True
        await eventually(lambda: "Acknowledged" in names(services, "SR-FIN-1"))
        assert "Breached" not in names(services, "SR-FIN-1")
        assert (await flow.acknowledge(staff("PD01"), "SR-PROD-1")).sla_met is False
        read_models.wait_caught_up(services.store.applications())
        compliance = services.support_queries.compliance(HR, now=start + timedelta(hours=1))
        by_team = {t.team: t for t in compliance.teams}
        assert (by_team["product"].breached, by_team["finance"].met) == (1, 1)
        # Both are answered and confirmed; their workflows end.
        for request_id, person in (("SR-PROD-1", "PD01"), ("SR-FIN-1", "FN02")):
            await flow.answer(staff(person), request_id, "Done.")
            await flow.confirm(rep("E1"), request_id)
            handle = env.client.get_workflow_handle_for(
                SupportRequestWorkflow.run, support_workflow_id(request_id)
            )
            assert (await handle.result()).status == "resolved"
        await record(env, "SR-PROD-1", "support_product_30_minutes_breached")


async def test_reopened_answered_again_then_closed_unconfirmed(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    start = await next_working_day_10(env)
    queue = f"q-support-reopen-{os.getpid()}"
    async with worker(env, services, queue):
        await move_to(env, start)
        flow = services.support_process(env.client, queue)
        await flow.raise_request(
            rep("E1"), "finance", "Can the client pay in two instalments?", request_id="SR-RE-1"
        )
        await move_to(env, start + timedelta(minutes=5))
        await flow.acknowledge(staff("FN02"), "SR-RE-1")
        await flow.answer(staff("FN02"), "SR-RE-1", "Yes, 50% on signing.")
        with pytest.raises(DomainError, match="needs a reason"):
            await flow.reopen(rep("E1"), "SR-RE-1", "  ")
        with pytest.raises(DomainError, match="E2 cannot reopen E1's"):
            await flow.reopen(rep("E2"), "SR-RE-1", "not mine")
        reopened = await flow.reopen(rep("E1"), "SR-RE-1", "and when is the second 50% due?")
        assert (reopened.status, reopened.reopens) == ("reopened", 1)
        # The one who answered (and the lead) hear of it; the rep cannot confirm meanwhile.
        await eventually(lambda: inbox(services, "FN02", "support.reopened"))
        await eventually(lambda: inbox(services, "FN01", "support.reopened"))
        with pytest.raises(DomainError, match="has no answer to confirm yet"):
            await flow.confirm(rep("E1"), "SR-RE-1")
        again = await flow.answer(staff("FN01"), "SR-RE-1", "The rest 30 days after delivery.")
        assert (again.status, again.answers, again.answered_by) == ("answered", 2, "FN01")
        await eventually(lambda: len(inbox(services, "E1", "support.answered")) == 2)
        # Nobody confirms: 72 hours later the request closes.
        await move_to(env, start + timedelta(minutes=5, hours=73))
        handle = env.client.get_workflow_handle_for(
            SupportRequestWorkflow.run, support_workflow_id("SR-RE-1")
        )
        outcome = await handle.result()
        assert (outcome.status, outcome.answers, outcome.reopens) == ("closed", 2, 1)
        assert names(services, "SR-RE-1") == [
            "Raised",
            "Acknowledged",
            "Answered",
            "Reopened",
            "Answered",
            "ClosedUnconfirmed",
        ]
        reopen = next(
            e
            for e in services.store.support.events.get(support_uuid("SR-RE-1"))
            if type(e).__name__ == "Reopened"
        )
        assert reopen.reason == "and when is the second 50% due?"  # type: ignore[attr-defined]
        await eventually(lambda: inbox(services, "E1", "support.closed"))
        assert request(services, "SR-RE-1").status == "closed"
        await record(env, "SR-RE-1", "support_reopened_closed_unconfirmed")
        # Last (the test server stops skipping time after an update to a closed workflow).
        with pytest.raises(DomainError, match="is closed"):
            await flow.confirm(rep("E1"), "SR-RE-1")
