"""HR reads the support SLA report in a real headless Chromium (issue 18), in Chinese and
in English, on a 360 px phone and on a desktop: /hr/support from the header, compliance
per team (the product team's request answered within its SLA, the after-sales one still
waiting) with the weekly trend chart drawn; HR filters it to the product team and this
week through the form, and a request raised meanwhile is counted once the page is loaded
again (the read model, not the page, keeps the figures). Every page fits the window, has
thumb-sized controls on a phone and no text of the other language; screenshots are kept
under var/browser/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from careerflow.principal import AccessRole, Principal
from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header, staff_support
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    browser,
    charts_drawn,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Each team's line in the trend chart: its label, its figures and whether each is drawn
# (a point of some size: this week alone has no neighbour to draw a line to).
TREND = """() => {
  const chart = window.Chart.getChart(document.querySelector('canvas[data-chart="chart-trend"]'));
  return chart.data.datasets.map((d, i) => [d.label, d.data,
    chart.getDatasetMeta(i).data.map(p => p.options.radius > 0)]);
}"""
RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
REP = Principal(person_id="E1", role=AccessRole.employee)
LEAD = Principal(person_id="PD01", role=AccessRole.employee)
SAYS = {
    "en": {
        "title": "Support SLA compliance",
        "product": "Product team",
        "after sales": "After-sales team",
        "show": "Show",
        "none answered": "none answered yet",
    },
    "zh": {
        "title": "支持请求时效达标情况",
        "product": "产品团队",
        "after sales": "售后团队",
        "show": "显示",
        "none answered": "尚无响应",
    },
}


@pytest.fixture(scope="module")
async def requests(served: Served) -> Served:
    """Support staffed; E1's product request acknowledged and answered by PD01 (within
    its 30 minutes) and an after-sales request nobody has picked up yet."""
    await staff_support(served)
    flow = served.services.support_process(served.temporal, served.queue)
    product = await flow.raise_request(REP, "product", "客户需要定制化服务", "杭州联信")
    await flow.acknowledge(LEAD, product.request_id)
    await flow.answer(LEAD, product.request_id, "A proposal by Friday.")
    await flow.raise_request(REP, "after_sales", "安装后设备无法开机", "宁波远航")
    await _until("both requests in the SLA report", lambda: counts(served) == (2, 1, 1))
    return served


def counts(served: Served) -> tuple[int, int, int]:
    """(requests, met, pending) over every team in the report."""
    found = served.services.support_queries.compliance(HR)
    teams = found.teams
    return (
        sum(t.count for t in teams),
        sum(t.met for t in teams),
        sum(t.pending for t in teams),
    )


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_reads_and_filters_the_sla_report(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    requests: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    served = requests
    queries = served.services.support_queries
    viewport = PHONE if size == "phone" else DESKTOP
    problems: list[str] = []
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    try:
        # -- every team, the trend drawn --------------------------------------------
        await follow_header(page, "/hr/support")
        await expect(page.locator("h1")).to_have_text(say["title"])
        rows = page.locator("#sla table.sla tbody tr")
        product = rows.filter(has=page.locator("td.head", has_text=say["product"]))
        after_sales = rows.filter(has=page.locator("td.head", has_text=say["after sales"]))
        before = {t.team: t for t in queries.compliance(HR).teams}
        await expect(rows).to_have_count(len(before))
        await expect(product.locator("td").nth(1)).to_have_text(str(before["product"].count))
        await expect(product.locator("td").nth(2)).to_have_text(str(before["product"].met))
        await expect(product.locator("td").nth(5)).to_have_text("100%")
        await expect(after_sales.locator("td").nth(4)).to_have_text("1")
        await expect(after_sales.locator("td").nth(5)).to_have_text(say["none answered"])
        await expect(page.locator('#sla canvas[data-chart="chart-trend"]')).to_be_visible()
        drawn = await charts_drawn(page)
        assert drawn == [True], drawn
        lines = {label: (data, shown) for label, data, shown in await page.evaluate(TREND)}
        data, shown = lines[say["product"]]
        assert data[-1] == 100 and shown[-1], lines  # this week: every request met
        assert lines[say["after sales"]][0][-1] is None, lines  # nothing answered yet
        await checked(hr, "sla")

        # -- filtered to the product team and this week, through the form -------------
        week = queries.compliance(HR).weeks[-1].week
        filters = page.locator("#sla details.filters")
        summary = filters.locator("summary")  # on a desktop, the form shows (no summary)
        if await summary.is_visible() and not await filters.evaluate("d => d.open"):
            await summary.click()
        form = filters.locator("form.filters")
        await form.locator('input[name="since"]').fill(week)
        await form.locator('input[name="until"]').fill(week)
        await form.locator('select[name="team"]').select_option("product")
        await checked(hr, "sla-filter-form")
        await form.get_by_role("button", name=say["show"]).click()
        await hr.arrive("**/hr/support?*team=product*")
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td.head")).to_have_text(say["product"])
        assert await charts_drawn(page) == [True]
        await expect(page.locator('form.filters input[name="since"]')).to_have_value(week)
        await checked(hr, "sla-product")

        # -- a request raised meanwhile: counted once the page is loaded again --------
        flow = served.services.support_process(served.temporal, served.queue)
        await flow.raise_request(REP, "product", f"{lang}/{size}: 报价单何时能出？", "温州华美")
        count = before["product"].count + 1
        await _until(
            "the new request in the report",
            lambda: {t.team: t.count for t in queries.compliance(HR).teams}["product"] == count,
        )
        await page.reload()
        await expect(rows.first.locator("td").nth(1)).to_have_text(str(count))
        pending = str(before["product"].pending + 1)
        await expect(rows.first.locator("td").nth(4)).to_have_text(pending)
        await checked(hr, "sla-product-reloaded")
    finally:
        await hr.context.close()
    assert not problems, problems
