"""The `careerflow cycle` commands, run as a user would, against a real PostgreSQL and the
Temporal dev server with a worker: a launched week, plans (and refusals), the read models
of the week, last month's close and its statement, and the schedules.

Time on the dev server is real, so Friday's report and the weekend's feedback are out of
reach here (tests/workflows/test_weekly_cycle.py covers them on the time-skipping server);
the week used is next week, whose plan deadline is always ahead, and the month closed is
last month, whose close runs at once."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.cycles import cycle_batch_workflow_id, month_batch_workflow_id
from aggregates.calendar_periods import month_of, shift_month
from aggregates.weekly_cycle import cycle_uuid
from careerflow.api import i18n
from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.services.cycle_process import MONTHLY_SCHEDULE_ID, WEEKLY_SCHEDULE_ID
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.conftest import TEST_CODEC_KEYS
from tests.cycle_weeks import week_ready
from tests.language import foreign_words
from tests.workflows.promotion_support import build_org, ingest
from worker import build_worker

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPS = ("E1", "E2", "E3")  # build_org's reps; S001 and M001 are not in the cycle
PLAN = ("--item", "customer_visits=10", "--item", "new_customers=4")
PLAN += ("--item", "sales_amount=25000")
REFUSALS = {ExitCode.UNAUTHENTICATED, ExitCode.REFUSED, ExitCode.NOT_FOUND, ExitCode.INVALID}
# Data of no language the cycle commands print: build_org's names, the plan items, the
# training course's title and the schedules' ids.
DATA = ("达标者", "复购不足", "新人", "customer_visits", "new_customers", "sales_amount")
DATA += ("Prospecting Skills", "Team", WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID)


def one_language(text: str, lang: str, data: Iterable[str] = ()) -> list[str]:
    """The words of the other language in a command's output (tests/language.py's
    checker), `data` left out; empty: the output speaks `lang` only."""
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, " ")
    return foreign_words(text, lang)


class Cli:
    """`python -m careerflow ...` in a subprocess, on the test's database, Temporal
    server and task queue (and nothing from the caller's environment); `as_(who)` is the
    `--token` of a real token issued to who ("ROLE:ID") on the test database."""

    def __init__(self, pg: PostgresSettings, env: WorkflowEnvironment, queue: str, tmp: Path):
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("CAREERFLOW_", "TEMPORAL_"))
        }
        self.env.update(pg.eventsourcing_env())
        self.env.update(
            {
                "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                "TEMPORAL_TASK_QUEUE": queue,
                "CAREERFLOW_VAR_DIR": str(tmp / "var"),
                "XDG_CONFIG_HOME": str(tmp / "config"),  # no saved token of the caller's
                "CAREERFLOW_LANG": "en",  # the tests read the English messages
                **TEST_CODEC_KEYS.env(),  # the dev server's payloads are encrypted
            }
        )
        self.tokens = CliTokens(pg)

    def as_(self, who: str) -> tuple[str, str]:
        return self.tokens.args(who)

    async def __call__(self, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "careerflow", *args],
            env={**self.env, "CAREERFLOW_LANG": lang},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )

    async def ok(self, *args: str) -> str:
        done = await self(*args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return done.stdout

    async def said(
        self, *args: str, data: Iterable[str] = (), langs: Iterable[str] = ("en", "zh")
    ) -> dict[str, str]:
        """The command's output in each language, each checked to be in one language
        (`data`: names and other data of no language, e.g. plan items, left out)."""
        out = {}
        for lang in langs:
            done = await self(*args, lang=lang)
            assert done.returncode == 0, f"{args} ({lang}): {done.stderr}"
            assert one_language(done.stdout, lang, data) == [], (lang, done.stdout)
            out[lang] = done.stdout
        return out

    async def refused(self, *args: str, code: int | None = None) -> str:
        """A refusal: the exit code of its kind (`code` if given), nothing on stdout, the
        reason on stderr."""
        done = await self(*args)
        expected = {code} if code is not None else REFUSALS
        assert done.returncode in expected, (
            f"{args}: rc {done.returncode}: {done.stdout}{done.stderr}"
        )
        assert done.stdout == ""
        assert done.stderr.startswith("error: "), done.stderr
        return done.stderr


def next_week() -> str:
    """Next ISO week in the company's time zone: its plan deadline is days away."""
    iso = (datetime.now(SHANGHAI) + timedelta(days=7)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@pytest.fixture
def org(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels]]:
    with Engine(Store(pg)) as services, ReadModels(pg, application_env(pg)) as rm:
        build_org(services)
        rm.wait_caught_up(services.store.applications(), timeout=60)
        yield services, rm


async def _terminate(env: WorkflowEnvironment, workflow_ids: list[str]) -> None:
    """Stops what the test started that is still running (other tests share the server)."""
    for workflow_id in workflow_ids:
        handle = env.client.get_workflow_handle(workflow_id)
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


async def test_a_week_from_the_command_line(
    dev_env: WorkflowEnvironment,
    org: tuple[Engine, ReadModels],
    pg: PostgresSettings,
    tmp_path: Path,
) -> None:
    services, rm = org
    week = next_week()
    month = month_of(week)
    # The month closed last (a close runs at once, so its statement is reachable here).
    closed = shift_month(datetime.now(SHANGHAI).strftime("%Y-%m"), -1)
    # Last year's sales (100,000 a month) make E1's targets realistic: 120,000 a month
    # with the seeded growth, so the weekly plan's ceiling takes 25,000.
    # (In January the week's baseline year is the closed month's year: not twice.)
    years = {int(month[:4]) - 1, int(closed[:4]) - 1}
    baseline = [f"{y}-{m:02d}" for y in sorted(years) for m in range(1, 13)]
    ingest(
        services,
        [("E1", m, "sales_amount", 100_000.0, "") for m in baseline if m != closed]
        + [
            ("E1", closed, "sales_amount", 150_000.0, ""),
            ("E1", closed, "retention_rate", 80.0, ""),
            ("E1", closed, "small_deal_sales", 50_000.0, ""),
            ("E1", closed, "big_client_sales", 100_000.0, ""),
            ("E1", closed, "repurchase_sales", 20_000.0, ""),
            ("E1", closed, "new_customers", 1.0, ""),
        ],
    )
    rm.wait_caught_up(services.store.applications(), timeout=60)
    queue = f"careerflow-cli-cycles-{uuid.uuid4().hex[:8]}"
    cli = Cli(pg, dev_env, queue, tmp_path)
    # The three reps' weeks run in one batch workflow.
    started = [f"cycle-launch-week-{week}", cycle_batch_workflow_id(week, list(REPS))]
    started += [f"cycle-launch-month-{closed}", month_batch_workflow_id(closed, list(REPS))]

    # Only HR launches; a malformed period is refused before anything starts.
    denied = await cli.refused(
        "cycle", "launch", "--period", week, *cli.as_("employee:E1"), code=ExitCode.REFUSED
    )
    assert "employee E1 may not launch weekly cycles" in denied
    bad = await cli.refused(
        "cycle", "launch", "--period", "2026-11", *cli.as_("hr:H001"), code=ExitCode.INVALID
    )
    assert "expected a week like '2026-W48', got '2026-11'" in bad
    missing = await cli.refused("cycle", "launch", "--period", week, code=ExitCode.UNAUTHENTICATED)
    assert "no token: pass --token" in missing

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as executor:
            async with build_worker(dev_env.client, services, queue, executor):
                launched = await cli.ok("cycle", "launch", "--period", week, *cli.as_("hr:H001"))
                assert launched.strip() == f"launched week {week}: workflow {started[0]}"
                await dev_env.client.get_workflow_handle(started[0]).result()
                # Each rep's week is open, and the batch's workflow has taken it on.
                for rep in REPS:
                    assert await week_ready(dev_env.client, services, rep, week) == started[1]

                await _plans(cli, services, week)
                await _feedback_refusals(cli, week)

                # HR closes last month now; each rep's close runs to its end.
                launched = await cli.ok(
                    "cycle", "launch", "--month", "--period", closed, *cli.as_("hr:H001")
                )
                assert launched.strip() == f"launched month {closed}: workflow {started[2]}"
                await dev_env.client.get_workflow_handle(started[2]).result()
                await dev_env.client.get_workflow_handle(started[3]).result()
    finally:
        await _terminate(dev_env, started)

    rm.wait_caught_up(services.store.applications(), timeout=60)
    await _read_models(cli, week, month)
    await _statement(cli, closed)


async def _plans(cli: Cli, services: Engine, week: str) -> None:
    plan = ("cycle", "plan", "E1", week)
    # Malformed items are named; nothing reaches the workflow.
    bad = await cli.refused(*plan, "--item", "customer_visits=ten", *cli.as_("employee:E1"))
    assert "--item 'customer_visits=ten' is not NAME=NUMBER" in bad
    bad = await cli.refused(*plan, "--item", "customer_visits", *cli.as_("employee:E1"))
    assert "--item 'customer_visits' is not NAME=NUMBER" in bad
    twice = await cli.refused(*plan, *PLAN, "--item", "new_customers=3", *cli.as_("employee:E1"))
    assert "--item new_customers is given twice" in twice
    week_bad = await cli.refused("cycle", "plan", "E1", "2026-48", *PLAN, *cli.as_("employee:E1"))
    assert "expected a week like '2026-W48', got '2026-48'; use '2026-W48'" in week_bad

    # The cycle's own rules: the numbers, and whose plan it is.
    negative = await cli.refused(
        *plan,
        *("--item", "customer_visits=-3", "--item", "new_customers=0"),
        *("--item", "sales_amount=25000", *cli.as_("employee:E1")),
    )
    assert "the plan was not taken: customer_visits: -3 is negative; plan zero or more" in negative
    incomplete = await cli.refused(*plan, "--item", "customer_visits=10", *cli.as_("employee:E1"))
    assert "the plan needs a number for new_customers, sales_amount" in incomplete
    other = await cli.refused(*plan, *PLAN, *cli.as_("employee:E2"))
    assert "employee E2 cannot submit E1's weekly plan; reps submit their own plan" in other
    manager = await cli.refused(*plan, *PLAN, *cli.as_("manager:S001"))
    assert "reps submit their own plan" in manager
    cycle = services.store.cycles.find(cycle_uuid("E1", week))
    assert cycle is not None and cycle.plan is None  # every refusal changed nothing

    recorded = await cli.ok(*plan, *PLAN, *cli.as_("employee:E1"))
    lines = recorded.splitlines()
    assert lines[0] == f"plan recorded: E1, week {week} (submitted)"
    assert lines[1].split() == ["item", "planned", "target"]
    # Plan items by their catalogue labels, in the CLI's language.
    assert lines[2].split()[:3] == ["customer", "visits", "10"]
    assert lines[3].split()[:3] == ["new", "customers", "4"]
    assert lines[4].split()[:3] == ["sales", "amount", "25,000"]
    assert lines[5].startswith("plan deadline: ")

    # A revision before the deadline replaces the plan; --json prints the full record.
    revised = json.loads(
        await cli.ok(
            *plan,
            *("--item", "customer_visits=12", "--item", "new_customers=4"),
            *("--item", "sales_amount=25000", *cli.as_("employee:E1"), "--json"),
        )
    )
    assert revised["plan"] == {
        "customer_visits": 12.0,
        "new_customers": 4.0,
        "sales_amount": 25_000.0,
    }
    assert (revised["plan_source"], revised["employee_id"], revised["week"]) == (
        "submitted",
        "E1",
        week,
    )
    # The same plan once more in each language: its words, and the deadline (Monday
    # 18:00 in Shanghai) in the company's time zone, said as the pages say it.
    deadline = datetime.fromisoformat(revised["deadlines"]["plan_deadline"])
    assert (deadline.astimezone(SHANGHAI).weekday(), deadline.astimezone(SHANGHAI).hour) == (
        0,
        18,
    )
    said = await cli.said(
        *plan,
        *("--item", "customer_visits=12", "--item", "new_customers=4"),
        *("--item", "sales_amount=25000", *cli.as_("employee:E1")),
        data=DATA,
    )
    for lang, heading, when in (
        ("en", f"plan recorded: E1, week {week} (submitted)", "plan deadline: "),
        ("zh", f"计划已记录：E1，第 {week} 周（已提交）", "计划截止："),
    ):
        lines = said[lang].splitlines()
        assert lines[0] == heading
        assert lines[5].startswith(when + i18n.datetime_text(deadline, lang, "Asia/Shanghai"))
    assert said["zh"].splitlines()[2].split()[:2] == ["客户拜访次数", "12"]
    assert "customer_visits" not in said["zh"] and "customer_visits" not in said["en"]
    assert "18:00" in said["zh"] and "6:00\u202fPM" in said["en"]  # CLDR's narrow space


async def _feedback_refusals(cli: Cli, week: str) -> None:
    feedback = ("cycle", "feedback", "E1", week, "good week")
    early = await cli.refused(*feedback, *cli.as_("manager:S001"))
    assert f"{week} is not reported yet; feedback opens with the report" in early
    wrong = await cli.refused(*feedback, *cli.as_("manager:M001"))
    assert "manager M001 is not E1's manager (S001)" in wrong
    malformed = await cli.refused(*feedback, "--next", "visits:12", *cli.as_("manager:S001"))
    assert "--next 'visits:12' is not NAME=NUMBER" in malformed


async def _read_models(cli: Cli, week: str, month: str) -> None:
    # The rep's own week: plan vs live actual, expected pay, rank, feedback.
    week_said = await cli.said("cycle", "show", "E1", week, *cli.as_("employee:E1"), data=DATA)
    assert "计划：已提交 " in week_said["zh"] and "反馈：待给出（截止 " in week_said["zh"]
    shown = week_said["en"].splitlines()
    assert shown[0].startswith(f"E1 达标者 · week {week} (month {month}) · team T001")
    assert shown[1].startswith("plan: submitted ")
    rows = {line.split()[0]: line.split() for line in shown[3:6]}
    assert rows["customer_visits"][2:] == ["12", "0", "not", "met"]
    assert rows["new_customers"][2:] == ["4", "0", "not", "met"]
    assert rows["sales_amount"][2:] == ["25,000", "0", "not", "met"]
    text = "\n".join(shown)
    assert "0 of 3 planned items met; lagging" in text
    assert "report: due " in text
    assert f"expected for {month} so far: sales 0 of target " in text
    assert "bonus hidden" not in text and "; bonus " in text and "; commission " in text
    assert "rank in team T001: " in text
    assert "feedback: pending (due " in text

    # An auditor sees the week but not the pay; another rep does not see it at all.
    audited = await cli.ok("cycle", "show", "E1", week, *cli.as_("auditor:A1"))
    assert "bonus hidden; commission hidden" in audited
    hidden = await cli.refused(
        "cycle", "show", "E1", week, *cli.as_("employee:E2"), code=ExitCode.NOT_FOUND
    )
    assert "no employee 'E1' that you can see" in hidden
    as_json = json.loads(
        await cli.ok("cycle", "show", "E1", week, *cli.as_("manager:S001"), "--json")
    )
    assert as_json["plan_source"] == "submitted"
    assert sorted((x["item"], x["planned"], x["met"]) for x in as_json["lines"]) == [
        ("customer_visits", 12.0, False),
        ("new_customers", 4.0, False),
        ("sales_amount", 25_000.0, False),
    ]
    assert as_json["expected"]["redacted"] is False
    assert as_json["feedback"]["status"] == "pending"

    # The manager's board: E1 planned, E2 and E3 not yet.
    board_said = await cli.said("cycle", "board", "S001", week, *cli.as_("manager:S001"), data=DATA)
    assert board_said["zh"].splitlines()[0] == f"S001 的团队 · 第 {week} 周"
    board = board_said["en"].splitlines()
    assert board[0] == f"team of S001 · week {week}"
    assert board[1].split() == ["employee", "name", "cycle", "plan", "met", "behind", "feedback"]
    assert board[2].split()[:5] == ["E1", "达标者", "yes", "submitted", "0/3"]
    # (The read model keeps a plan as jsonb, so items come in jsonb's key order.)
    assert all(item in board[2] for item in ("customer_visits", "new_customers", "sales_amount"))
    assert board[3].split() == ["E2", "复购不足", "yes", "not", "planned", "-", "-", "pending"]
    assert board[4].split() == ["E3", "新人", "yes", "not", "planned", "-", "-", "pending"]
    assert board[5].startswith("reps 3 · with a cycle 3 · planned 1 (submitted 1, agreed 0")
    board_json = json.loads(
        await cli.ok("cycle", "board", "S001", week, *cli.as_("hr:H001"), "--json")
    )
    assert board_json["totals"]["planned"] == 1 and board_json["totals"]["not_planned"] == 2
    not_mine = await cli.refused("cycle", "board", "S001", week, *cli.as_("employee:E1"))
    assert "employee E1 may not see a team's weekly board" in not_mine

    # HR's completion rates; an employee is refused.
    completion_said = await cli.said("cycle", "completion", week, *cli.as_("hr:H001"), data=DATA)
    completion = completion_said["en"].splitlines()
    assert completion[0] == f"completion · week {week}"
    team = completion[2].split()
    assert team[:6] == ["T001", "Team", "1", "3", "1", "(33%)"]
    assert completion[3].split()[:5] == ["all", "teams", "3", "1", "(33%)"]
    assert completion_said["zh"].splitlines()[3].split()[:4] == ["全部团队", "3", "1", "(33%)"]
    rates = json.loads(await cli.ok("cycle", "completion", week, *cli.as_("hr:H001"), "--json"))
    assert rates["overall"]["plans_submitted"] == 1
    assert rates["overall"]["plans_missing"] == 2
    assert rates["overall"]["feedback_pending"] == 3
    refused = await cli.refused("cycle", "completion", week, *cli.as_("employee:E1"))
    assert "employee E1 may not see cycle completion rates" in refused

    # The week's month is not closed yet: the statement says so.
    statement = await cli.refused("cycle", "statement", "E1", month, *cli.as_("employee:E1"))
    assert f"E1's month {month} is not closed" in statement


async def _statement(cli: Cli, month: str) -> None:
    # The seed's rules on E1's month: 150,000 sold against 120,000, retention 80%.
    statement_said = await cli.said(
        "cycle", "statement", "E1", month, *cli.as_("employee:E1"), data=DATA
    )
    zh = statement_said["zh"].splitlines()
    assert zh[3] == "奖金（规则第 1 版）：" and zh[7] == "  合计 5,830 CNY（销售目标已达成）"
    lines = statement_said["en"].splitlines()
    assert lines[0] == f"statement E1/{month}: E1 达标者 · {month} · team T001 · manager S001"
    assert lines[2] == "targets: monthly sales 120,000; retention 75% (goal cascade v1)"
    assert lines[3:] == [
        "bonus (rules v1):",
        "       5,000  sales target met: base bonus",
        "         300  1% of the excess 30,000",
        "         530  retention 80% > 75%: +10% of base + excess 5,300 = 530",
        "  total 5,830 CNY (sales target met)",
        "commission (rules v1):",
        "       1,000  small deals 50,000 × 2%",
        "       2,300  big clients 100,000 × 2.3% (15% above small deals)",
        "       1,000  repurchase bonus 5% of 20,000",
        "  total 4,300 CNY",
        "training:",
        "  Prospecting Skills: fewer new customers than your target this month",
    ]
    # An auditor sees the statement without the pay; another rep not at all.
    audited = (await cli.ok("cycle", "statement", "E1", month, *cli.as_("auditor:A1"))).splitlines()
    assert "bonus (rules v1): hidden" in audited and "commission (rules v1): hidden" in audited
    assert not any("5,830" in line or "4,300" in line for line in audited)
    other = await cli.refused("cycle", "statement", "E1", month, *cli.as_("employee:E2"))
    assert "no employee 'E1' that you can see" in other
    not_a_month = await cli.refused("cycle", "statement", "E1", "2026-W48", *cli.as_("hr:H001"))
    assert "expected a month like '2026-11', got '2026-W48'" in not_a_month
    as_json = json.loads(
        await cli.ok("cycle", "statement", "E1", month, *cli.as_("manager:S001"), "--json")
    )
    assert (as_json["bonus"]["amount"], as_json["commission"]["amount"]) == (5_830.0, 4_300.0)
    assert [r["course"] for r in as_json["recommendations"]] == ["Prospecting Skills"]


async def test_the_schedules_from_the_command_line(
    dev_env: WorkflowEnvironment, pg: PostgresSettings, tmp_path: Path
) -> None:
    queue = f"careerflow-cli-schedules-{uuid.uuid4().hex[:8]}"
    cli = Cli(pg, dev_env, queue, tmp_path)
    # (No organisation here: an auditor's token needs no person in it.)
    refused = await cli.refused("cycle", "schedules", *cli.as_("auditor:A001"))
    assert "auditor A001 may not manage the cycle schedules" in refused
    try:
        said = await cli.said("cycle", "schedules", *cli.as_("hr:H001"), data=DATA)
        text = said["en"].splitlines()
        headers = [line for line in text if not line.startswith(" ")]
        assert headers == [
            f"{WEEKLY_SCHEDULE_ID} (time zone China Standard Time)",
            f"{MONTHLY_SCHEDULE_ID} (time zone China Standard Time)",
        ]
        runs = [line for line in text if line.startswith("  next run: ")]
        assert len(runs) >= 2
        zh = said["zh"].splitlines()
        assert zh[0] == f"{WEEKLY_SCHEDULE_ID}（时区 中国标准时间）"
        assert zh[1].startswith("  下次运行：") and " 08:00（中国标准时间）" in zh[1]
        assert (
            text[1].startswith("  next run: ") and ", 8:00\u202fAM (China Standard Time)" in text[1]
        )

        # Again (now an update of the existing schedules), as JSON.
        states = json.loads(await cli.ok("cycle", "schedules", *cli.as_("hr:H001"), "--json"))
        assert [s["schedule_id"] for s in states] == [WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID]
        now = datetime.now(UTC)
        for state in states:
            assert state["time_zone"] == "Asia/Shanghai"
            assert state["next_runs"], state
            for run in state["next_runs"]:
                assert datetime.fromisoformat(run) > now
        weekly = [datetime.fromisoformat(r).astimezone(SHANGHAI) for r in states[0]["next_runs"]]
        assert all((r.weekday(), r.hour, r.minute) == (0, 8, 0) for r in weekly)
        monthly = [datetime.fromisoformat(r).astimezone(SHANGHAI) for r in states[1]["next_runs"]]
        assert all((r.day, r.hour, r.minute) == (3, 9, 0) for r in monthly)
    finally:
        for schedule_id in (WEEKLY_SCHEDULE_ID, MONTHLY_SCHEDULE_ID):
            with contextlib.suppress(Exception):
                await dev_env.client.get_schedule_handle(schedule_id).delete()
        # Should a schedule have fired meanwhile (Monday 08:00 is real time here), its
        # launch waits for a worker that never comes: stop it.
        fired = [
            w.id
            async for w in dev_env.client.list_workflows(
                "WorkflowType = 'CycleLauncher' AND ExecutionStatus = 'Running'"
            )
        ]
        await _terminate(dev_env, fired)
