"""360° rounds on the pages (issue 18, S11 and S7's team 360°), over ASGI on the real
stack: HR starts a round from the form (refusals on the same form, 422, in the page's
language; the service decides them, as for POST /api/v1/assessments/rounds), sees its
progress (anonymous groups as counts only) and a closed round's gaps as words, a chart
and its figures, and downloads them (CSV with a BOM, XLSX); an auditor reads the same
pages without the form; a manager sees the team's profiles and gaps. The closed round is
made by the round's own commands (tests/api/test_api_assessments.py), not by waiting on
a workflow's deadline. Every page holds one language only."""

from __future__ import annotations

import contextlib
import csv
import html as markup
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest
from temporalio.client import WorkflowExecutionStatus

from aggregates.ladder import Role
from careerflow.api import i18n
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.test_api_assessments import _closed_round
from tests.api.test_pages_support import FORM_ACTION, Site, csrf_of, one_language
from workflows.assessment_round import assessment_workflow_id

CLOSED = "2026-closed-pages"
ZONE = ZoneInfo("Asia/Shanghai")
SAYS = {
    "en": {
        "rounds": "360° rounds",
        "no people": "name the people assessed",
        "deadline": "Deadline: a date and a time",
        "reused": "already ran and closed",
        "started": "The round was started",
        "gap words": "have a",
        "gaps open": "Gaps are published when the round closes",
        "anonymous": "anonymous: counts only",
        "team": "The team's gaps",
        "header": "Competency",
        "course": "Big-Client Resource Coordination",
        "not allowed": "Not allowed",
    },
    "zh": {
        "rounds": "360° 评估轮次",
        "no people": "请指定被评估人",
        "deadline": "截止时间：请填写日期和时间",
        "reused": "已进行并结束",
        "started": "轮次已发起",
        "gap words": "方面存在差距",
        "gaps open": "差距将在轮次结束时",
        "anonymous": "匿名：仅显示人数",
        "team": "团队差距",
        "header": "能力",
        "course": "大客户资源协调",
        "not allowed": "无权访问",
    },
}


def text(page: httpx.Response) -> str:
    return markup.unescape(page.text)


@pytest.fixture(scope="module")
async def site(api: ApiStack) -> AsyncIterator[Site]:
    """Two more reps on S001's team (four peers for E1) and a closed round."""
    api.services.people.import_org(
        DEMO_HR,
        OrgImport(
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=e,
                    role=Role.sales_rep,
                    team_id="T001",
                    manager_id="S001",
                    hire_date=date(2024, 1, 1),
                )
                for e in ("E4", "E5")
            ]
        ),
    )
    api.caught_up()
    _closed_round(api, CLOSED)
    api.caught_up()
    yield Site(api)
    for lang in ("en", "zh"):
        handle = api.temporal.get_workflow_handle(assessment_workflow_id(f"pages-live-{lang}"))
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


def _deadline(days: int) -> str:
    return (datetime.now(ZONE) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_starts_a_round_from_the_form(site: Site, lang: str) -> None:
    says = SAYS[lang]
    live = f"pages-live-{lang}"
    async with site.session("hr:H001", lang) as hr:
        page = await hr.get("/hr/assessments")
        assert page.status_code == 200
        one_language(page, lang, "/hr/assessments")
        assert says["rounds"] in text(page) and CLOSED in page.text
        assert "/hr/assessments" in FORM_ACTION.findall(page.text)
        sent = {
            "csrf": csrf_of(page),
            "round_id": live,
            "title": f"Pages {lang}",
            "team_id": "",
            "employee_ids": "E1",
            "deadline": _deadline(2),
            "anonymous": ["peers", "reports"],
        }
        # Refusals come back on the same form, in the page's language; nothing starts.
        for change, said in (
            ({"employee_ids": ""}, says["no people"]),
            ({"deadline": "next week"}, says["deadline"]),
            ({"round_id": CLOSED}, says["reused"]),
        ):
            refused = await hr.post("/hr/assessments", data={**sent, **change})
            assert refused.status_code == 422, (change, refused.status_code)
            assert said in text(refused), change
            assert 'name="round_id"' in refused.text  # the same form, filled in
            one_language(refused, lang, f"refused start {change}")
        started = await hr.post("/hr/assessments", data=sent)
        assert started.status_code == 303, started.text
        where = started.headers["location"]
        assert where == f"/hr/assessments/{live}?done=started"
        round_page = await hr.get(where)
        assert round_page.status_code == 200
        body = text(round_page)
        assert says["started"] in body and says["gaps open"] in body
        assert says["anonymous"] in body  # peers rate anonymously: counts only
        one_language(round_page, lang, "a live round")
        listed = await hr.get("/hr/assessments")
        assert live in listed.text
    async with site.session("manager:S001", lang) as manager:
        form = await manager.get("/team/assessments")
        denied = await manager.post("/hr/assessments", data={**sent, "csrf": csrf_of(form)})
        assert denied.status_code == 403 and says["not allowed"] in text(denied)
        one_language(denied, lang, "a manager refused")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_closed_rounds_progress_gaps_and_exports(site: Site, lang: str) -> None:
    says = SAYS[lang]
    async with site.session("hr:H001", lang) as hr:
        page = await hr.get(f"/hr/assessments/{CLOSED}")
        assert page.status_code == 200
        one_language(page, lang, "a closed round")
        body = text(page)
        assert 'data-chart="chart-gaps"' in page.text and says["gap words"] in body
        courses = re.findall(r'<td data-label="[^"]*" class="courses">(.*?)</td>', page.text)
        assert any(says["course"] in c for c in courses), courses
        assert 'data-employee="E1"' in page.text and 'data-employee="S001"' in page.text
        # E1's peers (E2, E3, E4) rated anonymously: their names are never listed.
        peers = re.search(r'<li data-group="peers">(.*?)</li>', page.text, re.S)
        assert peers and "3" in peers.group(1) and "translate" not in peers.group(1)
        for table, fmt in (("", "csv"), ("gaps", "csv"), ("", "xlsx"), ("gaps", "xlsx")):
            got = await hr.get(f"/hr/assessments/{CLOSED}?format={fmt}&table={table}")
            assert got.status_code == 200, (table, fmt)
            assert "attachment" in got.headers["content-disposition"]
            if fmt == "csv":
                assert got.content.startswith(b"\xef\xbb\xbf")
                head = got.content.decode("utf-8-sig").splitlines()[0]
                if table == "gaps":
                    assert says["header"] in head
                    assert says["course"] in got.content.decode("utf-8-sig")
            else:
                assert got.content.startswith(b"PK")
        rounds = await hr.get("/hr/assessments?format=csv")
        assert rounds.status_code == 200 and CLOSED in rounds.content.decode("utf-8-sig")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_an_auditor_reads_without_the_form(site: Site, lang: str) -> None:
    async with site.session("auditor:A001", lang) as auditor:
        page = await auditor.get("/hr/assessments")
        assert page.status_code == 200 and CLOSED in page.text
        assert "/hr/assessments" not in FORM_ACTION.findall(page.text)
        assert 'name="round_id"' not in page.text
        one_language(page, lang, "auditor's rounds")
        one = await auditor.get(f"/hr/assessments/{CLOSED}")
        assert one.status_code == 200 and 'data-chart="chart-gaps"' in one.text
        one_language(one, lang, "auditor's round")
        refused = await auditor.post(
            "/hr/assessments",
            data={"csrf": csrf_of(page), "round_id": "x", "employee_ids": "E1",
                  "deadline": _deadline(2)},
        )  # fmt: skip
        assert refused.status_code == 403
    async with site.session("employee:E1", lang) as rep:
        assert (await rep.get("/hr/assessments")).status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_manager_sees_the_teams_profiles_and_gaps(site: Site, lang: str) -> None:
    says = SAYS[lang]
    async with site.session("manager:S001", lang) as manager:
        page = await manager.get("/team/assessments")
        assert page.status_code == 200
        one_language(page, lang, "/team/assessments")
        body = text(page)
        assert says["team"] in body and 'data-chart="chart-team-gaps"' in page.text
        assert 'data-employee="E1"' in page.text  # S001's report, assessed and closed
        chosen = await manager.get(f"/team/assessments?round={CLOSED}")
        assert chosen.status_code == 200 and 'data-employee="E1"' in chosen.text
    async with site.session("manager:M001", lang) as upper:
        page = await upper.get("/team/assessments")
        assert page.status_code == 200 and 'data-employee="S001"' in page.text
        one_language(page, lang, "the manager chain's team 360")


async def test_the_rounds_page_pages(site: Site) -> None:
    """Newest first, a page at a time: the cursor leads to the rest."""
    queries = site.api.services.assessment_queries
    first = queries.rounds_page(DEMO_HR, limit=1)
    assert first.total >= 1 and len(first.items) == 1
    if first.next_cursor:
        second = queries.rounds_page(DEMO_HR, limit=1, cursor=first.next_cursor)
        assert second.offset == 1 and second.items[0].round_id != first.items[0].round_id
    assert datetime.now(UTC) > first.items[0].started_at


NEXT = re.compile(r'<a class="button next" rel="next" href="([^"]+)"')
FIRST = re.compile(r'<a class="button secondary first" href="([^"]+)"')


async def _walk(client: httpx.AsyncClient, url: str, same: re.Pattern[str]) -> list[str]:
    """Every person on a paged table, following its Next links: each page's figures
    (matched by `same`) are those of the first page, and the pages after it link back."""
    people: list[str] = []
    figures: set[str] = set()
    for index in range(100):
        page = await client.get(url)
        assert page.status_code == 200, (url, page.text)
        found = same.search(page.text)
        assert found, url
        figures.add(found.group(0))
        people += re.findall(r'<tr data-employee="([^"]+)"', page.text)
        assert bool(FIRST.search(page.text)) == (index > 0), url  # back to the first
        more = NEXT.search(page.text)
        if more is None:
            assert len(figures) == 1, figures
            return people
        url = markup.unescape(more.group(1))
    raise AssertionError(f"no last page: {url}")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_rounds_people_and_a_teams_profiles_page(site: Site, lang: str) -> None:
    """A round's people and a team's profiles a page at a time: every person once, and
    the summary, group totals and gaps count everyone on every page."""
    summary = re.compile(r'<section class="card" id="summary">.*?</section>', re.S)
    async with site.session("hr:H001", lang) as hr:
        people = await _walk(hr, f"/hr/assessments/{CLOSED}?limit=1", summary)
        assert people == ["E1", "S001"]
        first = await hr.get(f"/hr/assessments/{CLOSED}?limit=1")
        assert FIRST.search(first.text) is None and NEXT.search(first.text)
        assert "1–1" in text(first) and 'data-chart="chart-gaps"' in first.text
        one_language(first, lang, "a round's first page")
        whole = await hr.get(f"/hr/assessments/{CLOSED}")
        assert NEXT.search(whole.text) is None
        assert re.findall(r'<tr data-employee="([^"]+)"', whole.text) == people
        refused = await hr.get(f"/hr/assessments/{CLOSED}?cursor=bm9wZQ")
        assert refused.status_code == 422
    gaps = re.compile(r'<section class="card" id="team-gaps">.*?</section>', re.S)
    async with site.session("manager:M001", lang) as upper:
        url = f"/team/assessments?round={CLOSED}&limit=1"
        profiles = await _walk(upper, url, gaps)
        assert profiles == ["E1", "S001"]  # M001's chain: S001 and S001's report E1
        second = await upper.get(markup.unescape(NEXT.findall((await upper.get(url)).text)[0]))
        assert 'data-chart="chart-team-gaps"' in second.text
        one_language(second, lang, "a team's second page")


def _table(got: httpx.Response) -> list[list[str]]:
    assert got.status_code == 200, got.text
    assert "attachment" in got.headers["content-disposition"]
    if got.content.startswith(b"PK"):
        sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None
        return [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert got.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_team_360_profiles_download(site: Site, lang: str) -> None:
    said = i18n.gettext_for(lang)
    manager = Principal(person_id="S001", role=AccessRole.manager)
    team = site.api.services.assessment_queries.team(manager, CLOSED, "S001")
    e1 = next(p for p in team.profiles if p.employee_id == "E1")
    async with site.session("manager:S001", lang) as client:
        page = await client.get(f"/team/assessments?round={CLOSED}")
        assert f'href="/team/assessments?round={CLOSED}&amp;format=csv"' in page.text
        got = _table(await client.get(f"/team/assessments?round={CLOSED}&format=csv"))
        assert got[0][:2] == [said("Person"), said("Employee id")]
        assert got[0][-1] == said("Gaps") and says_competency(got[0][2], e1, lang)
        row = next(r for r in got[1:] if r[1] == "E1")
        assert row[0] == e1.name
        first = e1.competencies[0]
        expected = (
            i18n.number(first.overall, lang, 1)
            if first.overall is not None
            else said("not enough ratings")
        )
        assert row[2] == expected
        xlsx = await client.get(f"/team/assessments?round={CLOSED}&format=xlsx")
        assert _table(xlsx) == got
    async with site.session("hr:H001", lang) as hr:
        asked = f"/team/assessments?round={CLOSED}&manager=S001&format=csv"
        assert _table(await hr.get(asked)) == got
    async with site.session("employee:E1", lang) as rep:
        assert (await rep.get(f"/team/assessments?round={CLOSED}&format=csv")).status_code == 403


def says_competency(header: str, profile: Any, lang: str) -> bool:
    return i18n.unmarked(i18n.label(profile.competencies[0].label, lang)) in header
