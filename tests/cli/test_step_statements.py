"""What the steps on workflows and the audit tools say (issue 18), in each language (zh and
en, no word of the other but ids and data): promotion `decide`, `resubmit` and `withdraw`
name the applicant, `plan start` the employee, a plan's step its milestones by their
titles; `audit state`, `readiness-at` and `pool-at` print tables in words, not JSON;
`what-if`, `check-projections`, `backfill-chain`, `verification` and `replay-workflows`
say their reports. `--json` prints the result as before.

On the API's real stack (tests/api/conftest.py: PostgreSQL, the read models, a Temporal
dev server and a worker), the commands run as a user runs them (tests/test_cli_cycles.Cli).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import psycopg
from temporalio.testing import WorkflowEnvironment

from careerflow.api import i18n
from tests.api.conftest import ApiStack, api  # noqa: F401
from tests.api.test_api_plans import next_month_start
from tests.api.test_api_promotions import APPLICATIONS, at_stage, report_month
from tests.test_cli_cycles import Cli, one_language
from tests.workflows.promotion_support import TEAM, ingest, year_of_metrics

NAMES = [name for _, name, *_ in TEAM]  # the people's names (Chinese): data in English too
LANGS = ("en", "zh")


def stated(done: CompletedProcess[str], lang: str, data: Iterable[str] = ()) -> str:
    """The statement a command printed, checked to be in `lang` only (names and `data`
    aside) and not JSON."""
    assert done.returncode == 0, done.stderr
    assert one_language(done.stdout, lang, [*NAMES, *data]) == [], (lang, done.stdout)
    try:
        json.loads(done.stdout)
    except json.JSONDecodeError:
        return done.stdout
    raise AssertionError(f"JSON without --json: {done.stdout}")


CODE_NAME = re.compile(r"[a-z][a-z0-9_]*")


def values(value: Any) -> list[str]:
    """The data of a state: its values, and the keys of its maps that are data (ids,
    periods, entry keys); a key that is a name in the code (`metric`, `batch_id`) is not:
    the statement says it by its word."""
    if isinstance(value, dict):
        keys = [str(k) for k in value if not CODE_NAME.fullmatch(str(k))]
        return [*keys, *(s for v in value.values() for s in values(v))]
    if isinstance(value, list):
        return [s for v in value for s in values(v)]
    return [value] if isinstance(value, str) else []


def leaves(value: Any) -> list[str]:
    """The strings of a JSON value (its values and keys): data, said as they are."""
    if isinstance(value, dict):
        return [*map(str, value), *(s for v in value.values() for s in leaves(v))]
    if isinstance(value, list):
        return [s for v in value for s in leaves(v)]
    return [value] if isinstance(value, str) else []


async def test_promotion_steps_name_the_applicant(
    api: ApiStack,  # noqa: F811
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    ingest(api.services, year_of_metrics("E2", report_month(), {"repurchase_rate": 50.0}, 2))
    r = await api.call("hr:H001", "POST", APPLICATIONS, json={"employee_id": "E2"})
    assert r.status_code == 200, r.text
    application = r.json()["application_id"]
    await at_stage(api, "employee:E2", application, "manager_review")
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    e2 = {"en": "E2 (复购不足)", "zh": "E2（复购不足）"}
    stages = {
        "returned": {"en": "returned", "zh": "已退回"},
        "manager_review": {"en": "manager review", "zh": "主管审批"},
        "withdrawn": {"en": "withdrawn", "zh": "已撤回"},
    }
    steps = [
        ("manager:S001", ("decide", "--approve", "--comment", "ok"), "cmd-d1", "returned", 1),
        ("employee:E2", ("resubmit",), "cmd-r1", "manager_review", 2),
        ("hr:H001", ("withdraw", "--reason", "next year"), "cmd-w1", "withdrawn", 2),
    ]
    for who, (verb, *args), command_id, stage, round_ in steps:
        step = ("promotion", verb, application, *args, "--command-id", command_id, *cli.as_(who))
        # The step once (in English; a decision retried while the report is being
        # written), then sent again with its command id: its answer said in Chinese.
        for _ in range(50):
            done = await cli(*step, lang="en")
            if done.returncode == 0 or "not manager review" not in done.stderr:
                break
            await asyncio.sleep(0.2)
        said = {"en": done, "zh": await cli(*step, lang="zh")}
        head = {
            "en": f"application {application} of {e2['en']} is now at "
            f"{stages[stage]['en']} (round {round_})",
            "zh": f"{e2['zh']} 的申请 {application} 现处于{stages[stage]['zh']}阶段"
            f"（第 {round_} 轮）",
        }
        for lang in LANGS:
            text = stated(said[lang], lang, [application, command_id])
            assert text.splitlines()[0] == head[lang], text
            assert command_id in text.splitlines()[-1], text
        if stage == "returned":
            assert "it was returned to the applicant" in said["en"].stdout
            assert "申请已退回给申请人" in said["zh"].stdout
        as_json = json.loads((await cli(*step, "--json")).stdout)
        assert (as_json["stage"], as_json["employee_id"]) == (stage, "E2")


async def test_a_plan_is_said_by_its_employee_and_milestones(
    api: ApiStack,  # noqa: F811
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    effective = next_month_start(api)
    plan_id = f"plan-E1-{effective}"
    start = ("plan", "start", "E1", "--role", "sales_supervisor", "--effective", str(effective))
    start += cli.as_("hr:H001")
    said = {
        "en": f"development plan {plan_id} started for E1 (达标者)\n",
        "zh": f"已为 E1（达标者） 启动发展计划 {plan_id}\n",
    }
    for lang in LANGS:  # started once: the same plan the second time
        assert stated(await cli(*start, lang=lang), lang, [plan_id]) == said[lang]
    assert json.loads((await cli(*start, "--json")).stdout) == plan_id

    # A step on the plan (once its workflow set it up) names the milestones by title,
    # those to confirm with the id `plan confirm` takes.
    for due_month, lang in ((8, "en"), (9, "zh")):
        move = ("plan", "move", plan_id, "team_goal", str(due_month), "--reason", "reorganised")
        for _ in range(150):
            done = await cli(*move, *cli.as_("manager:S001"), lang=lang)
            if done.returncode == 0:
                break
            await asyncio.sleep(0.2)
        plan = api.services.store.plans.get(plan_id)
        titles = {m.id: i18n.unmarked(i18n.label(m.label, lang)) for m in plan.milestones}
        text = stated(done, lang, [plan_id, *titles])
        assert text.startswith(
            f"development plan {plan_id} of E1 (达标者): "
            if lang == "en"
            else f"E1（达标者） 的发展计划 {plan_id}："
        ), text
        assert all(t in text for t in titles.values()), (titles, text)
        noted = "{} ({})" if lang == "en" else "{}（{}）"
        assert noted.format(titles["team_meetings"], "team_meetings") in text, text


async def test_audit_reads_are_tables_in_words(
    api: ApiStack,  # noqa: F811
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    auditor, hr = cli.as_("auditor:A001"), cli.as_("hr:H001")
    ingest(api.services, year_of_metrics("E3", report_month(), {}, 1))
    await asyncio.to_thread(api.caught_up)

    # An aggregate's state: its fields by their words, its values as they are.
    state = ("audit", "state", "employee", "E3", *auditor)
    found = json.loads((await cli(*state, "--json")).stdout)
    assert [s["stream"] for s in found] == ["employee E3", "metrics E3"]
    data = [s for f in found for s in values(f["state"])]
    assert {"metric", "source", "batch_id"} <= set(leaves(found))  # nested in the ledger
    words = {
        "en": ("employee E3 at version 1, recorded ", "hire date", "team", "ingest batches"),
        "zh": ("员工 E3 第 1 版，记录于 ", "入职日期", "团队", "导入批次"),
    }
    # The ledger's entries: their nested keys by their words, not the code's names.
    nested = {
        "en": ("measurement: ", "metric ", "source ", "ingest batch: "),
        "zh": ("度量值", "指标", "来源"),
    }
    for lang in LANGS:
        text = stated(await cli(*state, lang=lang), lang, data)
        assert all(w in text for w in (*words[lang], *nested[lang])), text
        assert "2020-01-01" in text and "e3@example.invalid" in text
        assert "batch_id" not in text and "ledger_version" not in text, text

    # Readiness and the candidate pool as they were at a moment, rebuilt.
    now = datetime.now(UTC).isoformat()
    readiness = ("audit", "readiness-at", "E3", now, *auditor)
    was = json.loads((await cli(*readiness, "--json")).stdout)
    assert was["result"]["employee_id"] == "E3"
    score = f"{was['result']['score']:,.2f}".rstrip("0").rstrip(".")
    words = {
        "en": ("as of ", "potential score", "rank in team", "indicator"),
        "zh": ("截至 ", "潜力得分", "团队排名", "指标"),
    }
    for lang in LANGS:
        text = stated(await cli(*readiness, lang=lang), lang)
        assert all(w in text for w in words[lang]) and score in text, text
    pool = ("audit", "pool-at", now, *auditor)
    members = json.loads((await cli(*pool, "--json")).stdout)["result"]
    heads = {"en": f"people in the candidate pool: {len(members)}", "zh": "候选人池人数："}
    for lang in LANGS:
        text = stated(await cli(*pool, lang=lang), lang)
        assert heads[lang] in text and all(m["employee_id"] in text for m in members), text

    # A draft judged against everyone (the document in force, unchanged).
    shown = await cli("policy", "show", "promotion_criteria", "sales_supervisor", "--json", *hr)
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(json.loads(shown.stdout)["document"]))
    what_if = ("audit", "what-if", "promotion_criteria", "sales_supervisor", str(draft), *hr)
    report = json.loads((await cli(*what_if, "--json")).stdout)
    heads = {
        "en": "draft promotion criteria · Sales Supervisor against ",
        "zh": "晋升条件 · 销售主管",
    }
    for lang in LANGS:
        text = stated(await cli(*what_if, lang=lang), lang, [report["key"]])
        assert heads[lang] in text, text

    # The read models against their rebuild; the chain's backfill on a chained store.
    await asyncio.to_thread(api.caught_up)
    check = ("audit", "check-projections", *auditor)
    checked = await cli(*check, "--json")
    tables = list(json.loads(checked.stdout)["rows_compared"])
    assert "rm_employee" in tables and "rm_measurement" in tables
    heads = {"en": "every read model matches its rebuild", "zh": "每个读模型都与重建结果一致"}
    said = {"en": ("people", "metric measurements"), "zh": ("人员", "指标数据")}
    for lang in LANGS:
        text = stated(await cli(*check, lang=lang), lang)  # no table by its code name
        assert text.startswith(heads[lang]) and all(w in text for w in said[lang]), text
        assert "rm_" not in text, text
    # A difference: the read model, the row's key and the differing column by their words.
    with psycopg.connect(api.services.store.pg.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT name FROM rm_employee WHERE employee_id = 'E3'").fetchone()
        assert row is not None
        conn.execute("UPDATE rm_employee SET name = 'Someone else' WHERE employee_id = 'E3'")
        try:
            lines = {
                "en": "people (employee E3): differs from the rebuild: name",
                "zh": "人员（员工 E3）：与重建结果不同：姓名",
            }
            for lang in LANGS:
                done = await cli(*check, lang=lang)
                assert done.returncode == 1, done.stderr
                assert one_language(done.stdout, lang, NAMES) == [], (lang, done.stdout)
                assert lines[lang] in done.stdout and "rm_" not in done.stdout, done.stdout
        finally:
            conn.execute("UPDATE rm_employee SET name = %s WHERE employee_id = 'E3'", row)
    backfill = ("audit", "backfill-chain", *hr)
    heads = {
        "en": ("0 events chained; keep the new heads:", "people and organisation"),
        "zh": ("已将 0 个事件入链；请保存新的链头：", "人员与组织"),
    }
    for lang in LANGS:
        text = stated(await cli(*backfill, lang=lang), lang)
        assert text.startswith(heads[lang][0]) and heads[lang][1] in text, text
    assert json.loads((await cli(*backfill, "--json")).stdout)["chained"] == 0


async def test_a_verification_and_a_replay_say_their_reports(
    api: ApiStack,  # noqa: F811
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    auditor = cli.as_("auditor:A001")
    started = await cli("audit", "verify", "--background", "--json", *auditor)
    verify_id = json.loads(started.stdout)["verify_id"]
    follow = ("audit", "verification", verify_id, *auditor)
    for _ in range(300):
        if json.loads((await cli(*follow, "--json")).stdout)["state"] != "running":
            break
        await asyncio.sleep(0.2)
    heads = {
        "en": (f"verification {verify_id} done", "hash chain intact: ", "people and organisation"),
        "zh": (f"核验 {verify_id} 已完成", "哈希链完好：已核验 ", "人员与组织"),
    }
    for lang in LANGS:
        text = stated(await cli(*follow, lang=lang), lang, [verify_id])
        first, second = text.splitlines()[:2]
        assert (first, second.startswith(heads[lang][1])) == (heads[lang][0], True), text
        assert heads[lang][2] in text, text

    # The histories of this module's workflows, replayed against this code.
    replay = ("audit", "replay-workflows", "--days", "1", *auditor)
    replayed = json.loads((await cli(*replay, "--json")).stdout)
    assert replayed["failures"] == [] and replayed["by_type"].get("PromotionApplication")
    heads = {
        "en": ("workflow histories replayed; none failed", "promotion applications"),
        "zh": ("个工作流历史；全部通过", "晋升申请"),
    }
    for lang in LANGS:
        text = stated(await cli(*replay, lang=lang), lang)
        assert all(h in text for h in heads[lang]), text
