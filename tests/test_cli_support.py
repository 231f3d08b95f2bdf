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
from careerflow.api import i18n
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
            # Raised again with its id: the same request, said in each language with its
            # due time in the company's time zone.
            again = await cli.said(
                *("support", "raise", "product", "The client needs a customised service"),
                *("--customer", "Hangzhou Lianxin", "--id", "SR-CLI-1"),
                *cli.as_("employee:E1"),
            )
            for lang in ("en", "zh"):
                due = i18n.datetime_text(raised["due_at"], lang, "Asia/Shanghai")
                assert due in again[lang], again[lang]
            product = "Product (e.g. a customised service)"
            assert again["en"].startswith(f"raised: SR-CLI-1 ({product}) · open"), again["en"]
            assert again["zh"].startswith("已提出：SR-CLI-1（产品（如定制化服务））· 处理中")
            assert "response SLA 30 min, due " in again["en"]
            assert "响应 SLA 30 分钟，截止 " in again["zh"]
            refused = await cli.refused("support", "ack", "SR-CLI-1", *cli.as_("employee:AS01"))
            assert "AS01 is not on the Product team" in refused
            refused = await cli.refused(
                "support", "answer", "SR-CLI-1", "soon", *cli.as_("employee:PD01")
            )
            assert "acknowledge it before answering" in refused
            acked = await cli.said(
                "support", "ack", "SR-CLI-1", *cli.as_("employee:PD01"), langs=["zh"]
            )
            assert "PD01 在 " in acked["zh"] and "分钟后受理：SLA 达成" in acked["zh"]
            refused = await cli.refused("support", "ack", "SR-CLI-1", *cli.as_("employee:PD02"))
            assert "already acknowledged by PD01" in refused
            answered = await cli.said(
                *("support", "answer", "SR-CLI-1", "By Friday.", *cli.as_("employee:PD01")),
                data=["By Friday."],
                langs=["en"],
            )
            assert "acknowledged by PD01 after " in answered["en"]
            assert "answer (PD01): By Friday." in answered["en"]
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
            confirmed = await cli.said(
                *("support", "confirm", "SR-CLI-1", *cli.as_("employee:E1")),
                data=["10,000."],
                langs=["zh"],
            )
            assert "已确认：SR-CLI-1（产品（如定制化服务））· 已解决" in confirmed["zh"]

    rm.wait_caught_up(services.store.applications(), timeout=60)
    mine = await cli.said("support", "mine", *cli.as_("employee:E1"))
    assert "1 requests, 0 open, 0 breached" in mine["en"] and "SR-CLI-1" in mine["en"]
    assert "E1：共 1 个请求，0 个未完成，0 个超时" in mine["zh"]
    assert mine["zh"].splitlines()[1].split()[:3] == ["请求", "类别", "状态"]
    # Raised and due in the company's time zone.
    raised_at = i18n.datetime_text(raised["raised_at"], "zh", "Asia/Shanghai")
    assert raised_at in mine["zh"]
    queue_text = await cli.said("support", "queue", "product", *cli.as_("employee:PD03"))
    assert "Product team: 0 waiting, 0 breached" in queue_text["en"]
    denied = await cli.refused("support", "queue", "product", *cli.as_("employee:E1"))
    assert "not on the product team" in denied
    report = json.loads(await cli.ok("support", "compliance", *cli.as_("hr:H001"), "--json"))
    assert [(w["team"], w["count"], w["met"]) for w in report["weeks"]] == [("product", 1, 1)]
    text = await cli.said(
        "support", "compliance", "--team", "product", *cli.as_("employee:PD01"), data=["product"]
    )
    assert "product" in text["en"] and "100%" in text["en"]
    assert text["zh"].splitlines()[0].split()[:4] == ["周", "团队", "请求数", "达成"]
