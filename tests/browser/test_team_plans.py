"""Development plans for managers and HR in Chromium (S7 of the web face), each job on a
360 px phone in Chinese and on a desktop in English: the manager opens the team's plans
from the menu and, on the plan page, confirms a milestone, moves a due month, adds a
milestone and drops one with a reason (E2's plan in Chinese, E1's in English); HR finds a
person in the picker and starts a plan from the template shown by name. Each step is
checked in the read model and on the page, which fits the window and says nothing in the
other language."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from aggregates.plan_template import add_months
from tests.browser.conftest import Served
from tests.browser.support import HR, checked, follow_header
from tests.browser.test_browser import SIZES, browser, chromium, sign_in  # noqa: F401

if TYPE_CHECKING:
    from playwright.async_api import Browser

    from tests.browser.test_browser import Visit

RUNS = [("zh", "phone"), ("en", "desktop")]
SHADOW = {"en": "Shadow the sales manager", "zh": "跟岗销售经理"}
# The manager's words, in the run's language (a comment shows on the page).
SAYS = {
    "zh": {
        "confirm": "每次例会都参加了",
        "move": "团队调整",
        "add": "新的区域",
        "drop": "与团队目标合并",
    },
    "en": {
        "confirm": "Came to every meeting",
        "move": "The team changed",
        "add": "A new area",
        "drop": "Merged into the team goal",
    },
}
# Whose plan the manager steers in each run: a plan of its own per run.
STEERED = {"zh": "E2", "en": "E1"}


def _today(served: Served) -> date:
    zone = ZoneInfo(served.services.policies.promotion_process()[0].time_zone)
    return datetime.now(zone).date()


def _plan(served: Served, plan_id: str) -> dict[str, Any] | None:
    try:
        return served.services.plan_queries.plan(HR, plan_id)
    except Exception:
        return None


async def _until(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def started_plan(served: Served, employee_id: str) -> str:
    """`employee_id`'s development plan, started by HR through the API a month ago."""
    today = _today(served)
    effective = add_months(date(today.year, today.month, 1), -1)
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        r = await http.post(
            "/api/v1/plans",
            headers={"Authorization": f"Bearer {served.tokens['hr:H001']}"},
            json={
                "employee_id": employee_id,
                "role": "sales_supervisor",
                "effective_date": str(effective),
            },
        )
    assert r.status_code == 200, r.text
    found: str = r.json()["plan_id"]
    await _until(lambda: _plan(served, found), f"{employee_id}'s plan in the read model")
    await asyncio.sleep(1)  # its workflow's first task sets it up
    return found


def _milestones(served: Served, plan_id: str) -> dict[str, Any]:
    plan = _plan(served, plan_id) or {"milestones": []}
    return {m["id"]: m for m in plan["milestones"]}


async def _submitted(visit: Visit, form: str, plan_id: str, step: str) -> None:
    await visit.press(visit.page.locator(f"form.{form} button[type=submit]"))
    await visit.arrive(f"**/plans/{plan_id}?done={step}*")
    await visit.page.locator('p.notice[role="status"]').wait_for()


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_the_manager_steers_a_plan(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    plan_id = await started_plan(served, STEERED[lang])
    says = SAYS[lang]
    problems: list[str] = []
    visit = await sign_in(browser, served, "manager:S001", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    try:
        # The team's plans from the header (the phone's menu).
        await follow_header(page, "/team/plans")
        await checked(visit, "team-plans")
        await visit.press(page.locator(f'#team-plans a[href="/plans/{plan_id}"]'))
        await visit.arrive(f"**/plans/{plan_id}")
        await page.locator("#steer").wait_for()
        await checked(visit, "plan")

        # Confirm a milestone by hand.
        confirm = page.locator("form.confirm-form")
        await confirm.locator("select[name=milestone_id]").select_option("team_meetings")
        await confirm.locator("input[name=comment]").fill(says["confirm"])
        await _submitted(visit, "confirm-form", plan_id, "confirm")
        plan = await _until(
            lambda: (_plan(served, plan_id) or {}).get("confirmed"), "the confirmation"
        )
        assert "team_meetings" in plan

        # Move the team goal's due month to plan month 8.
        move = page.locator("form.move-form")
        await move.locator("select[name=milestone_id]").select_option("team_goal")
        await move.locator("select[name=due_month]").select_option("8")
        await move.locator("input[name=reason]").fill(says["move"])
        await _submitted(visit, "move-form", plan_id, "move")
        assert _milestones(served, plan_id)["team_goal"]["due_month"] == 8

        # Add a milestone from its fields.
        add = page.locator("form.add-form")
        await add.locator("input[name=label_en]").fill(SHADOW["en"])
        await add.locator("input[name=label_zh]").fill(SHADOW["zh"])
        await add.locator("select[name=start_month]").select_option("2")
        await add.locator("select[name=due_month]").select_option("3")
        await add.locator("input[name=reason]").fill(says["add"])
        await _submitted(visit, "add-form", plan_id, "add")
        added = [m for m in _milestones(served, plan_id).values() if m["label"] == SHADOW]
        assert len(added) == 1
        await page.locator("#milestones strong", has_text=SHADOW[lang]).wait_for()

        # Drop one, with a reason.
        drop = page.locator("form.drop-form")
        await drop.locator("select[name=milestone_id]").select_option("team_sales")
        await drop.locator("input[name=reason]").fill(says["drop"])
        await _submitted(visit, "drop-form", plan_id, "drop")
        assert "team_sales" not in _milestones(served, plan_id)
        await checked(visit, "plan-steered")
        assert not problems, problems
    finally:
        await visit.context.close()


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_starts_a_plan(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    try:
        await follow_header(page, "/hr/plans/new")
        await page.locator("#pick input[name=q]").fill("E3")
        await visit.press(page.locator("#pick button[type=submit]"))
        await visit.arrive("**/hr/plans/new?q=E3")
        await visit.press(page.locator('a.pick[href="/hr/plans/new?employee_id=E3"]'))
        await visit.arrive("**/hr/plans/new?employee_id=E3")
        form = page.locator("form.start-form")
        await form.locator("select[name=role]").select_option("sales_supervisor")
        effective = await form.locator("input[name=effective_date]").input_value()
        assert effective == _today(served).isoformat()
        await checked(visit, "start-plan")
        await visit.press(form.locator("button[type=submit]"))
        plan_id = f"plan-E3-{effective}"
        await visit.arrive(f"**/plans/{plan_id}?done=started")
        await page.locator('p.notice[role="status"]').wait_for()
        plan = await _until(lambda: _plan(served, plan_id), "the new plan")
        assert plan["employee_id"] == "E3" and plan["role"] == "sales_supervisor"
        await page.locator("#steer").wait_for()
        await checked(visit, "started")
        assert not problems, problems
    finally:
        await visit.context.close()
