"""360° assessments in a real headless Chromium (issue 18, S4): a rep rates a colleague
(E2 rates E1 on a 360 px phone in Chinese, E3 at a desktop in English) in a round HR
started, each competency's level tapped in the segmented 1–5 row (every choice at least
44×44 px) with a comment; the read model then says the task is done and the form is
read-only. E1 opens a closed round's profile (arranged through the round's own commands,
as tests/api/test_api_assessments.py does, not by waiting on a deadline) and sees the
radar drawn by Chart.js and its figures. Every page is checked for fitting the window,
thumb-sized controls on the phone and no text of the other language."""

# ruff: noqa: F811 (the shared fixtures `browser` and `chromium` are imported by name)
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest
from temporalio.client import WorkflowExecutionStatus

from activities.assessments import RoundRequest
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.test_api_assessments import _closed_round
from tests.browser.conftest import Served
from tests.browser.support import HR, NAMES, _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    DRAWN,
    HOMES,
    PHONE,
    Visit,
    browser,
    chromium,
    sign_in,
)
from workflows.assessment_round import assessment_workflow_id

if TYPE_CHECKING:
    from playwright.async_api import Browser

HOMES.setdefault("employee:E2", "/employee")
CLOSED, LIVE = "2026-rep360-closed", "2026-rep360-live"
E2 = Principal(person_id="E2", role=AccessRole.employee)
SAYS = {
    "en": {
        "nav": "360° assessments",
        "send": "Send the rating",
        "sent": "Your rating was sent. Ratings are final.",
        "open profile": "Open the profile",
        "profile": "Competency profile",
        "peers": "Peers",
        "course": "Suggested courses",
    },
    "zh": {
        "nav": "360° 评估",
        "send": "提交评价",
        "sent": "您的评价已提交。评价提交后不可更改。",
        "open profile": "查看画像",
        "profile": "能力画像",
        "peers": "同事",
        "course": "推荐课程",
    },
}
# Every level's box in the rating form: [width, height] (the segmented row's choices).
LEVEL_BOXES = """() => Array.from(document.querySelectorAll('.rating-form label.level'),
    el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; })"""
RADAR = """() => Array.from(document.querySelectorAll('canvas[data-chart]'), c => {
    const chart = window.Chart && window.Chart.getChart(c);
    return chart ? [chart.config.type, chart.data.datasets.length] : null; })"""


@dataclass
class Rounds:
    served: Served


@pytest.fixture(scope="module")
async def rounds(served: Served) -> AsyncIterator[Rounds]:
    """E4 and E5 join E1's team (four peers); a closed round (E1, S001) made by the round's
    commands, and a live round (E1, E3) started as HR starts one, its tasks projected."""
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
    await _until(
        "E4 and E5 in the read model",
        lambda: services.people_queries.directory(HR, q="E5", team="T001").total,
    )
    _closed_round(cast(ApiStack, served), CLOSED)  # it uses only `.services`
    process = services.assessment_process(served.temporal, served.queue)
    deadline = datetime.now(UTC) + timedelta(days=2)
    await process.start_round(
        HR,
        RoundRequest(round_id=LIVE, title="Q4 360", employee_ids=["E1", "E3"], deadline=deadline),
    )
    queries = services.assessment_queries
    await _until(
        "the live round's tasks",
        lambda: any(t.round_id == LIVE for t in queries.my_tasks(E2).tasks),
    )
    rep = Principal(person_id="E1", role=AccessRole.employee)
    await _until("E1's closed profile", lambda: queries.profiles_of(rep, "E1").total)
    try:
        yield Rounds(served)
    finally:
        handle = served.temporal.get_workflow_handle(assessment_workflow_id(LIVE))
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


async def via_nav(visit: Visit, path: str) -> None:
    """The header's link (behind the menu on a phone)."""
    await follow_header(visit.page, path)


@pytest.mark.parametrize(
    ("lang", "size", "ratee"), [("zh", "phone", "E1"), ("en", "desktop", "E3")]
)
async def test_a_rep_rates_a_colleague(
    browser: Browser, rounds: Rounds, lang: str, size: str, ratee: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    say, served = SAYS[lang], rounds.served
    problems: list[str] = []
    viewport = PHONE if size == "phone" else DESKTOP
    rep = await sign_in(browser, served, "employee:E2", lang, viewport, tmp_path, problems)
    path = f"/assessments/{LIVE}/rate/{ratee}"
    try:
        page = rep.page
        await via_nav(rep, "/assessments")
        await expect(page.locator("h1")).to_have_text(say["nav"])
        await checked(rep, "assessments")
        await page.locator(f'#tasks a[href="{path}"]').click()
        await rep.arrive(f"**{path}")
        await expect(page.locator("h1")).to_contain_text(NAMES[ratee])
        await checked(rep, "rating-form")
        boxes = await page.evaluate(LEVEL_BOXES)
        assert len(boxes) == 15 and all(w >= 44 and h >= 44 for w, h in boxes), boxes
        fieldsets = page.locator(".rating-form fieldset.competency")
        assert await fieldsets.count() == 3
        for i, level in enumerate(("4", "3", "2")):
            fieldset = fieldsets.nth(i)
            choice = fieldset.locator("label.level", has_text=level)
            await (choice.tap() if size == "phone" else choice.click())
            await expect(fieldset.locator(f'input[value="{level}"]')).to_be_checked()
            await fieldset.locator("textarea").fill(f"{lang}: 备注 {i}")
        await checked(rep, "rating-filled")
        button = page.get_by_role("button", name=say["send"])
        await (button.tap() if size == "phone" else button.click())
        await rep.arrive("**?done=rated")
        await expect(page.locator(".notice")).to_have_text(say["sent"])
        await expect(page.locator("form.rating-form")).to_have_count(0)  # final: read-only
        await checked(rep, "rated")
        tasks = served.services.assessment_queries.my_tasks(E2).tasks
        assert [t.rated for t in tasks if t.round_id == LIVE and t.ratee_id == ratee] == [True]
    finally:
        await rep.context.close()
    assert not problems, problems


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
async def test_a_rep_opens_a_closed_rounds_radar(
    browser: Browser, rounds: Rounds, lang: str, size: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    say, served = SAYS[lang], rounds.served
    problems: list[str] = []
    viewport = PHONE if size == "phone" else DESKTOP
    rep = await sign_in(browser, served, "employee:E1", lang, viewport, tmp_path, problems)
    try:
        page = rep.page
        await rep.goto("/assessments")
        link = page.locator(f'#profiles a[href="/assessments/{CLOSED}/profile"]')
        await expect(link).to_have_text(say["open profile"])
        await link.click()
        await rep.arrive(f"**/assessments/{CLOSED}/profile")
        await expect(page.locator("h1")).to_have_text(say["profile"])
        await page.wait_for_function(
            "() => document.querySelector('canvas[data-chart]')"
            " && document.querySelector('canvas').dataset.drawn"
        )
        assert await page.evaluate(DRAWN) == [True]
        assert await page.evaluate(RADAR) == [["radar", 4]]  # self, manager, peers, target
        await expect(page.locator("table.scores thead")).to_contain_text(say["peers"])
        await expect(page.locator("table.scores tbody tr")).to_have_count(3)
        await expect(page.locator("#courses h2")).to_have_text(say["course"])
        await checked(rep, "profile-radar")
    finally:
        await rep.context.close()
    assert not problems, problems
