"""The `careerflow` command line, run as a user would, against a real PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from careerflow.config import PostgresSettings
from careerflow.store import Store, application_env
from projections.runner import ReadModels


def cli(
    pg: PostgresSettings, tmp: Path, *args: str, lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERFLOW_")}
    env.update(pg.eventsourcing_env())
    env["CAREERFLOW_VAR_DIR"] = str(tmp / "var")
    env["CAREERFLOW_LANG"] = lang  # the tests read the English; one test reads the Chinese
    return subprocess.run(
        [sys.executable, "-m", "careerflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def loaded(pg: PostgresSettings, tmp_path: Path) -> PostgresSettings:
    done = cli(pg, tmp_path, "demo", "load", "--reps", "12", "--teams", "2")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["organisation"]["employees_added"] == 12 + 2 + 1
    return pg


def test_ingest_from_the_command_line(loaded: PostgresSettings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2026-11,customer_visits,10,crm\n"
        "E00404,2026-11,customer_visits,10,crm\n"
    )
    refused = cli(loaded, tmp_path, "ingest", str(bad), "--as", "integration:crm")
    assert refused.returncode == 2
    assert "nothing was ingested" in refused.stderr
    assert "line 3: employee_id: unknown employee 'E00404'" in refused.stderr

    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"employee_id": "E00001", "period": "2026-11", "metric": "customer_visits",'
        ' "value": 10, "source": "crm"}\n'
    )
    done = cli(loaded, tmp_path, "ingest", str(good), "--as", "integration:crm")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events_written"] == 1
    again = cli(loaded, tmp_path, "ingest", str(good), "--as", "integration:crm")
    assert json.loads(again.stdout)["already_ingested"] is True


def test_principal_is_required_and_checked(loaded: PostgresSettings, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("employee_id,period,metric,value,source\nE00001,2026-11,customer_visits,1,crm\n")
    missing = cli(loaded, tmp_path, "ingest", str(f))
    assert missing.returncode == 2 and "--as ROLE:ID" in missing.stderr
    wrong = cli(loaded, tmp_path, "ingest", str(f), "--as", "boss:E00001")
    assert wrong.returncode == 2 and "unknown role 'boss'" in wrong.stderr
    employee = cli(loaded, tmp_path, "ingest", str(f), "--as", "employee:E00001")
    assert employee.returncode == 2 and "may not ingest metrics" in employee.stderr


def test_policy_and_readiness_commands(loaded: PostgresSettings, tmp_path: Path) -> None:
    shown = cli(loaded, tmp_path, "policy", "show", "promotion_criteria", "sales_supervisor")
    assert shown.returncode == 0, shown.stderr
    criteria = json.loads(shown.stdout)
    assert criteria["version"] == 1
    assert criteria["document"]["criteria"][0]["threshold"] == 120

    doc = dict(criteria["document"])
    doc["criteria"] = [*doc["criteria"]]
    doc["criteria"][0] = {**doc["criteria"][0], "threshold": 125}
    new = tmp_path / "criteria.json"
    new.write_text(json.dumps(doc))
    published = cli(
        loaded,
        tmp_path,
        *("policy", "publish", "promotion_criteria", "sales_supervisor", str(new)),
        *("--as", "hr:H001", "--note", "raise the bar"),
    )
    assert published.returncode == 0, published.stderr
    assert "version 2 is in force" in published.stdout

    with Store(loaded) as store, ReadModels(loaded, application_env(loaded)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)
    mine = cli(loaded, tmp_path, "readiness", "E00001", "--as", "employee:E00001")
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["employee_id"] == "E00001"
    other = cli(loaded, tmp_path, "readiness", "E00002", "--as", "employee:E00001")
    assert other.returncode == 2 and "no employee 'E00002' that you can see" in other.stderr


def test_errors_in_the_terminals_language(loaded: PostgresSettings, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2026-11,customer_visits,1,crm\n"
        "E00404,2026-11,customer_visits,1,crm\n"
    )
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for args, kept in [
        (("--as", "boss:E00001"), "'boss'"),  # the CLI's own check
        (("--as", "employee:E00001"), "E00001"),  # a service's permission check
        (("--as", "hr:H001"), "'E00404'"),  # the file's problems, line by line
    ]:
        english = cli(loaded, tmp_path, "ingest", str(f), *args)
        chinese = cli(loaded, tmp_path, "ingest", str(f), *args, lang="zh")
        assert english.returncode == chinese.returncode == 2, chinese.stderr
        assert not cjk.search(english.stderr), english.stderr
        assert cjk.search(chinese.stderr) and kept in chinese.stderr, chinese.stderr
        assert chinese.stderr.startswith("error: ")
