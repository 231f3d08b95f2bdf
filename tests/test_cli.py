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
from careerflow.services.registry import Services
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import hire_rep


def cli(
    pg: PostgresSettings, tmp: Path, *args: str, lang: str = "en", terminal: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    """`careerflow ARGS` in a terminal whose locale is `terminal`, with CAREERFLOW_LANG
    set to `lang` (the tests read the English; "" leaves the choice to the profile and
    the terminal)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAREERFLOW_") and k not in ("LC_ALL", "LC_MESSAGES", "LANG")
    }
    env.update(pg.eventsourcing_env())
    env["CAREERFLOW_VAR_DIR"] = str(tmp / "var")
    env["LANG"] = terminal
    env["PYTHONUTF8"] = "1"
    if lang:
        env["CAREERFLOW_LANG"] = lang
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


CJK = re.compile(r"[\u4e00-\u9fff]")


def export_with_an_unknown_employee(tmp_path: Path) -> Path:
    f = tmp_path / "x.csv"
    f.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2026-11,customer_visits,1,crm\n"
        "E00404,2026-11,customer_visits,1,crm\n"
    )
    return f


def test_errors_in_the_terminals_language(loaded: PostgresSettings, tmp_path: Path) -> None:
    f = export_with_an_unknown_employee(tmp_path)
    for args, kept in [
        (("--as", "boss:E00001"), "'boss'"),  # the CLI's own check
        (("--as", "employee:E00001"), "E00001"),  # a service's permission check
        (("--as", "hr:H001"), "'E00404'"),  # the file's problems, line by line
    ]:
        english = cli(loaded, tmp_path, "ingest", str(f), *args)
        chinese = cli(loaded, tmp_path, "ingest", str(f), *args, lang="zh")
        assert english.returncode == chinese.returncode == 2, chinese.stderr
        assert not CJK.search(english.stderr), english.stderr
        assert CJK.search(chinese.stderr) and kept in chinese.stderr, chinese.stderr
        assert chinese.stderr.startswith("error: ")


def test_errors_in_the_persons_language(loaded: PostgresSettings, tmp_path: Path) -> None:
    """Without CAREERFLOW_LANG, the acting person's profile locale comes before the
    terminal's; someone without an employee profile (H001 of HR) gets the terminal's."""
    with (
        Services(Store.open(loaded)) as services,
        ReadModels(loaded, application_env(loaded)) as rm,
    ):
        hire_rep(services, "E00900", "T001", "S001", locale="en")
        rm.wait_caught_up(services.store.applications(), timeout=120)
    f = export_with_an_unknown_employee(tmp_path)
    chinese_terminal, english_terminal = "zh_CN.UTF-8", "en_US.UTF-8"
    for who, terminal, switch, says_chinese in [
        ("employee:E00900", chinese_terminal, "", False),  # profile: English
        ("employee:E00001", english_terminal, "", True),  # profile: Chinese (the default)
        ("employee:E00001", chinese_terminal, "en", False),  # the switch wins
        ("employee:E00900", english_terminal, "zh", True),
        ("hr:H001", english_terminal, "", False),  # no profile: the terminal
        ("hr:H001", chinese_terminal, "", True),
        ("integration:crm", "C.UTF-8", "", True),  # nothing at all: Chinese
    ]:
        done = cli(loaded, tmp_path, "ingest", str(f), "--as", who, lang=switch, terminal=terminal)
        assert done.returncode == 2, done.stderr
        assert bool(CJK.search(done.stderr)) is says_chinese, (who, terminal, done.stderr)


def test_a_person_sets_their_language(loaded: PostgresSettings, tmp_path: Path) -> None:
    """`careerflow language` sets the profile's language; the person's messages follow."""
    f = tmp_path / "x.csv"
    f.write_text("employee_id,period,metric,value,source\nE00002,2026-11,customer_visits,1,crm\n")

    def refusal() -> str:  # an employee may not ingest: refused, said in E00002's language
        done = cli(loaded, tmp_path, "ingest", str(f), "--as", "employee:E00002", lang="")
        assert done.returncode == 2
        return done.stderr

    assert CJK.search(refusal())
    done = cli(loaded, tmp_path, "language", "en", "--as", "employee:E00002", lang="")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"employee_id": "E00002", "language": "en", "changed": True}
    with Store(loaded) as store, ReadModels(loaded, application_env(loaded)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)
    assert "may not ingest metrics" in refusal() and not CJK.search(refusal())

    # Another person's language is HR's to set; a language the engine does not speak is
    # refused with the choices.
    other = cli(
        loaded, tmp_path, "language", "zh", "--employee", "E00002", "--as", "employee:E00001"
    )
    assert other.returncode == 2 and "may not change E00002's language" in other.stderr
    unknown = cli(loaded, tmp_path, "language", "fr", "--as", "hr:H001", "--employee", "E00002")
    assert (
        unknown.returncode == 2 and "unknown language 'fr'; choose one of: zh, en" in unknown.stderr
    )
    hr = cli(loaded, tmp_path, "language", "zh", "--as", "hr:H001", "--employee", "E00002")
    assert json.loads(hr.stdout)["changed"] is True
