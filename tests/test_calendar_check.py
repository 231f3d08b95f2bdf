"""Whether a year's working days are known or would be guessed, said on the command line
(`careerflow calendar check YEAR`, run as a user would against a real PostgreSQL) and in
the worker's log; the State Council's days published as data through the ordinary
`policy publish` path make the year covered.

Covered means: the calendar library has the year's official schedule (chinese-calendar
for China, up to 2026 in the installed release), or the promotion_process document in
force publishes extra days in that year."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole
from careerflow.services.calendar import warn_gaps
from careerflow.store import Store
from tests.workflows.promotion_support import build_org

NATIONAL_DAY_2027 = {
    "extra_holidays": [f"2027-10-0{d}" for d in range(1, 8)],
    "extra_working_days": ["2027-09-26", "2027-10-09"],
}


@pytest.fixture
def org(pg: PostgresSettings) -> Iterator[tuple[Engine, dict[str, str]]]:
    """The small test organisation (policies seeded: promotion_process version 1 without
    extra days) and a token per caller."""
    with Engine(Store(pg)) as services:
        build_org(services)
        tokens = {
            who: services.tokens.issue(DEMO_HR, person, role, "tests").token
            for who, role, person in [
                ("hr", AccessRole.hr, "H001"),
                ("auditor", AccessRole.auditor, "A001"),
                ("employee", AccessRole.employee, "E1"),
            ]
        }
        yield services, tokens


def careerflow(
    pg: PostgresSettings, tmp: Path, *args: str, lang: str = "en"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREERFLOW_", "TEMPORAL_"))}
    env.update(pg.eventsourcing_env())
    env.update(
        {
            "CAREERFLOW_VAR_DIR": str(tmp / "var"),
            "CAREERFLOW_LANG": lang,
            "XDG_CONFIG_HOME": str(tmp / "config"),  # no token saved by a real login
            "PYTHONUTF8": "1",
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "careerflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_calendar_check_before_and_after_the_notice_is_published(
    org: tuple[Engine, dict[str, str]], pg: PostgresSettings, tmp_path: Path
) -> None:
    services, tokens = org

    def check(
        year: str, who: str = "hr", *more: str, lang: str = "en"
    ) -> subprocess.CompletedProcess[str]:
        return careerflow(
            pg, tmp_path, "calendar", "check", year, "--token", tokens[who], *more, lang=lang
        )

    known = check("2026")
    assert known.returncode == 0, known.stderr
    assert "2026 (CN) is covered: chinese-calendar " in known.stdout
    assert "extra holidays in 2026: none" in known.stdout

    # 2027: the library has no schedule and nothing is published: said, exit 1.
    unknown = check("2027", "auditor")
    assert unknown.returncode == 1, unknown.stderr
    assert "2027 (CN) is NOT covered: holidays " in unknown.stdout
    assert "no make-up working days" in unknown.stdout
    assert "careerflow policy publish promotion_process default FILE" in unknown.stdout
    assert "extra working days in 2027: none" in unknown.stdout
    as_json = json.loads(check("2027", "hr", "--json").stdout)
    assert as_json["covered"] is False and as_json["library_covers"] is False
    assert as_json["policy_version"] == 1

    # Only HR and auditors may ask; a bad year is refused with the range.
    refused = check("2027", "employee")
    assert refused.returncode == 4 and refused.stdout == ""
    assert "may not check the working-day calendar" in refused.stderr
    bad_year = check("1800")
    assert bad_year.returncode == 6, bad_year.stderr
    assert "give a year from 1950 to 2100" in bad_year.stderr

    # A notice with a date in both lists is refused and changes nothing.
    current = services.policies.current("promotion_process", "default").document
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps({**current, **NATIONAL_DAY_2027, "extra_working_days": ["2027-10-07"]})
    )
    publish = ("policy", "publish", "promotion_process", "default")
    refused = careerflow(pg, tmp_path, *publish, str(wrong), "--token", tokens["hr"])
    assert refused.returncode != 0 and refused.stdout == ""
    assert "2027-10-07 cannot be both an extra holiday and an extra working day" in refused.stderr
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({**current, "extra_holidays": ["2027-10-1"]}))
    refused = careerflow(pg, tmp_path, *publish, str(typo), "--token", tokens["hr"])
    assert "extra_holidays: Value error, '2027-10-1' is not a valid date" in refused.stderr
    assert check("2027").returncode == 1

    # HR publishes the notice as data: version 2, and 2027 is covered by it.
    notice = tmp_path / "notice-2027.json"
    notice.write_text(json.dumps({**current, **NATIONAL_DAY_2027}))
    done = careerflow(
        pg, tmp_path, *publish, str(notice), "--token", tokens["hr"], "--note", "国务院 2027"
    )
    assert done.returncode == 0, done.stderr
    assert "promotion_process/default version 2 is in force" in done.stdout
    covered = check("2027", "auditor")
    assert covered.returncode == 0, covered.stderr
    assert (
        "2027 (CN) is covered by the extra days published in promotion_process version 2"
        in covered.stdout
    )
    assert "extra holidays in 2027: Oct 1, 2027; Oct 2, 2027;" in covered.stdout
    assert "extra working days in 2027: Sep 26, 2027; Oct 9, 2027" in covered.stdout
    as_json = json.loads(check("2027", "hr", "--json").stdout)
    assert as_json["covered"] is True and as_json["policy_version"] == 2
    assert as_json["extra_working_days"] == ["2027-09-26", "2027-10-09"]
    # The next year is not covered by 2027's days.
    assert check("2028").returncode == 1

    # In Chinese too.
    chinese = check("2027", lang="zh")
    assert chinese.returncode == 0, chinese.stderr
    assert "2027年10月1日" in chinese.stdout and "2027年9月26日" in chinese.stdout
    assert "2027年（CN）已覆盖" in chinese.stdout and "is covered" not in chinese.stdout


def test_the_worker_warns_at_start_about_a_year_not_covered(
    org: tuple[Engine, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """What worker.main logs at start (the current and next year, company time)."""
    services, _tokens = org
    log = logging.getLogger("careerflow.worker")
    mid_2026 = datetime(2026, 6, 1, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="careerflow.worker"):
        gaps = warn_gaps(services.policies, log, mid_2026)
    assert [g.year for g in gaps] == [2027]
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(said) == 1 and "2027 (CN) is NOT covered" in said[0]

    document = services.policies.current("promotion_process", "default").document
    services.policies.publish(
        DEMO_HR, "promotion_process", "default", {**document, **NATIONAL_DAY_2027}, "notice"
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="careerflow.worker"):
        assert warn_gaps(services.policies, log, mid_2026) == []
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
