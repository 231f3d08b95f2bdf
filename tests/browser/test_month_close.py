"""HR closes a month in a real headless Chromium, on a 360 px phone and on a desktop, in
Chinese and in English: the month close page from the header (the phone's menu, the
desktop's Overviews group), a past month's "Close…", the preview (who would get a
statement, per team; nothing closes), the confirm box and Close, then the month's page
refreshing itself until the statements are out and naming who closed it; the months
list shows it closed, and a second close is refused on the page. Thumb-sized controls,
nothing past the right edge, no word of the other language."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from temporalio.client import WorkflowExecutionStatus

from aggregates.calendar_periods import shift_month
from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    SIZES,
    browser,
    chromium,
    sign_in,
)
from tests.cycle_weeks import batch_ids

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Each run closes its own past month (the current month is never closeable).
RUNS = [("zh", "phone", 1), ("en", "desktop", 2), ("en", "phone", 3), ("zh", "desktop", 4)]


@pytest.mark.parametrize(("lang", "size", "back"), RUNS)
async def test_hr_closes_a_month(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
    back: int,
) -> None:
    from playwright.async_api import expect

    settings, _ = served.services.store.cycles.settings()
    month = shift_month(settings.local_date(datetime.now(UTC)).strftime("%Y-%m"), -back)
    flow = served.services.cycle_process(served.temporal, served.queue)
    reps = flow.would_launch(HR, "month", month)
    started = [
        f"cycle-launch-month-{month}",
        *batch_ids(month, reps.employee_ids),
    ]
    problems: list[str] = []
    viewport = SIZES[size]
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    try:
        await follow_header(page, "/hr/months")
        row = page.locator(f"#month-{month}")
        await expect(row).to_have_attribute("data-state", "open")
        await checked(hr, "month-months")

        # The preview: per team, who would get a statement; nothing closes.
        await row.locator(f"#close-{month}").click()
        await hr.arrive(f"**/hr/months/{month}/close")
        await expect(page.locator("#preview")).to_be_visible()
        await expect(page.locator("#preview table.launch-teams tbody tr")).to_have_count(
            len(reps.teams)
        )
        await checked(hr, "month-preview")
        assert served.services.cycle_queries.month_statements(month) == 0

        # Confirm, then close: the month's page refreshes itself until it is closed.
        await page.locator("#confirm").check()
        await page.locator("#close-now button").click()
        await hr.arrive(f"**/hr/months/{month}?done=closing")
        await expect(page.locator("#done")).to_be_visible()
        closed = page.locator('#month-state[data-state="closed"]')
        await expect(closed).to_be_visible(timeout=90_000)
        await expect(page.locator("#statements")).to_have_text(str(len(reps.employee_ids)))
        await expect(page.locator("#closed-by")).to_have_text("H001")
        await checked(hr, "month-closed")
        await _until(
            "the month's statements",
            lambda: served.services.cycle_queries.month_statements(month) == len(reps.employee_ids),
        )

        # The months list shows it closed; closing it again is refused on the page.
        await page.locator("a.back").click()
        await hr.arrive("**/hr/months")
        await expect(page.locator(f"#month-{month}")).to_have_attribute("data-state", "closed")
        await expect(page.locator(f"#close-{month}")).to_have_count(0)
        await page.goto(f"{served.base_url}/hr/months/{month}/close")
        await expect(page.locator("#refusal")).to_be_visible()
        await expect(page.locator("#close-now")).to_have_count(0)
        await checked(hr, "month-refused")
        assert [p for p in problems if "status of 422" not in p] == []  # the refusal's 422
    finally:
        await hr.context.close()
        for workflow_id in started:
            handle = served.temporal.get_workflow_handle(workflow_id)
            with contextlib.suppress(Exception):
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test over")
