"""The rep's inbox and development plan in Chromium (S5 of the web face), on a 360 px
phone and on a desktop, in Chinese and in English: a notice opened from the inbox
lands on the application it is about and is read afterwards (in the read model and on
the page); the plan page draws the milestone timeline (Chart.js), fits the window and
says nothing in the other language."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from aggregates.plan_template import add_months
from careerflow.principal import SYSTEM
from projections.notifications import inbox_item
from tests.browser.conftest import Served
from tests.browser.support import HR, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401  (fixtures)
    SIZES,
    browser,
    charts_drawn,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

TITLE = {"en": "Your application is with HR", "zh": "您的晋升申请已转交 HR 审核"}
BODY = {"en": "Open it to see where it stands.", "zh": "打开查看当前进度。"}
TIMELINE = """() => { const c = document.querySelector('canvas[data-chart="chart-timeline"]');
  const chart = c && window.Chart && window.Chart.getChart(c);
  return chart ? {type: chart.config.type, axis: chart.options.indexAxis,
                  bars: chart.data.datasets[0].data.length} : null; }"""


def _read_at(served: Served, notification_id: uuid.UUID) -> Any:
    with served.services.read_pool.connection() as conn:
        row = inbox_item(conn, "E1", notification_id)  # type: ignore[arg-type]
    return None if row is None else (row["read_at"] or False)


async def _until(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest.fixture(scope="module")
async def plan_id(served: Served) -> str:
    """E1's development plan, started by HR through the API a month ago."""
    zone = ZoneInfo(served.services.policies.promotion_process()[0].time_zone)
    today = datetime.now(zone).date()
    effective = add_months(date(today.year, today.month, 1), -1)
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        r = await http.post(
            "/api/v1/plans",
            headers={"Authorization": f"Bearer {served.tokens['hr:H001']}"},
            json={
                "employee_id": "E1",
                "role": "sales_supervisor",
                "effective_date": str(effective),
            },
        )
    assert r.status_code == 200, r.text
    found: str = r.json()["plan_id"]
    await _until(
        lambda: any(p["plan_id"] == found for p in served.services.plan_queries.plans_of(HR, "E1")),
        "E1's plan in the read model",
    )
    return found


@pytest.mark.parametrize(
    ("lang", "size"), [("zh", "phone"), ("en", "phone"), ("en", "desktop"), ("zh", "desktop")]
)
async def test_the_rep_opens_a_notice_and_their_plan(
    browser: Browser,  # noqa: F811
    served: Served,
    plan_id: str,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    application_id = served.arranged.application_id
    made = served.services.notifications.create(
        SYSTEM,
        f"browser-inbox/{uuid.uuid4()}",
        "E1",
        "promotion.hr_review",
        TITLE,
        BODY,
        {"type": "promotion", "id": application_id},
    )
    notice = made.notification_id
    await _until(lambda: _read_at(served, notice) is False, "the notice in the inbox")
    problems: list[str] = []
    visit = await sign_in(browser, served, "employee:E1", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    try:
        # The inbox: the notice unread, in the page's language.
        await follow_header(page, "/inbox")
        item = page.locator(f"#n-{notice}")
        await expect(item).to_have_class("notice-item unread")
        await expect(item).to_contain_text(TITLE[lang])
        await checked(visit, "inbox")

        # Opening it lands on the application, and it is read.
        await visit.press(item.locator("form.open-notice button"))
        await visit.arrive(f"**/applications/{application_id}")
        assert await asyncio.to_thread(_read_at, served, notice)
        await visit.goto("/inbox")
        await expect(page.locator(f"#n-{notice}")).to_have_class("notice-item read")

        # The plan page from the employee page: the timeline drawn, the milestones listed.
        await visit.goto("/employee")
        await visit.press(page.locator(f'#plans a[href="/plans/{plan_id}"]'))
        await visit.arrive(f"**/plans/{plan_id}")
        await expect(page.locator("#milestones tbody tr").first).to_be_visible()
        await page.wait_for_function(
            "() => document.querySelector('canvas[data-chart=\"chart-timeline\"]')"
            "?.dataset.drawn === 'true'"
        )
        chart = await page.evaluate(TIMELINE)
        assert chart and chart["type"] == "bar" and chart["axis"] == "y" and chart["bars"] > 0
        assert all(await charts_drawn(page))
        await checked(visit, "plan")
        assert not problems, problems
    finally:
        await visit.context.close()
