"""HR's promotion applications in a real Chromium:

- on a 360 px phone, in Chinese, HR opens "Applications" from the menu, unfolds the
  filters, narrows the list to one stage and then another, opens E2's returned
  application and approves it despite the unmet criterion, with a reason (the override
  lands in the read model with its reason);
- on a desktop, in English, HR starts an application for S001 from the list: the people
  search finds S001 and one button starts it for the next role.

Arranged through the process service: E1's application (from tests/browser/support.py)
approved by the manager waits for HR; E2's, approved too, was returned automatically.
Each page fits the window, has thumb-sized controls on the phone and no text of the other
language. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from careerflow.principal import AccessRole, Principal
from tests.browser.conftest import Served
from tests.browser.support import HR, NAMES, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    Visit,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

S001 = Principal(person_id="S001", role=AccessRole.manager)
SAYS = {
    "en": {"applications": "Promotion applications", "filters": "Search and filters",
           "search": "Search", "start": "Start an application for someone",
           "start for": "Start: Sales Manager", "started": "The application was started",
           "review": "Record the review", "reviewed": "Your review was recorded",
           "approved": "approved"},
    "zh": {"applications": "晋升申请", "filters": "搜索与筛选", "search": "搜索",
           "start": "为员工发起晋升申请", "start for": "发起：销售经理",
           "started": "申请已发起", "review": "提交审核", "reviewed": "你的审核已记录",
           "approved": "已批准"},
}  # fmt: skip


async def _stage(served: Served, application_id: str, stage: str) -> None:
    for _attempt in range(450):
        try:
            now = served.services.promotion_queries.application(HR, application_id)
        except Exception:  # not recorded yet
            now = None
        if now is not None and now["stage"] == stage:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{application_id} never reached {stage}")


@pytest.fixture(scope="module")
async def arranged(served: Served) -> dict[str, Any]:
    """E1's application at HR review, E2's returned (both approved by S001)."""
    flow = served.services.promotion_process(served.temporal, served.queue)
    e1 = served.arranged.application_id
    e2 = (await flow.start(HR, "E2")).application_id
    await _stage(served, e2, "manager_review")
    for application_id, stage in ((e1, "hr_review"), (e2, "returned")):
        await flow.decide_application(S001, application_id, True, "ok")
        await _stage(served, application_id, stage)
    return {"E1": e1, "E2": e2}


async def rows(visit: Visit) -> list[str]:
    found: list[str] = await visit.page.eval_on_selector_all(
        "#applications tr[data-application]", "rs => rs.map(r => r.dataset.application)"
    )
    return found


async def test_hr_on_a_phone_filters_and_overrides_a_return_with_a_reason(
    browser: Browser,  # noqa: F811
    served: Served,
    arranged: dict[str, Any],
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    lang = "zh"
    say = SAYS[lang]
    e1, e2 = arranged["E1"], arranged["E2"]
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, PHONE, tmp_path, problems)
    page = visit.page
    try:
        await follow_header(page, "/hr/applications")
        await visit.arrive("**/hr/applications")
        await expect(page.locator("h1")).to_contain_text(say["applications"])
        assert {e1, e2} <= set(await rows(visit))
        await expect(page.locator("details.filters")).not_to_have_attribute("open", "")
        await checked(visit, "applications")

        # One stage, then another: the list follows, stages said as words.
        await page.get_by_text(say["filters"]).click()
        await page.locator('select[name="stage"]').select_option("hr_review")
        await page.get_by_role("button", name=say["search"], exact=True).click()
        await visit.arrive(re.compile(r"stage=hr_review"))
        assert await rows(visit) == [e1]
        await expect(page.locator(f'tr[data-application="{e1}"]')).to_contain_text("HR 审核")
        await checked(visit, "applications-hr-review")
        await page.locator('select[name="stage"]').select_option("returned")
        await page.get_by_role("button", name=say["search"], exact=True).click()
        await visit.arrive(re.compile(r"stage=returned"))
        assert await rows(visit) == [e2]
        row = page.locator(f'tr[data-application="{e2}"]')
        await expect(row).to_contain_text("已退回")
        await checked(visit, "applications-returned")

        # E2's application: approve despite the unmet criterion, with a reason.
        await row.get_by_role("link", name=NAMES["E2"]).click()
        await visit.arrive(f"**/applications/{e2}")
        form = page.locator("form.hr-review-form")
        await expect(form.locator('input[value="override_approve"]')).to_be_checked()
        await checked(visit, "application-review")
        why = "客户结果突出，复购正在改善"
        await form.locator("textarea[name=reason]").fill(why)
        await form.get_by_role("button", name=say["review"]).click()
        await visit.arrive(re.compile(r"done=reviewed"))
        await expect(page.locator("#done")).to_contain_text(say["reviewed"])
        await expect(page.locator("#done")).to_contain_text(say["approved"])
        await expect(page.locator("form.hr-review-form")).to_have_count(0)
        await checked(visit, "application-reviewed")
        record = served.services.promotion_queries.application(HR, e2)
        assert record["stage"] == "approved"
        step = next(s for s in record["timeline"] if s["kind"] == "HrOverridden")
        assert (step["actor"], step["comment"]) == ("H001", why)
        assert not problems, problems
    finally:
        await visit.context.close()


async def test_hr_on_a_desktop_starts_an_application(
    browser: Browser,  # noqa: F811
    served: Served,
    arranged: dict[str, Any],
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    lang = "en"
    say = SAYS[lang]
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, DESKTOP, tmp_path, problems)
    page = visit.page
    try:
        await follow_header(page, "/hr/applications")
        await page.get_by_role("link", name=say["start"]).click()
        await visit.arrive("**/hr/applications/new")
        await checked(visit, "start")
        await page.locator('input[name="q"]').fill(NAMES["S001"])
        await page.get_by_role("button", name=say["search"], exact=True).click()
        await visit.arrive(re.compile(r"/hr/applications/new\?q="))
        row = page.locator('#picker tr[data-employee="S001"]')
        await expect(row).to_contain_text("Sales Supervisor")
        await checked(visit, "start-found")
        await row.get_by_role("button", name=say["start for"]).click()
        await visit.arrive(re.compile(r"/applications/[^/?]+\?done=started"))
        await expect(page.locator("#done")).to_contain_text(say["started"])
        await checked(visit, "started")
        application_id = page.url.split("/applications/")[1].split("?")[0]
        record = served.services.promotion_queries.application(HR, application_id)
        assert (record["employee_id"], record["target_role"]) == ("S001", "sales_manager")
        assert record["started_by"] == "H001"
        await page.goto(f"{served.base_url}/hr/applications?q=S001")
        assert application_id in await rows(visit)
        await checked(visit, "applications-after")
        assert not problems, problems
    finally:
        await visit.context.close()
