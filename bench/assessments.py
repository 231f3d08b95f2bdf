"""A 360° round for a whole organisation, end to end: HR starts it for every rep (the
demo generator's organisation: teams of 10, so 11 tasks a person), every rater is told
(paged), ratings arrive through the round's Update `ratings_per_person` per person
(self and a peer) 16 at a time, and the close seals everyone, closes the round and sends
each person their results. The deadline is reached by skipping time, so the round runs
on the Temporal time-skipping test server (encrypted payloads, as the engine runs).

Figures at `people` beside the same round at `small` people in the same run: the start
(until every rater is told) and close (deadline to results sent) per person, ratings per
second, and the longest history of any run of the round: it must stay bounded (the
workflow continues as new), not grow with the round."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.assessments import RoundRequest
from bench.common import Lab, Report, stopwatch, venv_binary
from bench.org import shared_org
from careerflow.codec import CodecKeys, EncryptionCodec, data_converter
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from worker import build_worker
from workflows.assessment_round import EVENTS_PER_RUN, AssessmentRoundWorkflow, RoundOutcome

NAME = "assessments"
TITLE = "a 360° round for everyone: start, ratings, close, history per run"
DEFAULTS: dict[str, Any] = {"people": 2000, "small": 200, "ratings_per_person": 2}
SMOKE: dict[str, Any] = {"people": 20, "small": 10, "ratings_per_person": 2}
CONCURRENCY = 16
LEVELS = {"customer_insight": 4, "relationship_maintenance": 3, "resource_coordination": 2}


async def round_result(
    env: WorkflowEnvironment,
    handle: WorkflowHandle[AssessmentRoundWorkflow, RoundOutcome],
    deadline: datetime,
) -> RoundOutcome:
    """Skips to the deadline and waits for the close. The test server answers a time skip
    or a result poll that outlasts its RPC timeout (a big close takes a while) with an
    error, not an answer: asked again, it answers once the round has closed."""
    with contextlib.suppress(RPCError):
        await env.sleep(deadline + timedelta(minutes=5) - await env.get_current_time())
    for _ in range(60):
        try:
            return await handle.result()
        except (RPCError, RuntimeError):  # "No completion event found": not closed yet
            await asyncio.sleep(1)
    raise AssertionError("the round did not close")


async def told(handle: WorkflowHandle[AssessmentRoundWorkflow, RoundOutcome]) -> bool:
    """Every rater told? (A query can time out while a busy run hands over: not yet.)"""
    try:
        return (await handle.query(AssessmentRoundWorkflow.state)).told
    except RPCError:
        return False


@dataclass
class RoundRun:
    people: int
    tasks: int
    ratings: int
    start: float
    rate: float
    close: float
    outcome: RoundOutcome


async def one_round(lab: Lab, env: WorkflowEnvironment, people: int, per_person: int) -> RoundRun:
    from aggregates.competency import RatingItem

    org = shared_org(lab, people, max(1, people // 10))
    queue = f"bench-assess-{uuid.uuid4().hex[:8]}"
    round_id = f"bench-{people}-{uuid.uuid4().hex[:6]}"
    ratings = {c: RatingItem(level=level) for c, level in LEVELS.items()}
    with (
        Engine(open_store(org.pg)) as services,
        concurrent.futures.ThreadPoolExecutor(16) as executor,
    ):
        process = services.assessment_process(env.client, queue)
        async with build_worker(env.client, services, queue, executor):
            now = await env.get_current_time()
            deadline = now + timedelta(hours=12)  # no reminder left: notices, ratings, close
            with stopwatch() as started:
                await process.start_round(
                    DEMO_HR,
                    RoundRequest(round_id=round_id, employee_ids=org.rep_ids, deadline=deadline),
                )
                handle = env.client.get_workflow_handle_for(
                    AssessmentRoundWorkflow.run, f"assessment-{round_id}"
                )
                while not await told(handle):
                    await asyncio.sleep(0.2)
                start = started()
            rnd = services.store.assessments.find(_round_uuid(round_id))
            assert rnd is not None
            by_ratee: dict[str, list[str]] = {}
            for t in rnd.tasks:
                if t.group in ("self", "peers"):
                    by_ratee.setdefault(t.ratee_id, []).append(t.rater_id)
            work = [
                (rater, ratee)
                for ratee, raters in sorted(by_ratee.items())
                for rater in sorted(raters, key=lambda r: r != ratee)[:per_person]
            ]
            with stopwatch() as rating:
                for offset in range(0, len(work), CONCURRENCY):
                    await asyncio.gather(
                        *(
                            process.rate(
                                Principal(person_id=rater, role=AccessRole.employee),
                                round_id,
                                ratee,
                                ratings,
                            )
                            for rater, ratee in work[offset : offset + CONCURRENCY]
                        )
                    )
                rate = len(work) / rating()
            with stopwatch() as closing:
                outcome = await round_result(env, handle, deadline)
                close = closing()
    assert outcome.rated == len(work), (outcome.rated, len(work))
    return RoundRun(len(org.rep_ids), outcome.asked, len(work), start, rate, close, outcome)


def _round_uuid(round_id: str) -> Any:
    from aggregates.assessment_round import round_uuid

    return round_uuid(round_id)


async def run(lab: Lab, people: int, small: int, ratings_per_person: int) -> Report:
    report = Report(
        NAME, TITLE, {"people": people, "small": small, "ratings_per_person": ratings_per_person}
    )
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=data_converter(EncryptionCodec(CodecKeys.generate())),
    )
    try:
        base = await one_round(lab, env, small, ratings_per_person)
        big = await one_round(lab, env, people, ratings_per_person)
    finally:
        await env.shutdown()
    report.add(
        f"start until every rater is told, per person, {big.people:,} people",
        big.start / big.people * 1000,
        "ms",
        f"the same at {base.people:,} people",
        base.start / base.people * 1000,
        higher_is_better=False,
    )
    report.add(
        f"ratings per second ({big.ratings:,} ratings, {CONCURRENCY} at a time)",
        big.rate,
        "ratings/s",
        f"the same at {base.people:,} people",
        base.rate,
    )
    report.add(
        f"close (seal, close, results sent), per person, {big.people:,} people",
        big.close / big.people * 1000,
        "ms",
        f"the same at {base.people:,} people",
        base.close / base.people * 1000,
        higher_is_better=False,
    )
    report.add(
        f"longest history of a run, {big.people:,} people ({big.outcome.runs} runs)",
        big.outcome.most_events,
        "events",
        f"the same at {base.people:,} people ({base.outcome.runs} runs)",
        base.outcome.most_events,
        higher_is_better=False,
    )
    report.note(
        f"{big.people:,} people: {big.tasks:,} tasks, {big.ratings:,} ratings; started in "
        f"{big.start:.1f} s, rated in {big.ratings / big.rate:.1f} s, closed in "
        f"{big.close:.1f} s, {big.outcome.runs} runs of at most {big.outcome.most_events:,} "
        f"events (a run continues as new at {EVENTS_PER_RUN:,}). {base.people:,} people: "
        f"{base.start:.1f} s, {base.ratings / base.rate:.1f} s, {base.close:.1f} s, "
        f"{base.outcome.runs} runs."
    )
    return report
