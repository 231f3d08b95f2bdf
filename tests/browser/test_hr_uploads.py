"""HR uploads metrics in a real headless Chromium, on a 360 px phone and on a desktop, in
Chinese and in English: the upload page from the header, a CSV with a short line refused
with that line's problem in the page's language (nothing imported), then a good CSV
accepted with its count of rows and people. Thumb-sized controls, nothing past the right
edge, no word of the other language."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from projections.metrics import measurements_of
from tests.browser.conftest import Served
from tests.browser.support import _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    SIZES,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Each run uploads its own month (a file imported before changes nothing).
RUNS = [("zh", "phone", 3), ("en", "desktop", 4), ("en", "phone", 5), ("zh", "desktop", 6)]
LINE_3 = {"zh": "第 3 行：该行有 2 列，应为 5 列", "en": "line 3: row has 2 of 5 columns"}
IMPORTED = {"zh": "已导入：1 行，涉及 1 人", "en": "imported: 1 rows for 1 people"}


def stored(served: Served, period: str) -> list[object]:
    with served.services.read_pool.connection() as conn:
        return list(measurements_of(conn, "E3", None, period))  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "size", "month"), RUNS)
async def test_hr_uploads_a_bad_then_a_good_metric_file(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
    month: int,
) -> None:
    from playwright.async_api import expect

    good_period, bad_period = f"2025-{month:02d}", f"2024-{month:02d}"
    good = (
        "employee_id,period,metric,value,source\n"
        f"E3,{good_period},customer_visits,{month + 5},crm\n"
    )
    short = (
        "employee_id,period,metric,value,source\n"
        f"E3,{bad_period},customer_visits,6,crm\nE3,{bad_period}\n"
    )
    problems: list[str] = []
    viewport = SIZES[size]
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    try:

        async def upload(name: str, body: str) -> None:
            await page.locator("#file").set_input_files(
                files=[{"name": name, "mimeType": "text/csv", "buffer": body.encode("gbk")}]
            )
            await page.locator("#upload form.upload button[type=submit]").click()
            await page.wait_for_load_state()

        await follow_header(page, "/hr/metrics")
        await expect(page.locator("#upload")).to_be_visible()
        await checked(hr, "upload-form")

        # A short line: refused with its line, nothing imported.
        await upload("short.csv", short)
        refused = page.locator("#problems")
        await expect(refused).to_be_visible()
        await expect(refused).to_contain_text(LINE_3[lang])
        await expect(page.locator("#imported")).to_have_count(0)
        await checked(hr, "upload-refused")

        # A good one: accepted.
        await upload("good.csv", good)
        imported = page.locator("#imported")
        await expect(imported).to_be_visible()
        await expect(imported).to_contain_text(IMPORTED[lang])
        await expect(page.locator("#problems")).to_have_count(0)
        await checked(hr, "upload-imported")
        await _until(f"E3's {good_period}", lambda: stored(served, good_period))
        assert stored(served, bad_period) == []
        assert [p for p in problems if "status of 422" not in p] == []
    finally:
        await hr.context.close()
