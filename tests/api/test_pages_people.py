"""The people directory (/people) and HR's candidate pool (/hr/pool) over ASGI like a
browser: filters, paging links that keep the filters, names (not ids) for teams, regions
and roles, exports of every matching row as CSV (UTF-8 with a BOM) and XLSX (read back
with openpyxl), who may see what, in English and Chinese with nothing of the other
language on the page."""

from __future__ import annotations

import asyncio
import html as markup
import io
import re

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.site import a_year_of_metrics, link, paged, signed_in, web_app
from tests.language import foreign_words as other_language
from tests.language import readable_text
from tests.workflows.promotion_support import TEAM

HR = Principal(person_id="H001", role=AccessRole.hr)
NAMES = {e: n for e, n, _r, _t, _m in TEAM}
EVERYONE = sorted(NAMES)


@pytest.fixture(scope="module")
async def app(api: ApiStack) -> FastAPI:
    a_year_of_metrics(api)
    for _attempt in range(300):
        if api.services.people_queries.pool(HR).total:
            break
        await asyncio.sleep(0.2)
    return web_app(api)


def rows_of(page: httpx.Response) -> list[str]:
    return re.findall(r'<tr data-employee="([^"]+)"', page.text)


def one_language(page: httpx.Response, lang: str, known: set[str] | None = None) -> None:
    assert page.headers["content-language"].startswith(lang)
    assert set(other_language(readable_text(page.text), lang)) <= (known or set()), page.url


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_searches_filters_and_pages_the_directory(
    api: ApiStack, app: FastAPI, lang: str
) -> None:
    async with signed_in(app, api, "hr:H001", lang) as client:
        page = await client.get("/people")
        assert page.status_code == 200
        one_language(page, lang)
        assert sorted(rows_of(page)) == EVERYONE
        assert 'href="/employee/E1"' in page.text and 'href="/people"' in page.text
        # Teams and regions by name; roles by the ladder's words.
        e1 = page.text.split('data-employee="E1"')[1].split("</tr>")[0]
        assert "Team 1" in e1 and "Region" in e1 and NAMES["S001"] in e1
        assert ("Senior Sales Representative" if lang == "en" else "高级销售代表") in e1
        assert '<details class="filters">' in page.text  # collapsed with no filter

        found = await client.get("/people", params={"q": NAMES["E1"]})
        assert rows_of(found) == ["E1"] and '<details class="filters" open>' in found.text
        assert rows_of(await client.get("/people", params={"q": "e2"})) == ["E2"]
        team = await client.get("/people", params={"team": "T001"})
        assert sorted(rows_of(team)) == ["E1", "E2", "E3", "S001"]
        assert 'value="T001" selected' in team.text
        region = await client.get("/people", params={"region": "R01"})
        assert sorted(rows_of(region)) == EVERYONE
        role = await client.get("/people", params={"role": "senior_sales_rep"})
        assert sorted(rows_of(role)) == ["E1", "E2"]
        pool = await client.get("/people", params={"readiness": "pool"})
        assert rows_of(pool) and set(rows_of(pool)) <= {"E1", "E2"}

        # Paging: two at a time, the filter kept on every link.
        seen, current = await paged(
            client,
            "/people",
            {"team": "T001", "limit": 2},
            rows_of,
            lambda p: one_language(p, lang),
        )
        assert sorted(seen) == ["E1", "E2", "E3", "S001"] and len(seen) == 4
        assert ("3–4 of 4" if lang == "en" else "第 3–4 条，共 4 条") in markup.unescape(
            current.text
        )

        bad = await client.get("/people", params={"cursor": "nonsense!"})
        assert bad.status_code == 422
        one_language(bad, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_directory_exports_every_matching_row(
    api: ApiStack, app: FastAPI, lang: str
) -> None:
    async with signed_in(app, api, "hr:H001", lang) as client:
        csv = await client.get("/people", params={"format": "csv", "limit": 1, "team": "T001"})
        assert csv.status_code == 200
        assert csv.content.startswith(b"\xef\xbb\xbf")
        assert csv.headers["content-type"].startswith("text/csv")
        disposition = csv.headers["content-disposition"]
        assert re.fullmatch(r'attachment; filename="people-\d{4}-\d{2}-\d{2}\.csv"', disposition)
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 5  # the header and every member of T001, not one page
        assert lines[0].startswith("Employee id," if lang == "en" else "员工编号,")
        assert any(line.startswith(f"E1,{NAMES['E1']},") and "Team 1" in line for line in lines)

        xlsx = await client.get("/people", params={"format": "xlsx"})
        assert xlsx.status_code == 200
        assert 'filename="people-' in xlsx.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert table[0][1] == ("Name" if lang == "en" else "姓名")
        assert sorted(r[0] for r in table[1:]) == EVERYONE


async def test_a_manager_sees_their_reports_and_an_employee_is_refused(
    api: ApiStack, app: FastAPI
) -> None:
    async with signed_in(app, api, "manager:S001", "en") as client:
        page = await client.get("/people")
        assert page.status_code == 200 and sorted(rows_of(page)) == ["E1", "E2", "E3"]
        assert 'href="/people"' in page.text  # in the manager's menu
        csv = await client.get("/people", params={"format": "csv"})
        assert len(csv.content.decode("utf-8-sig").splitlines()) == 4
        pool = await client.get("/hr/pool")  # the members among their reports
        assert pool.status_code == 200 and set(rows_of(pool)) <= {"E1", "E2", "E3"}
    for lang, says in (("en", "may not search the people directory"), ("zh", "搜索人员名录")):
        async with signed_in(app, api, "employee:E1", lang) as client:
            refused = await client.get("/people")
            assert refused.status_code == 403
            assert says in markup.unescape(refused.text)
            # The refusal's list of allowed roles is said by Principal.require (role ids
            # today; the language slice gives them their words).
            one_language(refused, lang, {"employee", "manager", "hr", "auditor"})
            assert '<a href="/people">' not in refused.text
            assert (await client.get("/hr/pool")).status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_sorts_filters_pages_and_exports_the_pool(
    api: ApiStack, app: FastAPI, lang: str
) -> None:
    async with signed_in(app, api, "hr:H001", lang) as client:
        hr = await client.get("/hr")
        assert 'href="/hr/pool"' in hr.text
        whole = await client.get("/hr/pool")
        assert whole.status_code == 200
        one_language(whole, lang)
        members = rows_of(whole)
        assert members and set(members) <= {"E1", "E2"}
        for sort in ("team", "role"):
            again = await client.get("/hr/pool", params={"sort": sort})
            assert sorted(rows_of(again)) == sorted(members)
            assert f'value="{sort}" selected' in again.text
        assert rows_of(await client.get("/hr/pool", params={"team": "nowhere"})) == []
        mine = await client.get("/hr/pool", params={"role": "senior_sales_rep", "limit": 1})
        assert rows_of(mine) == members[:1]
        if len(members) > 1:
            following = link(mine, "next")
            assert following and "role=senior_sales_rep" in following
            assert rows_of(await client.get(following)) == members[1:2]
        csv = await client.get("/hr/pool", params={"format": "csv", "limit": 1})
        assert csv.content.startswith(b"\xef\xbb\xbf")
        assert 'filename="candidate-pool-' in csv.headers["content-disposition"]
        lines = csv.content.decode("utf-8-sig").splitlines()
        assert len(lines) == 1 + len(members)
        xlsx = await client.get("/hr/pool", params={"format": "xlsx", "sort": "team"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert sheet is not None
        assert sorted(r[1] for r in list(sheet.iter_rows(values_only=True))[1:]) == sorted(members)
        bad = await client.get("/hr/pool", params={"sort": "salary"})
        assert bad.status_code == 422
