"""HR's cycle launch and the manager picker in a real headless Chromium, each on a 360 px
phone in Chinese and on a desktop in English: HR opens the weekly cycles from the menu,
picks a week, previews who would get a cycle (per team) and launches it, then watches
the launch page refresh itself until the launch is done and the week's cycles are in the
read model; HR picks a manager from the team-week page and reads their team's board.
Thumb-sized controls on a phone, nothing past the right edge, no word of the other
language."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from temporalio.client import WorkflowExecutionStatus

from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header, next_week
from tests.browser.test_browser import SIZES, browser, chromium, sign_in  # noqa: F401
from tests.cycle_weeks import batch_ids

if TYPE_CHECKING:
    from playwright.async_api import Browser

RUNS = [("zh", "phone"), ("en", "desktop")]


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_previews_and_launches_a_week(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    # A week of its own per run (two and three weeks ahead): a launched week stays so.
    week = next_week(next_week(served.arranged.week))
    if lang == "en":
        week = next_week(week)
    flow = served.services.cycle_process(served.temporal, served.queue)
    preview = flow.would_launch(HR, "week", week)
    started = [
        f"cycle-launch-week-{week}",
        *batch_ids(week, preview.employee_ids),
    ]
    problems: list[str] = []
    hr = await sign_in(browser, served, "hr:H001", lang, SIZES[size], tmp_path, problems)
    page = hr.page
    try:
        await follow_header(page, "/hr/cycles")
        form = page.locator("#launch-form")
        await expect(form).to_be_visible()
        await checked(hr, "cycles")

        # The dry run: per team, who would get a cycle; nothing starts.
        await form.locator('input[name="week"]').fill(week)
        await hr.press(form.locator('button[type="submit"]'))
        await hr.arrive(f"**/hr/cycles/launch?week={week}")
        await expect(page.locator("#preview")).to_be_visible()
        await expect(page.locator("#preview table.launch-teams tbody tr")).to_have_count(
            len(preview.teams)
        )
        await checked(hr, "preview")
        assert served.services.cycle_queries.completion_rates(HR, week).overall.cycles == 0

        # Launch: the launch's page refreshes itself until the launch is done.
        await hr.press(page.locator("#launch-now button"))
        await hr.arrive(f"**/hr/cycles/launch/{week}?done=launched")
        await expect(page.locator("#done")).to_be_visible()
        await expect(page.locator('#launch-state[data-state="done"]')).to_be_visible(timeout=90_000)
        await expect(page.locator("#verdict")).to_contain_text(str(len(preview.employee_ids)))
        await checked(hr, "launched")

        def opened() -> bool:
            rates = served.services.cycle_queries.completion_rates(HR, week)
            return rates.overall.cycles == len(preview.employee_ids)

        await _until("the launched week's cycles", opened)

        # Launching it again is refused on the page, in the page's language.
        await hr.goto(f"/hr/cycles/launch?week={week}")
        await expect(page.locator("#refusal")).to_be_visible()
        await expect(page.locator("#launch-now")).to_have_count(0)
        await checked(hr, "refused")
        assert [p for p in problems if "status of 422" not in p] == []  # the refusal's 422
    finally:
        await hr.context.close()
        for workflow_id in started:
            handle = served.temporal.get_workflow_handle(workflow_id)
            with contextlib.suppress(Exception):
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test over")


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_reads_a_managers_team_week(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    week = served.arranged.week
    problems: list[str] = []
    hr = await sign_in(browser, served, "hr:H001", lang, SIZES[size], tmp_path, problems)
    page = hr.page
    try:
        await follow_header(page, "/team/week")
        picker = page.locator("#manager-picker")
        await expect(picker.locator("#pick-first")).to_be_visible()
        await picker.locator('input[name="q"]').fill("S001")
        await hr.press(picker.locator('button[type="submit"]'))
        await hr.arrive("**/team/week?*q=S001*")
        await hr.press(picker.locator('ul.managers a[href*="manager=S001"]'))
        await hr.arrive("**/team/week?manager=S001*")
        await expect(page.locator("#team-of")).to_be_visible()
        await expect(page.locator("h1")).to_contain_text(week)
        await expect(page.locator("#rep-E1")).to_be_visible()
        await expect(page.locator("#rep-E2")).to_be_visible()
        # HR reads; the manager's feedback links are not offered.
        await expect(page.locator('#board a[href*="#feedback"]')).to_have_count(0)
        await checked(hr, "team-week-of-S001")
        # The next week keeps the manager.
        await hr.press(page.locator('nav.week-flip a[rel="next"]'))
        await hr.arrive(f"**/team/week?week={next_week(week)}&manager=S001")
        await expect(page.locator("#team-of")).to_be_visible()
        assert problems == []
    finally:
        await hr.context.close()
