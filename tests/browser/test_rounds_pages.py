"""360° rounds in a real headless Chromium (issue 18, S11 and S7's team 360°): HR starts a
round from the form (in Chinese on a 360 px phone, in English on a desktop), sees its
progress with the anonymous groups as counts, and a closed round's gaps as a chart, its
figures and the words ("65% have a … gap"); a manager opens the team's profiles and
gaps. The closed round is made by the round's own commands, as the API tests do
(tests/api/test_api_assessments.py), not by waiting on a workflow's deadline. Every page
is checked for thumb-sized controls on a phone, nothing past the edge and no text of the
other language; the read model says the round started."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import WorkflowExecutionStatus

from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.test_api_assessments import _closed_round
from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    DRAWN,
    PHONE,
    Visit,
    browser,
    chromium,
    sign_in,
)
from workflows.assessment_round import assessment_workflow_id

if TYPE_CHECKING:
    from playwright.async_api import Browser

CLOSED = "browser-closed"
MANAGER = Principal(person_id="S001", role=AccessRole.manager)
SAYS = {
    "en": {
        "rounds": "360° rounds",
        "start": "Start the round",
        "started": "The round was started",
        "anonymous": "anonymous: counts only",
        "gap words": "have a",
        "team": "Team 360°",
        "team gaps": "The team's gaps",
    },
    "zh": {
        "rounds": "360° 评估轮次",
        "start": "发起轮次",
        "started": "轮次已发起",
        "anonymous": "匿名：仅显示人数",
        "gap words": "方面存在差距",
        "team": "团队 360°",
        "team gaps": "团队差距",
    },
}
CASES = [("zh", PHONE), ("en", DESKTOP)]


@pytest.fixture(scope="module")
async def arranged(served: Served) -> Served:
    """Two more reps on S001's team (four peers for E1) and a round closed three days
    ago, made by the round's commands."""
    services = served.services
    services.people.import_org(
        DEMO_HR,
        OrgImport(
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=e,
                    role=Role.sales_rep,
                    team_id="T001",
                    manager_id="S001",
                    hire_date=date(2024, 1, 1),
                )
                for e in ("E4", "E5")
            ]
        ),
    )

    def hired() -> bool:
        return services.people_queries.directory(HR, q="E5").total == 1

    await _until("E4 and E5 hired", hired)
    _closed_round(SimpleNamespace(services=services), CLOSED)  # type: ignore[arg-type]

    def closed() -> bool:
        return services.assessment_queries.progress(HR, CLOSED).round.status == "closed"

    await _until("the closed round", closed)
    return served


# The rounds' titles HR types (the notices keep them apart, shown as data).
TITLES = ("Browser en", "Browser zh")


async def _nav(visit: Visit, path: str) -> None:
    """The header's link (behind the menu on a phone)."""
    await follow_header(visit.page, path)


@pytest.mark.parametrize(("lang", "size"), CASES, ids=["zh-phone", "en-desktop"])
async def test_hr_starts_a_round_and_sees_progress_and_gaps(
    browser: Browser,  # noqa: F811  (the fixture imported above)
    arranged: Served,
    lang: str,
    size: dict[str, int],
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    served = arranged
    live = f"browser-live-{lang}"
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, size, tmp_path, problems)
    page = visit.page
    try:
        await _nav(visit, "/hr/assessments")
        await expect(page.locator("h1")).to_contain_text(say["rounds"])
        await expect(page.locator(f'tr[data-round="{CLOSED}"]')).to_have_count(1)
        await checked(visit, "rounds")

        # -- start a round from the form ---------------------------------------------------
        deadline = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)
        form = page.locator("form.start-round")
        await form.locator('input[name="round_id"]').fill(live)
        await form.locator('input[name="title"]').fill(TITLES[lang == "zh"])
        await form.locator('input[name="employee_ids"]').fill("E2, E3")
        await form.locator('input[name="deadline"]').fill(deadline.strftime("%Y-%m-%dT%H:%M"))
        await visit.press(form.get_by_role("button", name=say["start"]))
        await visit.arrive(f"**/hr/assessments/{live}?done=started", timeout=60_000)
        await visit.speaks()
        await expect(page.locator(".notice")).to_contain_text(say["started"])
        await expect(page.locator('tr[data-employee="E2"]')).to_have_count(1)
        await expect(page.locator("#summary")).to_contain_text(say["anonymous"])
        await checked(visit, "round-started")
        progress = served.services.assessment_queries.progress(HR, live)
        assert [r.employee_id for r in progress.ratees] == ["E2", "E3"]
        assert progress.round.status == "open"

        # -- a closed round: the gaps as a chart, its figures and words ---------------------
        await visit.goto(f"/hr/assessments/{CLOSED}")
        await expect(page.locator("#gaps ul.gap-words")).to_contain_text(say["gap words"])
        await page.wait_for_function(
            "() => document.querySelector('canvas[data-chart]')?.dataset.drawn === 'true'"
        )
        assert all(await page.evaluate(DRAWN))
        peers = page.locator('tr[data-employee="E1"] li[data-group="peers"]')
        await expect(peers).to_contain_text("3")
        assert await peers.locator("[translate=no]").count() == 0  # counts, never names
        await checked(visit, "round-closed")
    finally:
        await visit.context.close()
        handle = served.temporal.get_workflow_handle(assessment_workflow_id(live))
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")
    assert not problems, problems


@pytest.mark.parametrize(("lang", "size"), CASES, ids=["zh-phone", "en-desktop"])
async def test_a_manager_opens_the_teams_360(
    browser: Browser,  # noqa: F811
    arranged: Served,
    lang: str,
    size: dict[str, int],
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    served = arranged
    problems: list[str] = []
    visit = await sign_in(browser, served, "manager:S001", lang, size, tmp_path, problems)
    page = visit.page
    try:
        await _nav(visit, "/team/assessments")
        await expect(page.locator("h1")).to_contain_text(say["team"])
        await expect(page.locator("#team-gaps")).to_contain_text(say["team gaps"])
        await expect(page.locator('table.profiles tr[data-employee="E1"]')).to_have_count(1)
        await page.wait_for_function(
            "() => document.querySelector('canvas[data-chart]')?.dataset.drawn === 'true'"
        )
        assert all(await page.evaluate(DRAWN))
        await checked(visit, "team-360")
        team = served.services.assessment_queries.team(MANAGER, CLOSED, "S001")
        assert "E1" in [p.employee_id for p in team.profiles]
    finally:
        await visit.context.close()
    assert not problems, problems
