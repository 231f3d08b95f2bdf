"""The `careerflow assessment` commands, run as a user would, against a real PostgreSQL
and the Temporal dev server with a worker: HR starts a round, raters rate (and are
refused with the reason), HR sees progress with anonymous groups as counts; a round
closed by its own commands (the dev server's time is real) shows profiles and gaps."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.assessments import (
    AssessmentActivities,
    CloseRound,
    OpenRound,
    RateCommand,
    RoundRequest,
    SealedRating,
)
from careerflow.api import i18n
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.test_cli_cycles import Cli, _terminate
from tests.workflows.promotion_support import build_org
from tests.workflows.test_assessment_round import rating
from worker import build_worker
from workflows.assessment_round import assessment_workflow_id

HR = Principal(person_id="H001", role=AccessRole.hr)
# Data of no language in the output: the rounds' ids (and the live round's workflow id),
# build_org's names, the competencies' course keys.
DATA = ("assessment-cli-live", "cli-live", "cli-closed", "达标者", "复购不足", "新人")
DATA += ("Big-Client Resource Coordination", "Cross-Department Communication Skills")
DATA += ("Customer Needs Discovery", "Big-Client Negotiation Skills")
DATA += ("Customer Relationship Management", "Sales Team Management")


@pytest.fixture
def org(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels]]:
    with Engine(Store(pg)) as services, ReadModels(pg, application_env(pg)) as rm:
        build_org(services)
        rm.wait_caught_up(services.store.applications(), timeout=60)
        yield services, rm


def close_a_round(services: Engine, round_id: str) -> None:
    """E1 rated by self, manager and two anonymous peers (hidden), closed yesterday."""
    commands = AssessmentActivities(services.store.assessments)
    now = datetime.now(UTC)
    opened_at, deadline = now - timedelta(days=5), now - timedelta(days=1)
    commands.open(
        OpenRound(
            request=RoundRequest(round_id=round_id, employee_ids=["E1"], deadline=deadline),
            started_by=HR,
            workflow_id=assessment_workflow_id(round_id),
            now=opened_at,
        )
    )
    sealed = []
    for i, (who, role, items) in enumerate(
        [
            ("E1", AccessRole.employee, rating(4, 4, 4)),
            ("S001", AccessRole.manager, rating(3, 3, 2)),
            ("E2", AccessRole.employee, rating(2, 2, 2, "peer secret")),
            ("E3", AccessRole.employee, rating(3, 3, 3)),
        ]
    ):
        receipt = commands.rate(
            RateCommand(
                round_id=round_id,
                principal=Principal(person_id=who, role=role),
                ratee_id="E1",
                ratings=items,
                key=f"k{i}",
                now=opened_at + timedelta(hours=1),
            )
        )
        if receipt.anonymous:
            sealed.append(SealedRating(ratee_id="E1", group=receipt.group, ratings=items))
    commands.close(CloseRound(round_id=round_id, sealed=sealed, now=deadline))


async def test_assessments_from_the_command_line(
    dev_env: WorkflowEnvironment,
    org: tuple[Engine, ReadModels],
    pg: PostgresSettings,
    tmp_path: Path,
) -> None:
    services, rm = org
    queue = f"careerflow-cli-assess-{uuid.uuid4().hex[:8]}"
    cli = Cli(pg, dev_env, queue, tmp_path)
    deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    live = "cli-live"
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        try:
            async with build_worker(dev_env.client, services, queue, executor):
                denied = await cli.refused(
                    "assessment", "start", live, "--employee", "E1", "--deadline", deadline,
                    *cli.as_("employee:E1"),
                )  # fmt: skip
                assert "employee E1 may not start 360° assessment rounds" in denied
                naive = await cli.refused(
                    "assessment", "start", live, "--employee", "E1",
                    "--deadline", "2030-01-01T00:00", *cli.as_("hr:H001"),
                )  # fmt: skip
                assert "with its time zone" in naive
                started = await cli.said(
                    "assessment", "start", live, "--employee", "E1", "--deadline", deadline,
                    "--title", "CLI round", *cli.as_("hr:H001"), data=DATA, langs=["zh"],
                )  # fmt: skip
                assert f"评估轮次 {live} 已开始，共 1 人" in started["zh"]
                # The deadline in the company's time zone, as the pages say it.
                due = i18n.datetime_text(deadline, "zh", "Asia/Shanghai")
                assert f"截止 {due}" in started["zh"], started["zh"]

                levels = ["--level", "customer_insight=4", "--level", "relationship_maintenance=3"]
                partial = await cli.refused(
                    "assessment", "rate", live, "E1", *levels, *cli.as_("manager:S001")
                )
                assert "rate every competency; missing: resource_coordination" in partial
                rated = await cli.ok(
                    "assessment", "rate", live, "E1", *levels,
                    "--level", "resource_coordination=2",
                    "--comment", "resource_coordination=bring product in earlier",
                    *cli.as_("manager:S001"),
                )  # fmt: skip
                assert "rating of E1 taken (manager); 0 still to rate" in rated
                peer = await cli.said(
                    "assessment", "rate", live, "E1", *levels,
                    "--level", "resource_coordination=3", *cli.as_("employee:E2"),
                    data=DATA, langs=["zh"],
                )  # fmt: skip
                assert "对 E1 的评价已收到（同事, 匿名）" in peer["zh"]
                rm.wait_caught_up(services.store.applications(), timeout=60)
                said = await cli.said(
                    "assessment", "progress", live, *cli.as_("hr:H001"), data=DATA
                )
                progress = said["en"]
                assert "manager 1/1: S001" in progress
                assert "peers 1/2 (anonymous)" in progress and "E2" not in progress
                assert "上级 1/1: S001" in said["zh"] and "同事 1/2（匿名）" in said["zh"]
                assert f"deadline {i18n.datetime_text(deadline, 'en', 'Asia/Shanghai')}" in progress
                tasks = await cli.said("assessment", "tasks", *cli.as_("employee:E3"), data=DATA)
                assert "1 rating(s) to give" in tasks["en"]
                assert "待完成评价 1 份" in tasks["zh"]
                assert tasks["zh"].splitlines()[1].split() == [
                    "轮次", "人员", "身份", "已完成", "截止时间"
                ]  # fmt: skip
                early = await cli.refused("assessment", "profile", live, "E1", *cli.as_("hr:H001"))
                assert "is still open" in early
        finally:
            await _terminate(dev_env, [assessment_workflow_id(live)])

    close_a_round(services, "cli-closed")
    rm.wait_caught_up(services.store.applications(), timeout=60)
    profile = await cli.ok(
        "assessment", "profile", "cli-closed", "E1", *cli.as_("employee:E1"), "--json"
    )
    data = json.loads(profile)
    rc = next(c for c in data["competencies"] if c["competency"] == "resource_coordination")
    peers = next(g for g in rc["groups"] if g["group"] == "peers")
    assert peers["hidden"] is True and peers["average"] is None and peers["raters"] is None
    assert "peer secret" not in profile
    said = await cli.said(
        "assessment", "profile", "cli-closed", "E1", *cli.as_("manager:S001"), data=DATA
    )
    text = said["en"]
    assert "peers hidden (hidden: fewer than 3 raters)" in text
    assert "Cross-Department Communication Skills, Big-Client Resource Coordination" in text
    assert "同事 不可见（" in said["zh"] and "推荐课程：" in said["zh"]
    other = await cli.refused("assessment", "profile", "cli-closed", "E1", *cli.as_("employee:E2"))
    assert "no employee 'E1' that you can see" in other
    gaps = await cli.said("assessment", "gaps", "cli-closed", *cli.as_("hr:H001"), data=DATA)
    assert "100% (1 of 1) have a resource coordination gap" in gaps["en"]
    assert "评估轮次 cli-closed：已评估 1 人" in gaps["zh"]
    # The courses by their names in the CLI's language, never the catalogue's ids.
    assert "Big-Client Resource Coordination" in gaps["en"]
    assert "大客户资源协调" in gaps["zh"] and "Big-Client" not in gaps["zh"]
    team = await cli.said(
        "assessment", "team", "cli-closed", "S001", *cli.as_("manager:M001"), data=DATA
    )
    assert "E1" in team["en"] and "E1" in team["zh"]
    rounds = await cli.said("assessment", "rounds", *cli.as_("hr:H001"), data=DATA)
    assert "cli-closed" in rounds["en"] and "closed" in rounds["en"]
    assert rounds["zh"].splitlines()[0].split()[:3] == ["轮次", "状态", "人数"]
