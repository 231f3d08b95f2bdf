"""A 360° round for a whole organisation of 500 reps (50 teams of 10: 5,500 rating tasks,
550 raters) on the time-skipping server with the real event store: every rater is told,
ratings arrive eight at a time, the round closes and seals all 500 people, and no run's
history grows with the round: the workflow continued as new and its longest history
stayed under EVENTS_PER_RUN plus one page. The anonymity rules hold at that size: a full
peer group is published without raters, a group of two is hidden with its count only.

Before the redesign this round was refused (more than 200 people); without the refusal
its one history would have held ~5,500 task-list entries in one payload and ~50,000
events for the ratings alone."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.assessments import RoundRequest
from aggregates.assessment_round import round_uuid
from aggregates.ladder import Role
from bench.assessments import round_result
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.workflows.test_assessment_round import (
    HR,
    event_data,
    eventually,
    inbox,
    rating,
    the_round,
    worker,
)
from words.catalogue import stored_text
from workflows.assessment_round import (
    EVENTS_PER_RUN,
    AssessmentRoundWorkflow,
)

TEAMS = 50
PER_TEAM = 10
PAGE_EVENTS = 1_000
# Below the production EVENTS_PER_RUN: with notices created in local activities the whole
# round's history is shorter than that, and the test is that a run continues as new.
RUN_LIMIT = EVENTS_PER_RUN // 4
"""What a run may add after it last checked its length: one page of notices (100 raters,
2 activities of 3 events each, in rounds of 20, with their workflow tasks: ~700 events)
or the ratings in flight while it hands over."""


def reps_of(team: int) -> list[str]:
    return [f"E{(team - 1) * PER_TEAM + i:04d}" for i in range(1, PER_TEAM + 1)]


def person(person_id: str) -> Principal:
    role = AccessRole.manager if person_id.startswith("S") else AccessRole.employee
    return Principal(person_id=person_id, role=role)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s, ReadModels(pg, application_env(pg)) as read_models:
        s.policies.seed(DEMO_HR)
        hired = date(2020, 1, 1)
        employees = [
            EmployeeIn(
                employee_id="M001",
                name="Region",
                role=Role.sales_manager,
                team_id="R01",
                hire_date=hired,
            )
        ]
        for t in range(1, TEAMS + 1):
            employees.append(
                EmployeeIn(
                    employee_id=f"S{t:03d}",
                    name=f"Supervisor {t}",
                    role=Role.sales_supervisor,
                    team_id=f"T{t:03d}",
                    manager_id="M001",
                    hire_date=hired,
                )
            )
            employees += [
                EmployeeIn(
                    employee_id=e,
                    name=f"Rep {e}",
                    role=Role.sales_rep,
                    team_id=f"T{t:03d}",
                    manager_id=f"S{t:03d}",
                    hire_date=hired,
                )
                for e in reps_of(t)
            ]
        teams = [TeamIn(team_id="R01", name="Region", manager_id="M001")] + [
            TeamIn(
                team_id=f"T{t:03d}", name=f"Team {t}", manager_id=f"S{t:03d}", parent_team_id="R01"
            )
            for t in range(1, TEAMS + 1)
        ]
        s.people.import_org(DEMO_HR, OrgImport(teams=teams, employees=employees))
        read_models.wait_caught_up(s.store.applications(), timeout=120)
        yield s


async def test_a_round_for_500_people_keeps_every_history_bounded_and_anonymity(
    env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"q-assess-500-{os.getpid()}"
    round_id = "org-500"
    everyone = [e for t in range(1, TEAMS + 1) for e in reps_of(t)]
    process = services.assessment_process(env.client, queue)
    async with worker(env, services, queue):
        start = await env.get_current_time()
        deadline = start + timedelta(hours=12)  # no reminder left before it: fewer notices
        started = await process.start_round(
            HR,
            RoundRequest(round_id=round_id, employee_ids=everyone, deadline=deadline),
            events_per_run=RUN_LIMIT,
        )
        assert started.ratees == 500
        handle = env.client.get_workflow_handle_for(
            AssessmentRoundWorkflow.run, started.workflow_id
        )
        opened = await eventually(
            lambda: services.store.assessments.find(round_uuid(round_id)), timeout=120
        )
        assert len(opened.tasks) == 500 * 11  # self, manager, 9 anonymous peers each

        # Team 1 rates fully (a published peer group of 9 each); two of E0011's peers
        # (hidden: under 3); everyone of teams 3-30 rates themselves.
        given: list[tuple[str, str, dict[str, Any]]] = []
        team1 = reps_of(1)
        for ratee in team1:
            given.append((ratee, ratee, rating(4, 4, 4)))
            given.append(("S001", ratee, rating(3, 3, 3)))
            given += [(p, ratee, rating(2, 3, 4, "peer note")) for p in team1 if p != ratee]
        given += [(p, "E0011", rating(1, 1, 1, "tiny group")) for p in ("E0012", "E0013")]
        given += [(e, e, rating(5, 4, 3)) for t in range(3, 31) for e in reps_of(t)]
        for offset in range(0, len(given), 8):
            receipts = await asyncio.gather(
                *(
                    process.rate(person(who), round_id, ratee, items)
                    for who, ratee, items in given[offset : offset + 8]
                )
            )
            assert all(not r.late for r in receipts)
        assert (await handle.query(AssessmentRoundWorkflow.state)).rated == len(given)
        assert len(given) == 392

        outcome = await round_result(env, handle, deadline)
        final_history = await handle.fetch_history()

    assert (outcome.asked, outcome.rated, outcome.late) == (5_500, 392, 0)
    # The history stayed bounded: continued as new, no run past the limit plus a page.
    assert outcome.runs >= 2
    assert outcome.most_events <= RUN_LIMIT + PAGE_EVENTS
    assert len(final_history.events) <= RUN_LIMIT + PAGE_EVENTS
    first = final_history.events[0].workflow_execution_started_event_attributes
    assert first.continued_execution_run_id  # the last run continued an earlier one

    # Every person sealed and profiled; anonymous ratings only as sealed groups.
    rnd = the_round(services, round_id)
    assert rnd.closed and len(rnd.profiles) == 500
    events = event_data(services, round_id)
    names = [n for n, _ in events]
    assert names.count("GroupSealed") == 500 and names.count("ProfileComputed") == 500
    assert names[-1] == "Closed"
    sealed = {d["ratee_id"]: d for n, d in events if n == "GroupSealed"}
    assert (sealed["E0001"]["raters"], sealed["E0001"]["published"]) == (9, True)
    assert [r["resource_coordination"]["level"] for r in sealed["E0001"]["ratings"]] == [4] * 9
    assert (sealed["E0011"]["raters"], sealed["E0011"]["ratings"]) == (2, [])
    assert (sealed["E0500"]["raters"], sealed["E0500"]["published"]) == (0, False)
    for name, data in events:
        text = json.dumps(data, ensure_ascii=False)
        assert "tiny group" not in text  # a hidden group's ratings: never stored
        if name == "AnonymousTaskCompleted":
            assert "items" not in data and "peer note" not in text
        if name == "GroupSealed":
            assert not {"rater_id", "task", "command"} & set(data)
    assert "peer note" in json.dumps(sealed["E0001"]["ratings"])  # published, raterless
    assert not any(n == "RatingRecorded" and d["task"]["group"] == "peers" for n, d in events)

    # Everyone was told whom to rate, and everyone assessed got their results.
    assert inbox(services, "S050", "assessment.task")
    assert inbox(services, "E0500", "assessment.task")
    note = await eventually(lambda: inbox(services, "E0001", "assessment.profile"))
    assert "resource coordination" in stored_text(note[0]["body"], "en")
    assert await eventually(lambda: inbox(services, "E0500", "assessment.profile"))
    closed = await eventually(lambda: inbox(services, "H001", "assessment.closed"))
    said = stored_text(closed[0]["body"], "en")
    assert "392 of 5500 ratings in (0 late)" in said.replace(",", "")
