"""End to end on the Temporal dev server: the CLI starts and steers a promotion, the
worker runs it against the real event store, the read models show it, and the search
attributes list it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.metrics import IngestRequest
from aggregates.plan_template import add_months
from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.conftest import TEST_CODEC_KEYS
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics
from worker import build_worker
from workflows.development_plan import plan_workflow_id
from workflows.metric_import import MetricImportWorkflow
from workflows.promotion import PromotionWorkflow

REFUSED, NOT_FOUND, INVALID = ExitCode.REFUSED, ExitCode.NOT_FOUND, ExitCode.INVALID


async def cli(
    pg: PostgresSettings, address: str, queue: str, tmp: Path, *args: str, lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREERFLOW_", "TEMPORAL_"))}
    env.update(pg.eventsourcing_env())
    env.update(
        {
            "TEMPORAL_ADDRESS": address,
            "TEMPORAL_TASK_QUEUE": queue,
            "CAREERFLOW_VAR_DIR": str(tmp / "var"),
            "XDG_CONFIG_HOME": str(tmp / "config"),  # no saved token of the caller's
            "CAREERFLOW_LANG": lang,  # the tests read the English messages, unless told
            **TEST_CODEC_KEYS.env(),  # the dev server's payloads are encrypted
        }
    )
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "careerflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


async def test_promotion_from_the_command_line_to_the_read_models(
    dev_env: WorkflowEnvironment, pg: PostgresSettings, tmp_path: Path
) -> None:
    address = dev_env.client.service_client.config.target_host
    queue = f"careerflow-{uuid.uuid4().hex[:8]}"
    with Engine(Store(pg)) as services, ReadModels(pg, application_env(pg)) as rm:
        build_org(services)
        as_of = "2026-10"  # the reports use the month before today
        now = await dev_env.get_current_time()
        as_of = f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
        ingest(services, year_of_metrics("E1", as_of, {}, mentored=2))

        async def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
            return await cli(pg, address, queue, tmp_path, *args, lang=lang)

        tokens = CliTokens(pg)

        # Bad input: a clear error, and nothing starts.
        unknown = await run("promotion", "start", "E404", *tokens.args("hr:H001"))
        assert unknown.returncode == NOT_FOUND and "unknown employee 'E404'" in unknown.stderr
        skip = await run(
            "promotion", "start", "E3", "--target", "sales_manager", *tokens.args("hr:H001")
        )
        assert skip.returncode == INVALID and "is not the next rung" in skip.stderr
        other = await run("promotion", "start", "E1", *tokens.args("employee:E2"))
        assert other.returncode == REFUSED
        assert "may not start an application for E1" in other.stderr

        with concurrent.futures.ThreadPoolExecutor(8) as executor:
            async with build_worker(dev_env.client, services, queue, executor):
                started = await run(
                    "promotion", "start", "E1", "--json", *tokens.args("employee:E1")
                )
                assert started.returncode == 0, started.stderr
                first = json.loads(started.stdout)
                again = json.loads(
                    (
                        await run("promotion", "start", "E1", "--json", *tokens.args("hr:H001"))
                    ).stdout
                )
                assert again["application_id"] == first["application_id"]  # one open application
                application_id = first["application_id"]
                # Said, not dumped, without --json: in English and in Chinese, the
                # applicant by id and name.
                said = {
                    "en": f"application {application_id} for E1 (达标者) (target Sales "
                    "Supervisor) started",
                    "zh": f"已为 E1（达标者） 发起申请 {application_id}（目标职位：销售主管）",
                }
                for lang, statement in said.items():
                    text = await run("promotion", "start", "E1", *tokens.args("hr:H001"), lang=lang)
                    assert text.returncode == 0, text.stderr
                    assert statement in text.stdout and "{" not in text.stdout, text.stdout

                handle = dev_env.client.get_workflow_handle_for(
                    PromotionWorkflow.run, first["workflow_id"]
                )
                for _ in range(100):  # until the report is in and the manager is asked
                    if (await handle.query(PromotionWorkflow.status)).stage == "manager_review":
                        break
                    await asyncio.sleep(0.2)
                # Someone else's application is one that does not exist (as in the API).
                stranger = await run(
                    "promotion", "decide", application_id, *tokens.args("manager:E2")
                )
                assert stranger.returncode == NOT_FOUND, stranger.stderr
                assert f"no application '{application_id}' that you can see" in stranger.stderr

                decided = await run(
                    "promotion",
                    "decide",
                    application_id,
                    "--approve",
                    "--comment",
                    "approve; focus on management skills",
                    "--json",
                    *tokens.args("manager:S001"),
                )
                assert decided.returncode == 0, decided.stderr
                assert json.loads(decided.stdout)["stage"] == "hr_review"
                twice = await run(
                    "promotion", "decide", application_id, *tokens.args("manager:S001")
                )
                assert twice.returncode == INVALID and "not manager review" in twice.stderr

                reviewed = await run(
                    "promotion", "review", application_id, *tokens.args("hr:H001"), lang="zh"
                )
                assert reviewed.returncode == 0, reviewed.stderr
                approved = f"E1（达标者） 的申请 {application_id} 现处于已批准阶段（第 1 轮）"
                assert approved in reviewed.stdout, reviewed.stdout

                # The Web UI's list: by stage, no personal data in the attributes.
                listed = []
                for _ in range(50):
                    listed = [
                        w.id
                        async for w in dev_env.client.list_workflows(
                            "CareerflowStage = 'approved' AND CareerflowKind = 'promotion'"
                        )
                    ]
                    if listed:
                        break
                    await asyncio.sleep(0.2)
                assert listed == ["promotion-E1-sales_supervisor"]

                # The approved promotion started the development plan; steer it by CLI.
                effective = add_months(date(now.year, now.month, 1), 1)
                plan_id = plan_workflow_id("E1", effective)
                confirmed = await run(
                    "plan",
                    "confirm",
                    plan_id,
                    "team_meetings",
                    "--comment",
                    "joined",
                    *tokens.args("manager:S001"),
                )
                for _ in range(50):  # until the plan workflow has opened the plan
                    if "still being set up" not in confirmed.stderr:
                        break
                    await asyncio.sleep(0.2)
                    confirmed = await run(
                        "plan", "confirm", plan_id, "team_meetings", *tokens.args("manager:S001")
                    )
                assert confirmed.returncode == 0, confirmed.stderr
                assert f"development plan {plan_id} of E1 (达标者): " in confirmed.stdout
                measured = await run(
                    "plan", "confirm", plan_id, "mentoring", *tokens.args("manager:S001")
                )
                assert measured.returncode == INVALID and "is measured" in measured.stderr
                moved = await run(
                    "plan",
                    "move",
                    plan_id,
                    "team_goal",
                    "8",
                    "--reason",
                    "reorganisation",
                    *tokens.args("manager:S001"),
                    lang="zh",
                )
                assert moved.returncode == 0, moved.stderr
                assert f"E1（达标者） 的发展计划 {plan_id}：" in moved.stdout, moved.stdout
                assert "待确认：" in moved.stdout
                extra = tmp_path / "milestone.json"
                extra.write_text(
                    json.dumps(
                        {
                            "id": "shadow_manager",
                            "label": {"en": "shadow the sales manager", "zh": "跟岗销售经理"},
                            "start_month": 2,
                            "due_month": 3,
                            "kind": "confirmed",
                            "reminder": {"en": "book a shadow day", "zh": "预约跟岗日"},
                        }
                    )
                )
                added = await run(
                    "plan",
                    "add",
                    plan_id,
                    str(extra),
                    "--reason",
                    "new region",
                    "--json",
                    *tokens.args("hr:H001"),
                )
                assert added.returncode == 0, added.stderr
                assert "shadow_manager" in json.loads(added.stdout)["milestones"]
                early = tmp_path / "early.json"
                early.write_text(extra.read_text().replace('"start_month": 2', '"start_month": 0'))
                refused = await run(
                    "plan", "add", plan_id, str(early), "--reason", "x", *tokens.args("hr:H001")
                )
                assert refused.returncode == INVALID and "start_month" in refused.stderr
                no_reason = await run(
                    "plan", "drop", plan_id, "team_goal", *tokens.args("manager:S001")
                )
                assert no_reason.returncode == INVALID and "needs a reason" in no_reason.stderr
                denied = await run(
                    "plan",
                    "start",
                    "E3",
                    "--role",
                    "sales_supervisor",
                    *tokens.args("manager:S001"),
                )
                assert denied.returncode == REFUSED
                assert "may not start development plans" in denied.stderr
                direct = await run(
                    "plan",
                    "start",
                    "E3",
                    "--role",
                    "sales_supervisor",
                    "--effective",
                    effective.isoformat(),
                    *tokens.args("hr:H001"),
                )
                assert direct.returncode == 0, direct.stderr

                # An integration pushes metrics; the running plans hear about it.
                rm.wait_caught_up(services.store.applications(), timeout=60)
                imported = await dev_env.client.execute_workflow(
                    MetricImportWorkflow.run,
                    IngestRequest(
                        principal=Principal(person_id="crm", role=AccessRole.integration),
                        data="employee_id,period,metric,value,source\n"
                        f"E1,{effective.strftime('%Y-%m')},new_customers,2,crm\n",
                        format="csv",
                        source_name="crm.csv",
                    ),
                    id=f"import-{uuid.uuid4()}",
                    task_queue=queue,
                )
                assert imported.employee_ids == ["E1"]
                signals = [
                    e
                    async for e in dev_env.client.get_workflow_handle(
                        plan_id
                    ).fetch_history_events()
                    if e.HasField("workflow_execution_signaled_event_attributes")
                ]
                assert [
                    e.workflow_execution_signaled_event_attributes.signal_name for e in signals
                ] == ["metrics_arrived"]

        store = services.store
        rm.wait_caught_up(store.applications(), timeout=60)
        shown = await run(
            "promotion", "show", application_id, "--json", *tokens.args("employee:E1")
        )
        assert shown.returncode == 0, shown.stderr
        view = json.loads(shown.stdout)
        assert view["stage"] == "approved"
        kinds = [(s["kind"], s["actor"]) for s in view["timeline"]]
        assert kinds == [
            ("Started", "E1"),
            ("Submitted", "E1"),
            ("ManagerDecided", "S001"),
            ("HrConfirmed", "H001"),
            ("Announced", "careerflow"),
        ]
        assert view["timeline"][2]["comment"] == "approve; focus on management skills"
        # By the employee's id: their latest application, the same view.
        by_employee = await run("promotion", "show", "E1", "--json", *tokens.args("hr:H001"))
        assert json.loads(by_employee.stdout)["application_id"] == application_id
        table = await run("promotion", "show", "E1", *tokens.args("hr:H001"))
        assert application_id in table.stdout and "approved" in table.stdout, table.stdout
        hidden = await run("promotion", "show", application_id, *tokens.args("employee:E2"))
        assert hidden.returncode == NOT_FOUND and "that you can see" in hidden.stderr

        pipeline = json.loads(
            (await run("promotion", "pipeline", "--json", *tokens.args("hr:H001"))).stdout
        )
        assert pipeline["pipeline"]["stages"]["approved"]["count"] == 1
        assert pipeline["cycle_times"]["median_working_days"] is not None
        assert pipeline["cycle_times"]["within_target"] is True
        denied = await run("promotion", "pipeline", *tokens.args("employee:E1"))
        assert denied.returncode == REFUSED and "may not see the pipeline" in denied.stderr
        mine = json.loads(
            (await run("promotion", "list", "--json", *tokens.args("manager:S001"))).stdout
        )
        assert [a["employee_id"] for a in mine] == ["E1"]

        plans = json.loads(
            (await run("plan", "show", "E1", "--json", *tokens.args("employee:E1"))).stdout
        )
        assert [p["plan_id"] for p in plans] == [plan_id]
        assert plans[0]["confirmed"] == {"team_meetings": "S001"}
        assert {m["id"]: m["due_month"] for m in plans[0]["milestones"]}["team_goal"] == 8
        team = json.loads(
            (await run("plan", "team", "--json", *tokens.args("manager:S001"))).stdout
        )
        assert sorted(p["employee_id"] for p in team) == ["E1", "E3"]
        overview = json.loads(
            (await run("plan", "overview", "--json", *tokens.args("hr:H001"))).stdout
        )
        assert sum(overview["open"].values()) == 2
