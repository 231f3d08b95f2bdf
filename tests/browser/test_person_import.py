"""HR's organisation import and a person's charts in a real Chromium:

- HR (a 360 px phone in Chinese; a desktop in English) opens "Import organisation" from
  the header, uploads a CSV (GBK on the phone) with a wrong line, reads the line's
  problem on the page (nothing imported), uploads the fixed file and sees what was
  imported; the people are then in the read model, in their team;
- a person's page (a desktop in English; a phone in Chinese) draws the twelve-month
  metric trend (a line chart per unit: percentages, counts, scores, each axis labelled in
  its unit) and the potential-score distribution (team and
  organisation, the person marked) with Chart.js, each with its figures table.

Every page fits the window, has no text of the other language, thumb-sized controls on
the phone; screenshots go to var/browser/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Served
from tests.browser.support import checked, follow_header
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

HEADER = "kind,team_id,employee_id,name,role,manager_id,parent_team_id,hire_date,email,locale\n"
SAYS = {
    "en": {"import": "Import organisation", "button": "Import", "line": "line 3: hire_date: ",
           "done": "Imported: 1 team(s) created or changed, 2 employee(s) added, 0 moved.",
           "nothing": "Nothing was imported", "trend": "Twelve months of metrics"},
    "zh": {"import": "导入组织架构", "button": "导入", "line": "第 3 行：hire_date：",
           "done": "已导入：新建或修改 1 个团队，新增 2 名员工，调动 0 名。",
           "nothing": None, "trend": "近十二个月的指标"},
}  # fmt: skip
SIZES = {"zh": PHONE, "en": DESKTOP}
CHARTS = """() => [...document.querySelectorAll('canvas[data-chart]')]
  .filter(c => /^chart-(trend-|distribution)/.test(c.dataset.chart)).map(canvas => {
  const name = canvas.dataset.chart.slice("chart-".length);
  const chart = window.Chart && window.Chart.getChart(canvas);
  const y = chart && chart.scales.y;
  return chart ? {name, type: chart.config.type, datasets: chart.data.datasets.length,
                  labels: chart.data.labels.length,
                  ticks: y ? y.ticks.map(t => t.label) : []} : {name, missing: true};
})"""


def org_table(prefix: str, *, wrong: bool) -> str:
    day = "2026-13-45" if wrong else "2025-03-01"
    return (
        HEADER
        + f"team,{prefix}T,,华北二组,,S001,T001,,,\n"
        + f"employee,{prefix}T,{prefix}1,孙一,sales_rep,S001,,{day},,zh\n"
        + f"employee,{prefix}T,{prefix}2,周二,sales_rep,{prefix}1,,2025-04-01,,en\n"
    )


def teams_of(served: Served, ids: list[str]) -> dict[str, str]:
    with served.services.read_pool.connection() as conn:
        rows: list[Any] = conn.execute(
            "SELECT employee_id, team_id FROM rm_employee WHERE employee_id = ANY(%s)", (ids,)
        ).fetchall()
    return {r["employee_id"]: r["team_id"] for r in rows}


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_hr_uploads_an_org_file_fixes_its_line_and_imports(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    prefix = f"B{lang.upper()}"
    encoding = "gbk" if lang == "zh" else "utf-8"
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, SIZES[lang], tmp_path, problems)
    page = visit.page
    try:
        await follow_header(page, "/hr/import")
        await expect(page.locator("h1")).to_have_text(say["import"])
        await checked(visit, "org-import")

        bad = org_table(prefix, wrong=True).encode(encoding)
        await page.set_input_files(
            "#file", files=[{"name": "org.csv", "mimeType": "text/csv", "buffer": bad}]
        )
        await page.get_by_role("button", name=say["button"], exact=True).click()
        problems_box = page.locator("#problems")
        await expect(problems_box).to_be_visible()
        await expect(problems_box.locator("ol.problems li")).to_have_count(1)
        await expect(problems_box.locator("ol.problems li")).to_contain_text(say["line"])
        if say["nothing"]:
            await expect(problems_box).to_contain_text(say["nothing"])
        await checked(visit, "org-import-refused")
        assert teams_of(served, [f"{prefix}1", f"{prefix}2"]) == {}

        good = org_table(prefix, wrong=False).encode(encoding)
        await page.set_input_files(
            "#file", files=[{"name": "org.csv", "mimeType": "text/csv", "buffer": good}]
        )
        await page.get_by_role("button", name=say["button"], exact=True).click()
        await visit.arrive("**/hr/import?done=imported*")
        await expect(page.locator("#imported")).to_have_text(say["done"])
        await checked(visit, "org-import-done")
        assert teams_of(served, [f"{prefix}1", f"{prefix}2"]) == {
            f"{prefix}1": f"{prefix}T",
            f"{prefix}2": f"{prefix}T",
        }
        # The refused file's answer is a 422 by design (the form again, with its problems).
        unexpected = [p for p in problems if "status of 422" not in p]
        assert not unexpected, unexpected
    finally:
        await visit.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_persons_page_draws_the_trend_and_the_distribution(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    size = DESKTOP if lang == "en" else PHONE
    problems: list[str] = []
    visit = await sign_in(browser, served, "hr:H001", lang, size, tmp_path, problems)
    page = visit.page
    try:
        await visit.goto("/employee/E1")
        await expect(page.locator("#trend h2")).to_have_text(SAYS[lang]["trend"])
        await page.wait_for_function(
            "() => document.querySelectorAll('canvas[data-chart][data-drawn=\"true\"]').length >= 6"
        )
        drawn = {d.pop("name"): d for d in await page.evaluate(CHARTS)}
        # A chart per unit of E1's metrics (percentages, counts, scores out of 10), its
        # axis labelled in the unit; then the distribution.
        assert list(drawn) == ["trend-percent", "trend-count", "trend-score10", "distribution"]
        for name in ("trend-percent", "trend-count", "trend-score10"):
            assert drawn[name]["type"] == "line" and drawn[name]["labels"] == 12, drawn
        assert drawn["trend-percent"]["datasets"] >= 2  # a metric and its target line at least
        assert drawn["trend-percent"]["ticks"] == ["0%", "50%", "100%", "150%"], drawn
        assert all(t.isdigit() for t in drawn["trend-count"]["ticks"]), drawn  # whole steps
        assert drawn["trend-score10"]["ticks"][-1] == "10", drawn
        # team, organisation and the person's marker over ten one-point bands
        assert drawn["distribution"] == {
            "type": "bar",
            "datasets": 3,
            "labels": 10,
            "ticks": drawn["distribution"]["ticks"],
        }, drawn
        await expect(page.locator("#trend details.figures")).to_have_count(3)
        await expect(page.locator("#trend h3")).to_have_count(3)
        await expect(page.locator("#distribution details.figures")).to_have_count(1)
        await checked(visit, "person-charts")
        assert not problems, problems
    finally:
        await visit.context.close()
