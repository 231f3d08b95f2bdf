"""The action commands' statements (issue 18): said in the CLI's language (zh and en, no
word of the other but ids), times in the company's zone, `--json` printing the result as
before; and no progress bar off a terminal (standard error stays empty)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from subprocess import CompletedProcess

from careerflow.api import i18n
from careerflow.api.audit_words import store_word
from careerflow.config import PostgresSettings
from tests.cli_tokens import CliTokens
from tests.language import foreign_words
from tests.test_cli import caught_up, cli, loaded, tokens  # noqa: F401


def said(done: CompletedProcess[str], lang: str, data: Iterable[str] = ()) -> str:
    """The statement a command printed, checked to be in `lang` only (`data` aside)."""
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no bar, no spinner off a terminal
    text: str = done.stdout
    with_data_out = text
    for name in sorted(data, key=len, reverse=True):
        with_data_out = with_data_out.replace(name, " ")
    assert foreign_words(with_data_out, lang) == [], (lang, text)
    return text


def test_operator_commands_say_what_they_did(
    loaded: PostgresSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    seeded = {
        "en": "every policy document exists already; nothing published",
        "zh": "所有政策文件都已存在；未发布新文件",
    }
    demo = {
        "en": "the organisation exists already; the demo was not loaded",
        "zh": "组织已存在；未加载演示数据",
    }
    for lang in ("en", "zh"):
        assert seeded[lang] in said(cli(loaded, tmp_path, "policy", "seed", lang=lang), lang)
        loaded_again = cli(loaded, tmp_path, "demo", "load", "--if-empty", lang=lang)
        # Then the ready tokens, one per line: the key to sign in with (`login --demo`) is
        # an id in every language.
        keys = re.findall(r"^  (\S+)  cf_\S+$", loaded_again.stdout, re.M)
        assert "hr:H001" in keys, loaded_again.stdout
        assert demo[lang] in said(loaded_again, lang, keys)
    as_json = cli(loaded, tmp_path, "policy", "seed", "--json")
    assert json.loads(as_json.stdout) == {}

    issued = {
        "en": ("issued to H008 as HR; expires ", "the token (shown this once, keep it safe):"),
        "zh": (
            "已为 H008 签发令牌",
            "，角色为HR；",
            "年",
            "到期",
            "令牌（仅显示这一次，请妥善保管）：",
        ),
    }
    for lang, parts in issued.items():
        done = cli(loaded, tmp_path, "token", "bootstrap", "H008", lang=lang)
        lines = done.stdout.splitlines()
        secret = lines[-1].strip()
        assert secret.startswith("cf_") and lines[-1] == f"  {secret}"
        token_id = secret.removeprefix("cf_").split(".")[0]
        text = said(done, lang, [secret, token_id, "H008"])
        assert all(p in text for p in parts), text


def test_audit_commands_say_their_reports(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    auditor = tokens.args("auditor:A001")
    caught_up(loaded)
    report = json.loads(cli(loaded, tmp_path, "audit", "verify", "--json", *auditor).stdout)
    assert report["ok"] is True
    names = [a["application"] for a in report["applications"]]
    heads = {
        "en": "hash chain intact: ",  # the figure grows: each verification is recorded
        "zh": "哈希链完好：已核验 ",
    }
    for lang, head in heads.items():
        done = cli(loaded, tmp_path, "audit", "verify", *auditor, lang=lang)
        assert done.returncode == 0, done.stderr
        # Each event store by its word (the audit pages' words), not its code name.
        stores = [store_word(n, i18n.gettext_for(lang)) or n for n in names]
        text = said(_without_progress(done), lang)
        assert text.startswith(head) and all(s in text for s in stores), text

    page = ("audit", "items", "--kind", "policy", "--limit", "2", *auditor)
    found = json.loads(cli(loaded, tmp_path, *page, "--json").stdout)
    idents = [i["ident"] for i in found["items"]]
    heads = {
        "en": f"2 of {found['total']} items to audit",
        "zh": f"待审计事项：显示 2 项，共 {found['total']} 项",
    }
    for lang, head in heads.items():
        done = cli(loaded, tmp_path, *page, lang=lang)
        text = said(done, lang, [*idents, f"--cursor {found['next']}"])
        assert text.startswith(head) and all(i in text for i in idents), text
        assert f"--cursor {found['next']}" in text


def _without_progress(done: CompletedProcess[str]) -> CompletedProcess[str]:
    """`audit verify` reports its progress on standard error off a terminal (a line per
    application, as before): the statement is on standard output."""
    lines = [x for x in done.stderr.splitlines() if not x.startswith("verify: ")]
    return CompletedProcess(done.args, done.returncode, done.stdout, "\n".join(lines))


def test_ingest_draws_a_bar_with_counts_on_a_terminal(
    loaded: PostgresSettings,  # noqa: F811
    tokens: CliTokens,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Standard error a terminal: a bar with the people ingested of those in the file;
    standard output (a pipe) is the statement alone."""
    import os
    import pty
    import subprocess
    import sys

    export = tmp_path / "two.csv"
    export.write_text(
        "employee_id,period,metric,value,source\n"
        "E00001,2031-04,customer_visits,7,crm\n"
        "E00002,2031-04,customer_visits,8,crm\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERFLOW_")}
    env.update(loaded.eventsourcing_env())
    env.update(
        CAREERFLOW_VAR_DIR=str(tmp_path / "var"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        CAREERFLOW_LANG="en",
        COLUMNS="120",
        PYTHONUTF8="1",
    )
    env.pop("CI", None)
    terminal, side = pty.openpty()
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "careerflow",
            "ingest",
            str(export),
            *tokens.args("integration:crm"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=side,
        stdin=subprocess.DEVNULL,
        text=True,
    ) as done:
        os.close(side)
        drawn = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the command closed the terminal: it is done
                break
            if not chunk:
                break
            drawn += chunk
        out = done.stdout.read() if done.stdout else ""
    os.close(terminal)
    assert done.returncode == 0, drawn
    screen = drawn.decode("utf-8", "replace")
    assert "ingesting two.csv" in screen and "2/2" in screen and "people/s" in screen, screen
    assert out.startswith("ingested batch ") and "2 rows for 2 people" in out, out
