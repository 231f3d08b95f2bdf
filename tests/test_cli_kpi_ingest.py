"""The command line for issue 16's items 8 and 9, run as a user would: HR publishes
re-weighted KPIs with `careerflow policy publish kpi_weights` (a bad document is refused
with the reason), and `careerflow ingest` refuses a file with a negative or non-numeric
count or amount whole, naming line and field; and issue 18's: it reads a GBK CSV and a
workbook, and says what is wrong with a short row or a week typed without its W."""

from __future__ import annotations

import json
from pathlib import Path

from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.test_cli import INVALID, cli, loaded, tokens  # noqa: F401 (fixtures)
from tests.workbooks import workbook

BIG_CLIENTS = {
    "kpis": [
        {"metric": "big_client_signing_rate", "weight_percent": 30, "zero_at": 0, "full_at": 50},
        {"metric": "retention_rate", "weight_percent": 25, "zero_at": 50, "full_at": 100},
        {"metric": "satisfaction", "weight_percent": 20, "zero_at": 60, "full_at": 100},
        {"metric": "small_deal_volume", "weight_percent": 25, "zero_at": 0, "full_at": 20},
    ]
}


def test_ingest_refuses_negative_and_non_numeric_counts_and_amounts(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    crm = tokens.args("integration:crm")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2031-01,customer_visits,10,crm\n"
        "E00001,2031-01,sales_amount,-5,crm\n"
        "E00001,2031-01,team_sales_growth,-2,crm\n"
        "E00001,2031-01,new_customers,three,crm\n"
    )
    refused = cli(loaded, tmp_path, "ingest", str(bad), *crm)
    assert refused.returncode == INVALID, refused.stderr
    assert "nothing was ingested, 2 problem(s)" in refused.stderr
    assert (
        "line 3: value: sales_amount is an amount and cannot be negative, got -5; send 0 or more"
        in refused.stderr
    )
    assert "line 5: value: Input should be a valid number" in refused.stderr
    assert "line 4" not in refused.stderr  # a growth rate may fall

    flags = tmp_path / "flags.jsonl"
    flags.write_text(
        '{"employee_id": "E00001", "period": "2031-01", "metric": "customer_visits",'
        ' "value": false, "source": "crm"}\n'
    )
    flagged = cli(loaded, tmp_path, "ingest", str(flags), *crm)
    assert flagged.returncode == INVALID
    assert "line 1: value: Value error, expected a number, got false" in flagged.stderr

    with Engine(Store(loaded)) as services:
        ledger = services.ingest.ledger("E00001")
        assert ledger is not None
        assert [m for m in ledger.measurements() if m.period == "2031-01"] == []


def test_hr_publishes_reweighted_kpis_from_the_command_line(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    hr = tokens.args("hr:H001")
    shown = cli(loaded, tmp_path, "policy", "show", "kpi_weights", "default", "--json", *hr)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["version"] == 1

    short = tmp_path / "short.json"
    short.write_text(
        json.dumps({"kpis": [{**k, "weight_percent": 20} for k in BIG_CLIENTS["kpis"]]})
    )
    refused = cli(loaded, tmp_path, "policy", "publish", "kpi_weights", "default", str(short), *hr)
    assert refused.returncode == INVALID
    assert "kpi_weights/default is not valid" in refused.stderr
    assert "kpis: Value error, KPI weights must sum to 100, got 80" in refused.stderr

    kpis = tmp_path / "kpis.json"
    kpis.write_text(json.dumps(BIG_CLIENTS))
    publish = ("policy", "publish", "kpi_weights", "default", str(kpis), *hr)
    twice = cli(loaded, tmp_path, *publish, "--note", "big clients")
    assert twice.returncode == INVALID
    assert "'satisfaction' is a KPI and is weighted under customer" in twice.stderr

    weights = json.loads(
        cli(
            loaded, tmp_path, "policy", "show", "potential_weights", "default", "--json", *hr
        ).stdout
    )["document"]
    customer = weights["dimensions"]["customer"]
    customer["indicators"] = [i for i in customer["indicators"] if i["metric"] != "satisfaction"]
    weights_file = tmp_path / "weights.json"
    weights_file.write_text(json.dumps(weights))
    moved = cli(
        loaded,
        tmp_path,
        *("policy", "publish", "potential_weights", "default", str(weights_file), *hr),
    )
    assert moved.returncode == 0, moved.stderr
    published = cli(loaded, tmp_path, *publish, "--note", "big clients")
    assert published.returncode == 0, published.stderr
    assert "kpi_weights/default version 2 is in force" in published.stdout

    with Store(loaded) as store, ReadModels(loaded, application_env(loaded)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)
    mine = cli(loaded, tmp_path, "readiness", "E00001", "--json", *tokens.args("employee:E00001"))
    assert mine.returncode == 0, mine.stderr
    readiness = json.loads(mine.stdout)
    assert readiness["policy_versions"]["kpi_weights/default"] == 2


def test_ingest_reads_a_gbk_csv_and_a_workbook_and_says_what_is_wrong_with_a_row(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Issue 18: what Excel on Chinese Windows saves as CSV is GBK; a workbook is read
    from its first sheet; a short row says how many columns it has, a week typed without
    its W is told the right way, in the caller's language, and nothing is stored."""
    crm = tokens.args("integration:crm")
    bad = tmp_path / "短行.csv"
    bad.write_bytes(
        (
            "employee_id,period,metric,value,source,item\n"
            "E00001,2031-02,course_completed,80,lms,团队管理\n"
            "E00001,2031-02\n"
            "E00001,2031-48,customer_visits,3,crm\n"
        ).encode("gbk")
    )
    refused = cli(loaded, tmp_path, "ingest", str(bad), *crm)
    assert refused.returncode == INVALID, refused.stderr
    assert "nothing was ingested, 2 problem(s)" in refused.stderr
    assert "line 3: row has 2 of 6 columns" in refused.stderr
    assert "line 4: period: Value error, invalid month period '2031-48'" in refused.stderr
    assert "for an ISO week use '2031-W48'" in refused.stderr
    in_chinese = cli(loaded, tmp_path, "ingest", str(bad), *crm, lang="zh")
    assert in_chinese.returncode == INVALID
    assert "第 3 行：该行有 2 列，应为 6 列" in in_chinese.stderr
    assert "请写作 '2031-W48'" in in_chinese.stderr

    good = tmp_path / "导出.csv"
    good.write_bytes(
        (
            "employee_id,period,metric,value,source,item\n"
            "E00001,2031-02,course_completed,80,lms,团队管理\n"
        ).encode("gbk")
    )
    done = cli(loaded, tmp_path, "ingest", str(good), "--json", *crm)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events_written"] == 1

    book = tmp_path / "export.xlsx"
    book.write_bytes(
        workbook(
            ["employee_id", "period", "metric", "value", "source"],
            ["E00001", "2031-03", "customer_visits", 9, "crm"],
        )
    )
    read = cli(loaded, tmp_path, "ingest", str(book), "--json", *crm)
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["rows"] == 1

    with Engine(Store(loaded)) as services:
        ledger = services.ingest.ledger("E00001")
        assert ledger is not None
        assert sorted(
            (m.period, m.metric, m.value, m.item)
            for m in ledger.measurements()
            if m.period.startswith("2031-0")
        ) == [
            ("2031-02", "course_completed", 80.0, "团队管理"),
            ("2031-03", "customer_visits", 9.0, None),
        ]
