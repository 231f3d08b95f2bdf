"""The `careerflow support` commands, run as a user would, against a real PostgreSQL and
the Temporal dev server with a worker: raise, acknowledge, answer, reopen, confirm (and
refusals), then the rep's requests, the team's queue and compliance."""

from __future__ import annotations

import concurrent.futures
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from aggregates.support_process import support_process_v1
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.test_cli_cycles import Cli
from tests.workflows.promotion_support import build_org
from worker import build_worker


@pytest.fixture
def org(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels]]:
    with Engine(Store(pg)) as services, ReadModels(pg, application_env(pg)) as rm:
        build_org(services)
        # The clock runs around the clock, so the SLA is met whenever the test runs.
        doc = support_process_v1().model_dump(mode="json")
        services.policies.publish(
            DEMO_HR, "support_process", "default", {**doc, "office_hours": None}, "24/7"
        )
        rm.wait_caught_up(services.store.applications(), timeout=60)
        yield services, rm


async def test_a_support_request_from_the_command_line(
    dev_env: WorkflowEnvironment,
    org: tuple[Engine, ReadModels],
    pg: PostgresSettings,
    tmp_path: Path,
) -> None:
    services, rm = org
    queue = f"careerflow-cli-support-{uuid.uuid4().hex[:8]}"
    cli = Cli(pg, dev_env, queue, tmp_path)
    with concurrent.futures.ThreadPoolExecutor(8) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            bad = await cli.refused(
                "support", "raise", "legal", "contract review", *cli.as_("employee:E1")
            )
            assert "unknown support category 'legal'" in bad
            raised = json.loads(
                await cli.ok(
                    "support",
                    "raise",
                    "product",
                    "The client needs a customised service",
                    "--customer",
                    "Hangzhou Lianxin",
                    "--id",
                    "SR-CLI-1",
                    *cli.as_("employee:E1"),
                    "--json",
                )
            )
            assert (raised["team"], raised["response_minutes_allowed"]) == ("product", 30)
            refused = await cli.refused("support", "ack", "SR-CLI-1", *cli.as_("employee:AS01"))
            assert "AS01 is not on the Product team" in refused
            refused = await cli.refused(
                "support", "answer", "SR-CLI-1", "soon", *cli.as_("employee:PD01")
            )
            assert "acknowledge it before answering" in refused
            acked = await cli.ok("support", "ack", "SR-CLI-1", *cli.as_("employee:PD01"))
            assert "acknowledged by PD01" in acked and "SLA met" in acked
            refused = await cli.refused("support", "ack", "SR-CLI-1", *cli.as_("employee:PD02"))
            assert "already acknowledged by PD01" in refused
            await cli.ok("support", "answer", "SR-CLI-1", "By Friday.", *cli.as_("employee:PD01"))
            refused = await cli.refused("support", "confirm", "SR-CLI-1", *cli.as_("employee:E2"))
            assert "E2 cannot confirm E1's support request" in refused
            reopened = await cli.ok(
                "support",
                "reopen",
                "SR-CLI-1",
                "--reason",
                "and the price?",
                *cli.as_("employee:E1"),
            )
            assert "reopened: SR-CLI-1" in reopened
            await cli.ok("support", "answer", "SR-CLI-1", "10,000.", *cli.as_("employee:PD02"))
            confirmed = await cli.ok("support", "confirm", "SR-CLI-1", *cli.as_("employee:E1"))
            assert "resolved" in confirmed

    rm.wait_caught_up(services.store.applications(), timeout=60)
    mine = await cli.ok("support", "mine", *cli.as_("employee:E1"))
    assert "1 requests, 0 open, 0 breached" in mine and "SR-CLI-1" in mine
    queue_text = await cli.ok("support", "queue", "product", *cli.as_("employee:PD03"))
    assert "Product team: 0 waiting, 0 breached" in queue_text
    denied = await cli.refused("support", "queue", "product", *cli.as_("employee:E1"))
    assert "not on the product team" in denied
    report = json.loads(await cli.ok("support", "compliance", *cli.as_("hr:H001"), "--json"))
    assert [(w["team"], w["count"], w["met"]) for w in report["weeks"]] == [("product", 1, 1)]
    text = await cli.ok("support", "compliance", "--team", "product", *cli.as_("employee:PD01"))
    assert "product" in text and "100%" in text
