"""The `careerflow` command line, run as a user would, against a real PostgreSQL: every
business command acts as the principal of a real API token (tests/cli_tokens.py)."""

from __future__ import annotations

import getpass
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import hire_rep

USAGE, UNAUTHENTICATED, REFUSED = ExitCode.USAGE, ExitCode.UNAUTHENTICATED, ExitCode.REFUSED
NOT_FOUND, INVALID = ExitCode.NOT_FOUND, ExitCode.INVALID


def cli(
    pg: PostgresSettings,
    tmp: Path,
    *args: str,
    lang: str = "en",
    terminal: str = "C.UTF-8",
    token: str = "",
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`careerflow ARGS` in a terminal whose locale is `terminal`, with CAREERFLOW_LANG
    set to `lang` (the tests read the English; "" leaves the choice to the profile and
    the terminal), CAREERFLOW_TOKEN set to `token` if given, and this test's own config
    directory (where `careerflow login` saves a token)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CAREERFLOW_") and k not in ("LC_ALL", "LC_MESSAGES", "LANG")
    }
    env.update(pg.eventsourcing_env())
    env["CAREERFLOW_VAR_DIR"] = str(tmp / "var")
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    env["LANG"] = terminal
    env["PYTHONUTF8"] = "1"
    if lang:
        env["CAREERFLOW_LANG"] = lang
    if token:
        env["CAREERFLOW_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "careerflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


@pytest.fixture
def loaded(pg: PostgresSettings, tmp_path: Path) -> PostgresSettings:
    done = cli(pg, tmp_path, "demo", "load", "--reps", "12", "--teams", "2", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["organisation"]["employees_added"] == 12 + 2 + 1
    return pg


def caught_up(pg: PostgresSettings) -> None:
    """Read-your-writes for the lists the CLI reads from the read models."""
    with Store(pg) as store, ReadModels(pg, application_env(pg)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)


@pytest.fixture
def tokens(loaded: PostgresSettings) -> CliTokens:
    return CliTokens(loaded)


def test_ingest_from_the_command_line(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    crm = tokens.args("integration:crm")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2026-11,customer_visits,10,crm\n"
        "E00404,2026-11,customer_visits,10,crm\n"
    )
    refused = cli(loaded, tmp_path, "ingest", str(bad), *crm)
    assert refused.returncode == INVALID
    assert "nothing was ingested" in refused.stderr
    assert "line 3: employee_id: unknown employee 'E00404'" in refused.stderr

    good = tmp_path / "good.jsonl"
    good.write_text(
        '{"employee_id": "E00001", "period": "2026-11", "metric": "customer_visits",'
        ' "value": 10, "source": "crm"}\n'
    )
    done = cli(loaded, tmp_path, "ingest", str(good), "--json", *crm)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["events_written"] == 1
    batch = json.loads(done.stdout)["batch_id"]
    again = cli(loaded, tmp_path, "ingest", str(good), "--json", *crm)
    assert json.loads(again.stdout)["already_ingested"] is True
    # Without --json, a statement in the CLI's language (no bar off a terminal).
    said = {
        "en": f"batch {batch} was already ingested; nothing written (1 rows)",
        "zh": f"批次 {batch} 此前已导入；未写入任何数据（1 行）",
    }
    for lang, statement in said.items():
        text = cli(loaded, tmp_path, "ingest", str(good), *crm, lang=lang)
        assert (text.returncode, text.stdout, text.stderr) == (0, statement + "\n", "")


def test_a_claimed_identity_is_no_identity(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    """`--as` is gone from business commands: nobody becomes HR by saying so."""
    claimed = cli(loaded, tmp_path, "token", "list", "--as", "hr:NOBODY")
    assert claimed.returncode == USAGE and "No such option: --as" in claimed.stderr
    assert "cf_" not in claimed.stdout + claimed.stderr
    missing = cli(loaded, tmp_path, "token", "list")
    assert missing.returncode == UNAUTHENTICATED, missing.stderr
    assert "no token: pass --token, set CAREERFLOW_TOKEN or run `careerflow login`" in (
        missing.stderr
    )
    assert missing.stdout == ""
    employee = cli(loaded, tmp_path, "token", "list", *tokens.args("employee:E00001"))
    assert employee.returncode == REFUSED and "may not list API tokens" in employee.stderr
    hr = tokens("hr:H001")
    caught_up(loaded)
    listed = cli(loaded, tmp_path, "token", "list", "--json", token=hr)  # by the environment
    assert listed.returncode == 0, listed.stderr
    assert {t["person_id"] for t in json.loads(listed.stdout)} >= {"H001", "E00001"}


def test_an_unknown_or_revoked_token_is_refused_and_changes_nothing(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    hr = tokens.args("hr:H001")

    def held() -> list[dict[str, object]]:
        caught_up(loaded)
        done = cli(loaded, tmp_path, "token", "list", "--json", *hr)
        assert done.returncode == 0, done.stderr
        listed: list[dict[str, object]] = json.loads(done.stdout)
        return listed

    issue = ("token", "issue", "E00003", "--role", "employee")
    other = tokens("hr:H002")
    before = held()
    for token, says in [
        ("nonsense", "malformed token: expected cf_<id>.<secret>"),
        (other[:-4] + "AAAA", "unknown token; ask HR for a new one"),  # a wrong secret
        ("cf_000000000000." + "A" * 43, "unknown token; ask HR for a new one"),
    ]:
        done = cli(loaded, tmp_path, *issue, "--token", token)
        assert done.returncode == UNAUTHENTICATED, (token, done.stderr)
        assert says in done.stderr and done.stdout == ""
    assert held() == before  # nothing was issued

    revoked = cli(
        loaded, tmp_path, "token", "revoke", tokens.token_ids["hr:H002"], "--reason", "left", *hr
    )
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout == f"token {tokens.token_ids['hr:H002']} revoked\n"
    before = held()
    refused = cli(loaded, tmp_path, *issue, "--token", other)
    assert refused.returncode == UNAUTHENTICATED
    assert "this token was revoked; ask HR for a new one" in refused.stderr
    assert held() == before  # nothing was issued


def test_the_audit_trail_records_the_tokens_principal(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    done = cli(loaded, tmp_path, "language", "en", *tokens.args("employee:E00002"))
    assert done.returncode == 0, done.stderr
    said = {
        "en": ("issued to E00003 as employee; expires ", "the token (shown this once"),
        "zh": ("已为 E00003 签发令牌", "，角色为员工；", "令牌（仅显示这一次"),
    }
    for lang, parts in said.items():
        issued = cli(
            loaded, tmp_path, "token", "issue", "E00003", "--role", "employee",
            *tokens.args("hr:H001"), lang=lang,
        )  # fmt: skip
        assert issued.returncode == 0, issued.stderr
        assert all(p in issued.stdout for p in parts), issued.stdout
        assert re.search(r"^  cf_\w{12}\.\S{43}$", issued.stdout, re.M), issued.stdout
    caught_up(loaded)
    history = cli(
        loaded, tmp_path, "audit", "history", "employee", "E00002", *tokens.args("auditor:A001")
    )
    assert history.returncode == 0, history.stderr
    entries = json.loads(history.stdout)["entries"]
    language = [e for e in entries if e["event"] == "LanguageSet"]
    assert [(e["actor"], e["role"]) for e in language] == [("E00002", "employee")]
    listed = cli(loaded, tmp_path, "token", "list", "--json", *tokens.args("auditor:A001"))
    e3 = [t for t in json.loads(listed.stdout) if t["person_id"] == "E00003"]
    assert [t["issued_by"] for t in e3] == ["H001", "H001"]


def test_login_and_logout(loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path) -> None:
    saved = tmp_path / "config" / "careerflow" / "token"
    bad = cli(loaded, tmp_path, "login", stdin="cf_000000000000." + "A" * 43 + "\n")
    assert bad.returncode == UNAUTHENTICATED and "unknown token" in bad.stderr
    assert not saved.exists()

    token = tokens("manager:S001")
    done = cli(loaded, tmp_path, "login", "--json", stdin=token + "\n")  # asked, not echoed
    assert done.returncode == 0, done.stderr
    who = json.loads(done.stdout)
    assert (who["person_id"], who["role"], who["saved_in"]) == ("S001", "manager", str(saved))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert saved.read_text().strip() == token and token not in done.stdout + done.stderr

    # The next commands act as the saved token's principal; --token still wins.
    me = cli(loaded, tmp_path, "whoami", "--json")
    assert (json.loads(me.stdout)["person_id"], me.returncode) == ("S001", 0)
    as_s001 = cli(loaded, tmp_path, "token", "list", "--json")
    assert as_s001.returncode == REFUSED
    assert "manager S001 may not list API tokens" in as_s001.stderr
    other = cli(loaded, tmp_path, "whoami", *tokens.args("employee:E00001"))
    assert other.stdout.startswith("you are E00001") and "acting as employee" in other.stdout
    in_zh = cli(loaded, tmp_path, "whoami", *tokens.args("employee:E00001"), lang="zh")
    assert in_zh.stdout.startswith("你是 E00001") and "身份为员工" in in_zh.stdout

    out = cli(loaded, tmp_path, "logout", lang="zh")
    assert out.stdout == f"已退出登录：已删除 {saved}\n"
    assert not saved.exists()
    gone = cli(loaded, tmp_path, "whoami")
    assert gone.returncode == UNAUTHENTICATED and "no token" in gone.stderr

    # The demo's printed tokens (var/demo-tokens.json) are what README readers paste.
    demo = cli(loaded, tmp_path, "login", "--demo", "hr:H001")
    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.startswith("you are H001") and "acting as HR" in demo.stdout
    assert f"token saved in {saved}" in demo.stdout
    assert (
        saved.read_text().strip()
        == json.loads((tmp_path / "var" / "demo-tokens.json").read_text())["hr:H001"]
    )


def test_the_first_hr_token_comes_from_the_operator(
    loaded: PostgresSettings, tmp_path: Path
) -> None:
    """`token bootstrap` needs no token (direct database access): the operator's act."""
    only_hr = cli(loaded, tmp_path, "token", "bootstrap", "E00001", "--role", "employee")
    assert only_hr.returncode == USAGE and "bootstrap issues HR tokens only" in only_hr.stderr
    done = cli(loaded, tmp_path, "token", "bootstrap", "H009", "--role", "hr", "--json")
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    assert (issued["person_id"], issued["role"]) == ("H009", "hr")
    caught_up(loaded)
    listed = cli(loaded, tmp_path, "token", "list", "--json", "--token", issued["token"])
    assert listed.returncode == 0, listed.stderr
    mine = [t for t in json.loads(listed.stdout) if t["token_id"] == issued["token_id"]]
    assert [(t["label"], t["issued_by"]) for t in mine] == [("bootstrap", getpass.getuser())]


def test_policy_and_readiness_commands(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    unknown = cli(loaded, tmp_path, "policy", "show", "promotion_criteria", "sales_supervisor")
    assert unknown.returncode == UNAUTHENTICATED
    shown = cli(
        loaded, tmp_path, "policy", "show", "promotion_criteria", "sales_supervisor", "--json",
        *tokens.args("employee:E00001"),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    criteria = json.loads(shown.stdout)
    assert criteria["version"] == 1
    assert criteria["document"]["criteria"][0]["threshold"] == 120

    doc = dict(criteria["document"])
    doc["criteria"] = [*doc["criteria"]]
    doc["criteria"][0] = {**doc["criteria"][0], "threshold": 125}
    new = tmp_path / "criteria.json"
    new.write_text(json.dumps(doc))
    publish = ("policy", "publish", "promotion_criteria", "sales_supervisor", str(new))
    refused = cli(loaded, tmp_path, *publish, *tokens.args("employee:E00001"))
    assert refused.returncode == REFUSED and "may not publish policy documents" in refused.stderr
    published = cli(loaded, tmp_path, *publish, *tokens.args("hr:H001"), "--note", "raise the bar")
    assert published.returncode == 0, published.stderr
    assert "version 2 is in force" in published.stdout

    with Store(loaded) as store, ReadModels(loaded, application_env(loaded)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)
    me = tokens.args("employee:E00001")
    mine = cli(loaded, tmp_path, "readiness", "E00001", "--json", *me)
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["employee_id"] == "E00001"
    other = cli(loaded, tmp_path, "readiness", "E00002", *me)
    assert other.returncode == NOT_FOUND
    assert "no employee 'E00002' that you can see" in other.stderr


CJK = re.compile(r"[\u4e00-\u9fff]")


def export_with_an_unknown_employee(tmp_path: Path) -> Path:
    f = tmp_path / "x.csv"
    f.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2026-11,customer_visits,1,crm\n"
        "E00404,2026-11,customer_visits,1,crm\n"
    )
    return f


def test_errors_in_the_terminals_language(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    f = export_with_an_unknown_employee(tmp_path)
    for args, code, kept in [
        ((), UNAUTHENTICATED, "--token"),  # the CLI's own check
        (tokens.args("employee:E00001"), REFUSED, "E00001"),  # a service's permission check
        (tokens.args("hr:H001"), INVALID, "'E00404'"),  # the file's problems, line by line
    ]:
        english = cli(loaded, tmp_path, "ingest", str(f), *args)
        chinese = cli(loaded, tmp_path, "ingest", str(f), *args, lang="zh")
        assert english.returncode == chinese.returncode == code, chinese.stderr
        assert not CJK.search(english.stderr), english.stderr
        assert CJK.search(chinese.stderr) and kept in chinese.stderr, chinese.stderr
        assert chinese.stderr.startswith("error: ")


def test_errors_in_the_persons_language(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    """Without CAREERFLOW_LANG, the acting person's profile locale comes before the
    terminal's; someone without an employee profile (H001 of HR) gets the terminal's."""
    with (
        Engine(open_store(loaded)) as services,
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
        done = cli(
            loaded, tmp_path, "ingest", str(f), *tokens.args(who), lang=switch, terminal=terminal
        )
        assert done.returncode in (REFUSED, INVALID), done.stderr
        assert bool(CJK.search(done.stderr)) is says_chinese, (who, terminal, done.stderr)


def test_a_person_sets_their_language(
    loaded: PostgresSettings, tokens: CliTokens, tmp_path: Path
) -> None:
    """`careerflow language` sets the profile's language; the person's messages follow."""
    f = tmp_path / "x.csv"
    f.write_text("employee_id,period,metric,value,source\nE00002,2026-11,customer_visits,1,crm\n")
    e2 = tokens.args("employee:E00002")

    def refusal() -> str:  # an employee may not ingest: refused, said in E00002's language
        done = cli(loaded, tmp_path, "ingest", str(f), *e2, lang="")
        assert done.returncode == REFUSED
        return done.stderr

    assert CJK.search(refusal())
    done = cli(loaded, tmp_path, "language", "en", "--json", *e2, lang="")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"employee_id": "E00002", "language": "en", "changed": True}
    with Store(loaded) as store, ReadModels(loaded, application_env(loaded)) as rm:
        rm.wait_caught_up(store.applications(), timeout=120)
    assert "may not ingest metrics" in refusal() and not CJK.search(refusal())

    # Another person's language is HR's to set; a language the engine does not speak is
    # refused with the choices.
    hr = tokens.args("hr:H001")
    other = cli(
        loaded, tmp_path, "language", "zh", "--employee", "E00002",
        *tokens.args("employee:E00001"),
    )  # fmt: skip
    assert other.returncode == REFUSED and "may not change E00002's language" in other.stderr
    unknown = cli(loaded, tmp_path, "language", "fr", *hr, "--employee", "E00002")
    assert (
        unknown.returncode == INVALID
        and "unknown language 'fr'; choose one of: zh, en" in unknown.stderr
    )
    hr_done = cli(loaded, tmp_path, "language", "zh", *hr, "--employee", "E00002", lang="zh")
    assert hr_done.stdout == "E00002 的语言已设为中文\n"
    again = cli(loaded, tmp_path, "language", "zh", *hr, "--employee", "E00002", lang="en")
    assert again.stdout == "E00002's language was already Chinese\n"
