"""HR's people directory and candidate pool in a real Chromium, in Chinese and English:

- on a 360 px phone, HR opens "People" from the menu, unfolds the filters, searches a
  name, filters by a team, pages two at a time (the filter kept) and downloads the CSV
  (a real download: UTF-8 with a BOM, every matching row, a dated file name);
- on a desktop, HR goes from the HR page to the whole pool, sorts it by team and
  downloads the XLSX (read back with openpyxl);

each page fits the window, has thumb-sized controls on the phone and no text of the other
language. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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

SAYS = {
    "en": {"people": "People", "filters": "Search and filters", "search": "Search",
           "clear": "Clear", "next": "Next page", "first": "First page", "of": "of",
           "pool": "The whole pool: sort, filter, export", "show": "Show",
           "sort": "Sort and filters", "id": "Employee id", "name": "Name"},
    "zh": {"people": "人员", "filters": "搜索与筛选", "search": "搜索", "clear": "清除",
           "next": "下一页", "first": "第一页", "of": "共",
           "pool": "完整候选人池：排序、筛选、导出", "show": "显示", "sort": "排序与筛选",
           "id": "员工编号", "name": "姓名"},
}  # fmt: skip
DATED = r"\d{4}-\d{2}-\d{2}"


async def rows(visit: Visit) -> list[str]:
    found: list[str] = await visit.page.eval_on_selector_all(
        "#people tr[data-employee], #pool tr[data-employee]",
        "rs => rs.map(r => r.dataset.employee)",
    )
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_hr_on_a_phone_searches_filters_pages_and_downloads(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, PHONE, tmp_path, problems)
    page = visit.page
    try:
        # Phones: the header's links are behind the menu.
        await follow_header(page, "/people")
        await visit.arrive("**/people")
        await expect(page.locator("h1")).to_contain_text(say["people"])
        everyone = served.services.people_queries.directory(HR).total
        assert len(await rows(visit)) == everyone
        # Phones: the filters folded away until asked for.
        filters = page.locator("details.filters")
        await expect(filters).not_to_have_attribute("open", "")
        await checked(visit, "people")

        # Search by name.
        await page.get_by_text(say["filters"]).click()
        await page.locator('input[name="q"]').fill(NAMES["E1"])
        await page.get_by_role("button", name=say["search"], exact=True).click()
        await visit.arrive(re.compile(r"/people\?q="))
        assert await rows(visit) == ["E1"]
        row = page.locator('tr[data-employee="E1"]')
        await expect(row.locator('a[href="/employee/E1"]')).to_have_text(NAMES["E1"])
        await expect(row).to_contain_text("Team 1")
        await checked(visit, "people-search")

        # Filter by team (the search cleared first).
        await page.get_by_role("link", name=say["clear"], exact=True).click()
        await visit.arrive("**/people")
        await page.get_by_text(say["filters"]).click()
        await page.locator('select[name="team"]').select_option("T001")
        await page.get_by_role("button", name=say["search"], exact=True).click()
        await visit.arrive(re.compile(r"team=T001"))
        team = served.services.people_queries.directory(HR, team="T001")
        assert sorted(await rows(visit)) == sorted(p.employee_id for p in team.items)
        await expect(page.locator('select[name="team"]')).to_have_value("T001")

        # Two at a time: the next page keeps the team, the first page comes back.
        await page.goto(f"{served.base_url}/people?team=T001&limit=2")
        seen = await rows(visit)
        assert len(seen) == 2
        await page.get_by_role("link", name=say["next"]).click()
        await visit.arrive(re.compile(r"cursor="))
        assert "team=T001" in page.url
        second = await rows(visit)
        assert second and not set(second) & set(seen)
        await expect(page.locator("nav.pager .range")).to_contain_text(say["of"])
        await checked(visit, "people-page-2")
        await page.get_by_role("link", name=say["first"]).click()
        await visit.arrive(re.compile(r"limit=2$"))
        assert await rows(visit) == seen

        # The CSV of every member of the team, not only this page's two.
        async with page.expect_download() as info:
            await page.locator("a.export-csv").click()
        download = await info.value
        assert re.fullmatch(rf"people-{DATED}\.csv", download.suggested_filename)
        path = await download.path()
        data = Path(str(path)).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        lines = data.decode("utf-8-sig").splitlines()
        assert lines[0].startswith(f"{say['id']},{say['name']},")
        assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(
            p.employee_id for p in team.items
        )
        assert any(line.startswith(f"E1,{NAMES['E1']},") for line in lines)
        assert not problems, problems
    finally:
        await visit.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_on_a_desktop_sorts_the_pool_and_downloads_it(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    tmp_path: Path,
) -> None:
    from openpyxl import load_workbook
    from playwright.async_api import expect

    say = SAYS[lang]
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, DESKTOP, tmp_path, problems)
    page = visit.page
    try:
        await page.get_by_role("link", name=say["pool"]).click()
        await visit.arrive("**/hr/pool")
        pool = served.services.people_queries.pool(HR)
        assert await rows(visit) == [c.employee_id for c in pool.items]
        # Wider screens show the filters without unfolding them.
        await expect(page.locator('select[name="sort"]')).to_be_visible()
        await page.locator('select[name="sort"]').select_option("team")
        await page.get_by_role("button", name=say["show"], exact=True).click()
        await visit.arrive(re.compile(r"sort=team"))
        by_team = served.services.people_queries.pool(HR, sort="team")
        assert await rows(visit) == [c.employee_id for c in by_team.items]
        await checked(visit, "pool")

        async with page.expect_download() as info:
            await page.locator("a.export-xlsx").click()
        download = await info.value
        assert re.fullmatch(rf"candidate-pool-{DATED}\.xlsx", download.suggested_filename)
        sheet = load_workbook(io.BytesIO(Path(str(await download.path())).read_bytes())).active
        assert sheet is not None
        table = list(sheet.iter_rows(values_only=True))
        assert [r[1] for r in table[1:]] == [c.employee_id for c in by_team.items]
        assert not problems, problems
    finally:
        await visit.context.close()
