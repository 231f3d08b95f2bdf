"""The command line's readable side (issue 18): tables in the CLI's language (zh and en,
no word of the other), `--json` as before, `cycle launch --dry-run` changing nothing,
one line and its own exit code when there is no stack, and each exit code."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.services.cycle_process import launch_preview
from careerflow.store import Store
from tests.cli_tokens import CliTokens
from tests.test_cli import caught_up, cli, loaded, tokens  # noqa: F401

CJK = re.compile(r"[\u4e00-\u9fff]")
# Header words and statuses of the tables, in each language: none may show in the other.
ENGLISH_WORDS = ("token", "person", "issued", "expires", "role", "employee", "readiness")
CHINESE_WORDS = ("令牌", "人员", "签发", "到期", "角色", "员工", "晋升准备度")


def no_english_words(text: str) -> None:
    """A Chinese table: no English header word (ids and data may be Latin)."""
    lowered = text.lower()
    for word in ENGLISH_WORDS:
        assert not re.search(rf"(?<![\w-]){word}(?![\w-])", lowered), (word, text)


def no_chinese_words(text: str) -> None:
    for word in CHINESE_WORDS:
        assert word not in text, (word, text)


def test_token_list_is_a_table_in_each_language(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    hr = tokens.args("hr:H001")
    caught_up(loaded)
    zh = cli(loaded, tmp_path, "token", "list", *hr, lang="zh")
    en = cli(loaded, tmp_path, "token", "list", *hr, lang="en")
    assert (zh.returncode, en.returncode) == (0, 0), zh.stderr + en.stderr
    for done in (zh, en):
        assert "H001" in done.stdout and "E00001" in done.stdout
        with pytest.raises(json.JSONDecodeError):
            json.loads(done.stdout)
    assert "令牌" in zh.stdout and "员工" in zh.stdout  # header, and the role said
    no_english_words(zh.stdout)
    assert "token" in en.stdout.lower() and "HR" in en.stdout
    no_chinese_words(en.stdout)
    assert not CJK.search(en.stdout), en.stdout
    # The issue time in the company's zone (China Standard Time), as the pages say it.
    listed = json.loads(cli(loaded, tmp_path, "token", "list", "--json", *hr).stdout)
    assert {t["person_id"] for t in listed} >= {"H001", "E00001"}
    assert "年" in zh.stdout and re.search(r"\b20\d\d\b", en.stdout)


def test_readiness_is_a_table_in_each_language(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    caught_up(loaded)
    me = tokens.args("employee:E00001")
    zh = cli(loaded, tmp_path, "readiness", "E00001", *me, lang="zh")
    en = cli(loaded, tmp_path, "readiness", "E00001", *me, lang="en")
    assert (zh.returncode, en.returncode) == (0, 0), zh.stderr + en.stderr
    data = json.loads(cli(loaded, tmp_path, "readiness", "E00001", "--json", *me).stdout)
    score = f"{data['score']:,.2f}".rstrip("0").rstrip(".")
    for done in (zh, en):
        assert "E00001" in done.stdout and score in done.stdout
    assert "晋升准备度" in zh.stdout and "客户流失率" in zh.stdout  # indicator labels said
    no_english_words(zh.stdout)
    assert "churn rate" in en.stdout and "readiness" in en.stdout
    assert not CJK.search(en.stdout), en.stdout


def test_policy_show_and_versions(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    hr = tokens.args("hr:H001")
    caught_up(loaded)
    args = ("promotion_criteria", "sales_supervisor")
    shown = cli(loaded, tmp_path, "policy", "show", *args, *hr, lang="zh")
    assert shown.returncode == 0, shown.stderr
    assert "promotion_criteria/sales_supervisor" in shown.stdout and "版本" in shown.stdout
    as_json = json.loads(cli(loaded, tmp_path, "policy", "show", *args, "--json", *hr).stdout)
    assert as_json["version"] >= 1 and "document" in as_json
    versions = cli(loaded, tmp_path, "policy", "versions", *args, *hr, lang="en")
    assert versions.returncode == 0, versions.stderr
    assert "version" in versions.stdout and not CJK.search(versions.stdout)
    listed = json.loads(cli(loaded, tmp_path, "policy", "versions", *args, "--json", *hr).stdout)
    assert listed[0]["version"] == 1
    missing = cli(loaded, tmp_path, "policy", "versions", "promotion_criteria", "nope", *hr)
    assert missing.returncode == ExitCode.NOT_FOUND, missing.stderr


def test_empty_lists_are_tables_and_json_is_unchanged(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    hr = tokens.args("hr:H001")
    caught_up(loaded)
    for args in (("promotion", "list"), ("plan", "overview"), ("plan", "show", "E00001")):
        zh = cli(loaded, tmp_path, *args, *hr, lang="zh")
        assert zh.returncode == 0, zh.stderr
        no_english_words(zh.stdout)
        assert CJK.search(zh.stdout), zh.stdout
        en = cli(loaded, tmp_path, *args, *hr, lang="en")
        assert not CJK.search(en.stdout), en.stdout
        json.loads(cli(loaded, tmp_path, *args, "--json", *hr).stdout)
    pipeline = cli(loaded, tmp_path, "promotion", "pipeline", "--json", *hr)
    assert set(json.loads(pipeline.stdout)) == {"pipeline", "cycle_times", "returned"}
    # An employee id with no application: not found, said in the CLI's language.
    none = cli(loaded, tmp_path, "promotion", "show", "E00001", *hr, lang="zh")
    assert none.returncode == ExitCode.NOT_FOUND and CJK.search(none.stderr), none.stderr


def test_cycle_launch_dry_run_changes_nothing(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    caught_up(loaded)
    hr = tokens.args("hr:H001")
    manager = tokens.args("manager:S001")  # issued now, not while counting
    before = _recorded(loaded)
    done = cli(loaded, tmp_path, "cycle", "launch", "--dry-run", "--json", *hr)
    assert done.returncode == 0, done.stderr
    preview = json.loads(done.stdout)
    # The same selection the launcher's roster activity pages through.
    with Engine(Store(loaded)) as services:
        expected = launch_preview(
            services.store.cycles, Principal(person_id="H001", role=AccessRole.hr)
        )
    assert preview["employee_ids"] == expected.employee_ids and len(expected.employee_ids) == 12
    zh = cli(loaded, tmp_path, "cycle", "launch", "--dry-run", *hr, lang="zh")
    assert zh.returncode == 0, zh.stderr
    assert "12" in zh.stdout and "E00001" in zh.stdout and "试运行" in zh.stdout
    no_english_words(zh.stdout)
    en = cli(loaded, tmp_path, "cycle", "launch", "--dry-run", "--period", "2026-W50", *hr)
    assert "dry run: 12 would get a cycle for 2026-W50" in en.stdout, en.stdout
    refused = cli(loaded, tmp_path, "cycle", "launch", "--dry-run", *manager)
    assert refused.returncode == ExitCode.REFUSED, refused.stderr
    assert _recorded(loaded) == before  # nothing recorded


def test_cycle_launch_dry_run_says_a_launched_week_is_launched(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A week the launcher recorded (as its first roster read does, whoever started it:
    the Monday schedule too) is said to be launched already, in each language."""
    caught_up(loaded)
    hr = tokens.args("hr:H001")
    with Engine(Store(loaded)) as services:
        services.store.cycles.record_launch("week", "2030-W07", "cycle-launch-week-2030-W07-x")
    args = ("cycle", "launch", "--dry-run", "--period")
    en = cli(loaded, tmp_path, *args, "2030-W07", *hr)
    assert en.returncode == 0, en.stderr
    assert "2030-W07 is already launched; launching it again would start nobody" in en.stdout
    zh = cli(loaded, tmp_path, *args, "2030-W07", *hr, lang="zh")
    assert zh.returncode == 0 and "2030-W07" in zh.stdout and "试运行" in zh.stdout
    no_english_words(zh.stdout)
    assert "already launched" not in zh.stdout
    other = cli(loaded, tmp_path, *args, "2030-W08", *hr)
    assert "already launched" not in other.stdout
    preview = json.loads(cli(loaded, tmp_path, *args, "2030-W07", "--json", *hr).stdout)
    assert preview["launched"] is True


def _recorded(pg: PostgresSettings) -> int:
    """Rows in every event table of the test's schema."""
    import psycopg

    schema = pg.schema_name or "public"
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name LIKE %s",
                (schema, "%events"),
            ).fetchall()
        ]
        assert names
        return sum(
            conn.execute(f'SELECT count(*) FROM "{schema}"."{n}"').fetchone()[0]  # type: ignore[index]
            for n in names
        )


def test_each_exit_code(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    hr = tokens.args("hr:H001")
    caught_up(loaded)
    usage = cli(loaded, tmp_path, "token", "list", "--no-such-option", *hr)
    assert usage.returncode == ExitCode.USAGE == 2
    refused = cli(loaded, tmp_path, "token", "list", *tokens.args("employee:E00001"))
    assert refused.returncode == ExitCode.REFUSED == 4, refused.stderr
    not_found = cli(loaded, tmp_path, "promotion", "show", "E99999", *hr)
    assert not_found.returncode == ExitCode.NOT_FOUND == 5, not_found.stderr
    invalid = cli(loaded, tmp_path, "cycle", "launch", "--period", "2026-48", *hr)
    assert invalid.returncode == ExitCode.INVALID == 6, invalid.stderr
    for done in (refused, not_found, invalid):
        assert done.stdout == "" and done.stderr.startswith("error: ")
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "python3 run.py start"), ("zh", "python3 run.py start")],
)
def test_no_stack_is_one_line_and_its_own_code(tmp_path: Path, lang: str, said: str) -> None:
    """No var/stack.json and no POSTGRES_HOST: one line, no traceback, exit 7; the same
    when the configured database does not answer."""
    nowhere = PostgresSettings(
        host="127.0.0.1", port=1, dbname="none", user="none", password="none"
    )
    for pg in (None, nowhere):
        done = _cli_without_stack(tmp_path, pg, lang, "token", "list", "--token", "cf_x")
        assert done.returncode == ExitCode.UNAVAILABLE == 7, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and said in lines[0] and "Traceback" not in done.stderr, lines
        if lang == "zh":
            assert CJK.search(lines[0]) and "stack to talk to" not in lines[0]
        else:
            assert not CJK.search(lines[0])


def _cli_without_stack(
    tmp: Path, pg: PostgresSettings | None, lang: str, *args: str
) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CAREERFLOW_", "POSTGRES_", "PG")) and k != "DATABASE_URL"
    }
    if pg is not None:
        env.update(pg.eventsourcing_env())
    env["CAREERFLOW_VAR_DIR"] = str(tmp / "empty-var")
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    env["CAREERFLOW_LANG"] = lang
    env["PYTHONUTF8"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "careerflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
