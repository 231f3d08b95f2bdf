"""HR's report pages on the real stack: weekly-cycle completion (with the previous and
next weeks), the goal cascade and support SLA compliance, each downloadable as CSV (with
the BOM) and XLSX; auditors read them, reps are refused."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.api.test_pages import Site, site  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers
BOM = b"\xef\xbb\xbf"


async def test_cycle_completion_per_team_with_weeks_and_downloads(site: Site) -> None:  # noqa: F811
    week = site.arranged.week
    async with site.session("hr:H001") as client:
        page = await client.get(f"/hr/cycles?week={week}")
        assert page.status_code == 200
        assert (
            'data-chart="chart-plans"' in page.text
            and "<summary>The figures</summary>" in page.text
        )
        assert 'rel="prev" href="/hr/cycles?week=' in page.text
        csv = await client.get(f"/hr/cycles?week={week}&format=csv")
        assert csv.status_code == 200 and csv.content.startswith(BOM)
        assert f"cycles-{week}" in csv.headers["content-disposition"]
        header = csv.content[len(BOM) :].decode().splitlines()[0]
        assert header.startswith("Team,Cycles,Plans submitted by the rep")
        xlsx = await client.get(f"/hr/cycles?week={week}&format=xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.cell(1, 1).value == "Team"
        assert sheet.max_row >= 2  # a row per team with cycles
        empty = await client.get("/hr/cycles?week=2099-W10")
        assert "No weekly cycles in 2099-W10." in empty.text and "open" in empty.text
        bad = await client.get("/hr/cycles?week=2026-48")
        assert bad.status_code == 422 and "2026-W48" in bad.text


async def test_goals_and_support_sla(site: Site) -> None:  # noqa: F811
    async with site.session("hr:H001") as client:
        goals = await client.get("/hr/goals?year=2026")
        assert goals.status_code == 200, goals.text
        assert 'id="company"' in goals.text and "Goal cascade" in goals.text
        csv = await client.get("/hr/goals?year=2026&format=csv")
        assert csv.content.startswith(BOM) and b"Team target" in csv.content
        sla = await client.get("/hr/support")
        assert sla.status_code == 200 and 'id="sla"' in sla.text
        assert 'action="/hr/support"' in sla.text
        xlsx = await client.get("/hr/support?format=xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None and sheet.cell(1, 1).value == "Support team"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_reports_speak_one_language(site: Site, lang: str) -> None:  # noqa: F811
    async with site.session("auditor:A001", lang) as client:
        for path in (f"/hr/cycles?week={site.arranged.week}", "/hr/goals?year=2026", "/hr/support"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert other_language(page.text, lang, NAMES.values()) == [], path


async def test_reps_are_refused(site: Site) -> None:  # noqa: F811
    async with site.session("employee:E1") as client:
        assert (await client.get("/hr/cycles")).status_code == 403
        assert (await client.get("/hr/goals")).status_code == 403
