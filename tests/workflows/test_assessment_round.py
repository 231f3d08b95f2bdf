"""The 360° assessment round on the time-skipping server with the real event store and
read models: HR starts a round for a rep and a supervisor; every rater is told whom to
rate; refusals say why; reminders before the deadline reach only those who have not
rated; at the deadline the round closes: anonymous peers (3 raters) are published, the
supervisor's 2 anonymous reports are hidden, gaps recommend the seed's courses, the
levels reach the metric ledger and a promotion criterion on a competency level; a late
rating is refused with the reason. A second round with a grace period takes a late
rating, marked late, and closes after the grace."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.assessments import AssessmentActivities, RoundRequest
from activities.notifications import NotificationActivities
from aggregates.assessment_round import AssessmentRound, round_uuid
from aggregates.base import DomainError
from aggregates.competency import RatingItem
from aggregates.documents import CompetencyLevel, PromotionCriteria
from aggregates.ladder import Role
from aggregates.seed_policies import competency_model_v1, sales_supervisor_criteria_v1
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.updates import failure_message
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org
from words.catalogue import stored_text
from worker import INTERCEPTORS, WORKFLOW_RUNNER
from workflows.assessment_round import (
    AssessmentRoundWorkflow,
    RateRequest,
    RoundOutcome,
    assessment_workflow_id,
)

HISTORIES = Path(__file__).with_name("histories")
HR = Principal(person_id="H001", role=AccessRole.hr)
S001 = Principal(person_id="S001", role=AccessRole.manager)
M001 = Principal(person_id="M001", role=AccessRole.manager)


def rep(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.employee)


def rating(ci: int, rm: int, rc: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {
        "customer_insight": RatingItem(level=ci),
        "relationship_maintenance": RatingItem(level=rm),
        "resource_coordination": RatingItem(level=rc, comment=comment),
    }


@pytest.fixture
def read_models(pg: PostgresSettings) -> Iterator[ReadModels]:
    with ReadModels(pg, application_env(pg)) as rm:
        yield rm


@pytest.fixture
def services(pg: PostgresSettings, read_models: ReadModels) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        build_org(s)
        # Two more reps in S001's team: E1 has four peers, S001 five reports.
        s.people.import_org(
            DEMO_HR,
            OrgImport(
                employees=[
                    EmployeeIn(
                        employee_id=e,
                        name=e,
                        role=Role.sales_rep,
                        team_id="T001",
                        manager_id="S001",
                        hire_date=date(2024, 1, 1),
                    )
                    for e in ("E4", "E5")
                ]
            ),
        )
        read_models.wait_caught_up(s.store.applications(), timeout=60)
        yield s


def worker(env: WorkflowEnvironment, services: Engine, queue: str) -> Worker:
    notifications = NotificationActivities(services.notifications, services.people)
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[AssessmentRoundWorkflow],
        activities=[
            *notifications.all(),
            *AssessmentActivities(services.store.assessments).all(),
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


def inbox(services: Engine, recipient: str, kind: str) -> list[dict[str, Any]]:
    with services.read_pool.connection() as conn:
        rows: Any = conn.execute(
            "SELECT key, body FROM rm_inbox WHERE recipient_id = %s AND kind = %s ORDER BY key",
            (recipient, kind),
        ).fetchall()
    return list(rows)


def the_round(services: Engine, round_id: str) -> AssessmentRound:
    found: AssessmentRound = services.store.assessments.repository.get(round_uuid(round_id))
    return found


def event_data(services: Engine, round_id: str) -> list[tuple[str, dict[str, Any]]]:
    events = services.store.assessments.events.get(round_uuid(round_id))
    return [(type(e).__qualname__.split(".")[-1], e.model_dump(mode="json")) for e in events]


async def test_a_round_reminds_closes_hides_small_groups_and_refuses_late_ratings(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    # A competency level becomes part of the supervisor criteria (a new version).
    base = sales_supervisor_criteria_v1()
    criteria = PromotionCriteria(
        target_role=Role.sales_supervisor,
        criteria=[
            *base.criteria,
            CompetencyLevel(
                id="coordination",
                label={"en": "resource coordination", "zh": "资源协调"},
                competency="resource_coordination",
                min_level=3.5,
                suggestion={
                    "en": "course *Big-Client Resource Coordination*",
                    "zh": "参加《大客户资源协调》课程",
                },
            ),
        ],
    )
    services.policies.publish(
        DEMO_HR,
        "promotion_criteria",
        "sales_supervisor",
        criteria.model_dump(mode="json"),
        "test: resource coordination",
    )
    queue = f"q-assess-{os.getpid()}"
    round_id = "2026-big-client"
    process = services.assessment_process(env.client, queue)
    async with worker(env, services, queue):
        start = await env.get_current_time()
        deadline = start + timedelta(days=5)
        request = RoundRequest(
            round_id=round_id,
            title="Big-client competencies",
            employee_ids=["E1", "S001"],
            deadline=deadline,
        )
        # Only HR starts rounds; a bad request is refused whole, naming each problem.
        with pytest.raises(DomainError, match="employee E1 may not start 360"):
            await process.start_round(rep("E1"), request)
        with pytest.raises(DomainError) as bad:
            await process.start_round(
                HR,
                request.model_copy(
                    update={"round_id": "x y", "deadline": start + timedelta(minutes=5)}
                ),
            )
        assert "round id 'x y'" in str(bad.value) and "at least 1 hour from now" in str(bad.value)
        started = await process.start_round(HR, request)
        assert (started.workflow_id, started.ratees) == (assessment_workflow_id(round_id), 2)
        again = await process.start_round(HR, request)  # starting again returns the round
        assert again.workflow_id == started.workflow_id

        handle = env.client.get_workflow_handle_for(
            AssessmentRoundWorkflow.run, assessment_workflow_id(round_id)
        )

        async def opened() -> bool:
            return (await handle.query(AssessmentRoundWorkflow.state)).opened

        for _ in range(300):
            if await opened():
                break
            await asyncio.sleep(0.2)
        rnd = the_round(services, round_id)
        # E1: self, manager S001, four anonymous peers; S001: self, manager M001, five
        # anonymous reports (S001 is nobody's peer: their team are their reports).
        assert sorted((t.ratee_id, t.group, t.rater_id) for t in rnd.tasks) == sorted(
            [("E1", "self", "E1"), ("E1", "manager", "S001")]
            + [("E1", "peers", p) for p in ("E2", "E3", "E4", "E5")]
            + [("S001", "self", "S001"), ("S001", "manager", "M001")]
            + [("S001", "reports", r) for r in ("E1", "E2", "E3", "E4", "E5")]
        )
        assert all(t.anonymous == (t.group in ("peers", "reports")) for t in rnd.tasks)
        assert rnd.reminders == [deadline - timedelta(hours=72), deadline - timedelta(hours=24)]
        # Every rater is told whom to rate.
        notice = await eventually(lambda: inbox(services, "E2", "assessment.task"))
        assert "Rate E1, S001 on each competency (1-5)" in stored_text(notice[0]["body"], "en")
        await eventually(lambda: inbox(services, "M001", "assessment.task"))

        # Refusals, each with its reason, change nothing.
        refusals = [
            (HR, "E1", rating(3, 3, 3), "hr H001 cannot rate in round"),
            (rep("E1"), "E2", rating(3, 3, 3), "E1 has no rating task for E2"),
            (
                rep("E2"),
                "E1",
                {"customer_insight": RatingItem(level=7)},
                "rate every competency; missing: relationship_maintenance",
            ),
        ]
        for who, ratee, given, message in refusals:
            with pytest.raises(WorkflowUpdateFailedError) as info:
                await handle.execute_update(
                    AssessmentRoundWorkflow.rate,
                    RateRequest(principal=who, ratee_id=ratee, ratings=given),
                )
            assert message in failure_message(info.value)
        with pytest.raises(DomainError, match="hr H001 cannot rate"):
            await process.rate(HR, round_id, "E1", rating(3, 3, 3))

        # E1: self, manager and three of four peers; S001: self, manager, two reports.
        given = [
            (rep("E1"), "E1", rating(5, 5, 4, "I bring product in early")),
            (S001, "E1", rating(4, 4, 2, "escalates instead of coordinating")),
            (rep("E2"), "E1", rating(4, 3, 3, "peer note two")),
            (rep("E3"), "E1", rating(3, 4, 2)),
            (rep("E4"), "E1", rating(4, 4, 3, "peer note four")),
            (S001, "S001", rating(4, 4, 4)),
            (M001, "S001", rating(3, 4, 4, "strong team lead")),
            (rep("E1"), "S001", rating(1, 1, 1, "only-two-reports secret")),
            (rep("E2"), "S001", rating(2, 2, 2)),
        ]
        for who, ratee, items in given:
            receipt = await process.rate(who, round_id, ratee, items)
            assert receipt.late is False and receipt.ratee_id == ratee
        assert receipt.anonymous and receipt.group == "reports" and receipt.remaining == 0
        with pytest.raises(DomainError, match="E2 already rated S001 in round 2026-big-client"):
            await process.rate(rep("E2"), round_id, "S001", rating(5, 5, 5))
        assert (await handle.query(AssessmentRoundWorkflow.state)).rated == 9

        # While the round is open: counts only for anonymous groups, no results yet.
        await asyncio.to_thread(read_models.wait_caught_up, services.store.applications())
        progress = services.assessment_queries.progress(HR, round_id)
        assert (progress.round.asked, progress.round.rated) == (13, 9)
        groups = {(r.employee_id, g.group): g for r in progress.ratees for g in r.groups}
        assert (groups["E1", "peers"].asked, groups["E1", "peers"].rated) == (4, 3)
        assert groups["E1", "peers"].raters is None
        assert groups["S001", "reports"].raters is None
        manager = groups["E1", "manager"].raters
        assert manager is not None and [(r.employee_id, r.rated) for r in manager] == [
            ("S001", True)
        ]
        with pytest.raises(DomainError, match="is still open; results are published when"):
            services.assessment_queries.profile(rep("E1"), round_id, "E1")
        tasks = services.assessment_queries.my_tasks(rep("E5"))
        assert [(t.ratee_id, t.rated) for t in tasks.tasks] == [("E1", False), ("S001", False)]

        # 72 hours before the deadline: only raters with an open task are reminded.
        await move_to(env, deadline - timedelta(hours=72) + timedelta(minutes=5))
        await eventually(lambda: inbox(services, "E5", "assessment.reminder"))
        await eventually(lambda: inbox(services, "E4", "assessment.reminder"))
        reminded = inbox(services, "E3", "assessment.reminder")
        assert reminded and "You still have to rate S001" in stored_text(reminded[0]["body"], "en")
        for done in ("E1", "E2", "S001", "M001"):
            assert inbox(services, done, "assessment.reminder") == []

        # The deadline: the round closes and publishes.
        await move_to(env, deadline + timedelta(minutes=5))
        outcome: RoundOutcome = await handle.result()
        assert (outcome.asked, outcome.rated, outcome.late) == (13, 9, 0)
        await asyncio.to_thread(read_models.wait_caught_up, services.store.applications())

        rnd = the_round(services, round_id)
        assert rnd.closed and rnd.reminded == [0, 1]
        names = [n for n, _ in event_data(services, round_id)]
        assert names[0] == "Started" and names[-1] == "Closed"
        assert names.count("RemindersSent") == 2
        assert names.count("GroupSealed") == 2 and names.count("ProfileComputed") == 2

        # E1's profile: the four groups, peers published (3 of 4 rated).
        e1 = services.assessment_queries.profile(rep("E1"), round_id, "E1")
        rc = next(c for c in e1.competencies if c.competency == "resource_coordination")
        by_group = {g.group: g for g in rc.groups}
        assert by_group["self"].average == 4.0 and by_group["manager"].average == 2.0
        assert (by_group["peers"].average, by_group["peers"].raters) == (2.67, 3)
        assert rc.overall == 2.33 and rc.below_target is True
        assert [c.course for c in e1.courses] == [
            "Cross-Department Communication Skills",
            "Big-Client Resource Coordination",
        ]
        assert e1.courses[0].title["zh"] == "跨部门沟通技巧"
        note = await eventually(lambda: inbox(services, "E1", "assessment.profile"))
        said = stored_text(note[0]["body"], "en")
        assert "resource coordination 2.33/5 (target 3.5): below target" in said
        assert "*Big-Client Resource Coordination*" in stored_text(note[0]["body"], "en")
        assert "《跨部门沟通技巧》" in stored_text(note[0]["body"], "zh")

        # S001's two anonymous reports: hidden, the overall from the manager alone.
        s1 = services.assessment_queries.profile(S001, round_id, "S001")
        for score in s1.competencies:
            reports = next(g for g in score.groups if g.group == "reports")
            assert (reports.average, reports.raters, reports.hidden) == (None, None, True)
            assert reports.note == {
                "en": "hidden: fewer than 3 raters",
                "zh": "已隐藏：评价人少于3人",
            }
            assert score.overall == next(g.average for g in score.groups if g.group == "manager")
        dumped = json.dumps(s1.model_dump(mode="json"), ensure_ascii=False)
        assert "only-two-reports secret" not in dumped

        # The event store: anonymous ratings only as sealed groups, without raters.
        for name, data in event_data(services, round_id):
            text = json.dumps(data, ensure_ascii=False)
            assert "only-two-reports secret" not in text  # a hidden group's ratings: gone
            if name == "AnonymousTaskCompleted":
                assert "items" not in data and "peer note" not in text
            if name == "GroupSealed":
                assert not {"rater_id", "task", "command"} & set(data)
        sealed = [d for n, d in event_data(services, round_id) if n == "GroupSealed"]
        peers = next(d for d in sealed if d["ratee_id"] == "E1")
        assert (peers["raters"], peers["published"]) == (3, True)
        assert [r["resource_coordination"]["level"] for r in peers["ratings"]] == [2, 3, 3]
        reports_sealed = next(d for d in sealed if d["ratee_id"] == "S001")
        assert (reports_sealed["raters"], reports_sealed["ratings"]) == (2, [])
        # The read models hold no per-rating moment at all.
        with services.read_pool.connection() as conn:
            columns = {
                r["column_name"]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'rm_assessment_task'"
                ).fetchall()
            }
        assert columns == {"round_id", "ratee_id", "rater_id", "grp", "anonymous", "rated", "late"}

        # The levels reach the ledger (no hidden figure) and the promotion criteria.
        ledger = services.ingest.ledger("E1")
        assert ledger is not None
        items = {
            m.item: m.value
            for m in ledger.measurements()
            if m.metric == "competency_resource_coordination"
        }
        assert items == {"overall": 2.33, "self": 4.0, "manager": 2.0, "peers": 2.67}
        s_ledger = services.ingest.ledger("S001")
        assert s_ledger is not None
        assert all(m.item != "reports" for m in s_ledger.measurements())
        await asyncio.to_thread(read_models.wait_caught_up, services.store.applications())
        with services.read_pool.connection() as conn:
            row: Any = conn.execute(
                "SELECT evaluation FROM rm_readiness WHERE employee_id = 'E1'"
            ).fetchone()
        result = next(r for r in row["evaluation"]["results"] if r["id"] == "coordination")
        assert (result["value"], result["met"]) == (2.33, False)

        # HR's gap summary: who has a gap, per competency.
        gaps = services.assessment_queries.gaps(HR, round_id)
        rc_gap = next(g for g in gaps.competencies if g.competency == "resource_coordination")
        assert (rc_gap.assessed, rc_gap.below_target) == (2, 1)
        assert rc_gap.text["en"] == "50% (1 of 2) have a resource coordination gap"
        closed = await eventually(lambda: inbox(services, "H001", "assessment.closed"))
        assert "9 of 13 ratings in (0 late)" in stored_text(closed[0]["body"], "en")

        if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
            history = await handle.fetch_history()
            (HISTORIES / "assessment_round_closed.json").write_text(history.to_json())

        # Last (the test server stops skipping time after an update to a closed
        # workflow): a late rating is refused with the reason, from the round's record.
        with pytest.raises(DomainError) as late:
            await process.rate(rep("E5"), round_id, "E1", rating(3, 3, 3))
        assert "the deadline of round 2026-big-client" in str(late.value)
        assert "has passed; late ratings are not accepted" in str(late.value)


async def test_a_grace_period_takes_late_ratings_marked_late(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels
) -> None:
    model = competency_model_v1().model_copy(update={"late_grace_hours": 24})
    services.policies.publish(
        DEMO_HR, "competency_model", "default", model.model_dump(mode="json"), "test: grace"
    )
    queue = f"q-assess-grace-{os.getpid()}"
    round_id = "2026-grace"
    process = services.assessment_process(env.client, queue)
    async with worker(env, services, queue):
        start = await env.get_current_time()
        deadline = start + timedelta(hours=12)  # both reminders would be in the past
        await process.start_round(
            HR,
            RoundRequest(round_id=round_id, employee_ids=["E1"], deadline=deadline),
        )
        handle = env.client.get_workflow_handle_for(
            AssessmentRoundWorkflow.run, assessment_workflow_id(round_id)
        )
        await eventually(lambda: services.store.assessments.find(round_uuid(round_id)))
        rnd = the_round(services, round_id)
        assert rnd.reminders == [] and rnd.close_at == deadline + timedelta(hours=24)
        await process.rate(S001, round_id, "E1", rating(3, 3, 3))

        # After the deadline, within the grace period: taken, marked late.
        await move_to(env, deadline + timedelta(hours=1))
        await eventually(lambda: the_round(services, round_id).deadline_passed)
        receipt = await process.rate(rep("E1"), round_id, "E1", rating(4, 4, 4))
        assert receipt.late is True
        await move_to(env, deadline + timedelta(hours=25))
        outcome: RoundOutcome = await handle.result()
        assert (outcome.rated, outcome.late) == (2, 1)
        names = [n for n, _ in event_data(services, round_id)]
        assert names[:4] == ["Started", "RatingRecorded", "DeadlinePassed", "RatingRecorded"]
        await asyncio.to_thread(read_models.wait_caught_up, services.store.applications())
        progress = services.assessment_queries.progress(HR, round_id)
        assert (progress.round.status, progress.round.late) == ("closed", 1)
        self_group = next(g for g in progress.ratees[0].groups if g.group == "self")
        assert self_group.raters is not None and self_group.raters[0].late is True
        if os.environ.get("CAREERFLOW_RECORD_HISTORIES") == "1":
            history = await handle.fetch_history()
            (HISTORIES / "assessment_round_late_grace.json").write_text(history.to_json())
        with pytest.raises(DomainError, match="round 2026-grace closed at"):
            await process.rate(rep("E2"), round_id, "E1", rating(3, 3, 3))
