"""HR's organisation import page (/hr/import) on the real stack: a CSV (UTF-8 or GBK), an
XLSX workbook or the API's JSON; a file with a wrong line is refused with each problem
as `line N: field: problem` in the page's language and changes nothing; the fixed file
imports all its teams and employees. Also: HR's and the people directory's page views
are on the audit record, a rep's pages are not."""

from __future__ import annotations

import io

import httpx
import orjson
import pytest
from openpyxl import Workbook

from tests.api.test_api_audit import _actions_since
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

HEADER = "kind,team_id,employee_id,name,role,manager_id,parent_team_id,hire_date,email,locale\n"


def table(prefix: str, *, wrong: bool) -> str:
    """A team and two employees (ids starting with `prefix`); `wrong`: the second
    employee's manager is unknown and the first's hire date is no date."""
    day = "2026-13-45" if wrong else "2025-03-01"
    manager = "M999" if wrong else f"{prefix}1"
    return (
        HEADER
        + f"team,{prefix}T,,华东一组,,S001,T001,,,\n"
        + f"employee,{prefix}T,{prefix}1,王小明,sales_rep,S001,,{day},,zh\n"
        + f"employee,{prefix}T,{prefix}2,李小红,sales_rep,{manager},,2025-04-01,,\n"
    )


def plain(page: httpx.Response) -> str:
    """The page's text without its tags (a field name sits in a <code> element)."""
    return text(page).replace('<code translate="no">', "").replace("</code>", "")


def present(where: Site, ids: list[str]) -> dict[str, str]:
    """The read model's team of each of `ids` that exists."""
    where.api.caught_up()
    with where.api.services.read_pool.connection() as conn:
        rows = conn.execute(
            "SELECT employee_id, team_id FROM rm_employee WHERE employee_id = ANY(%s)", (ids,)
        ).fetchall()
    return {r["employee_id"]: r["team_id"] for r in rows}  # type: ignore[call-overload]


def team_exists(where: Site, team_id: str) -> bool:
    with where.api.services.read_pool.connection() as conn:
        row = conn.execute("SELECT 1 FROM rm_team WHERE team_id = %s", (team_id,)).fetchone()
    return row is not None


async def test_hr_imports_a_csv_after_fixing_its_line_errors(site: Site) -> None:  # noqa: F811
    async with site.session("hr:H001") as client:
        page = await client.get("/hr/import")
        assert page.status_code == 200, page.text
        assert 'enctype="multipart/form-data"' in page.text and 'action="/hr/import"' in page.text
        assert '<code translate="no">parent_team_id</code>' in page.text
        assert 'href="/hr/import"' in page.text  # the nav entry
        bad = {"file": ("org.csv", table("PA", wrong=True).encode(), "text/csv")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=bad)
        assert refused.status_code == 422, refused.text
        said = plain(refused)
        assert "Nothing was imported" in said and "has 1 problem(s)" in said
        assert '<code translate="no">hire_date</code>' in refused.text
        assert "line 3: hire_date: " in said
        assert present(site, ["PA1", "PA2"]) == {} and not team_exists(site, "PAT")

        # The date fixed, the unknown manager is next: said by the People application
        # with the row's line, and still nothing is written.
        half = table("PA", wrong=True).replace("2026-13-45", "2025-03-01")
        files = {"file": ("org.csv", half.encode(), "text/csv")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=files)
        assert refused.status_code == 422
        assert "line 4: " in text(refused) and "unknown manager 'M999'" in text(refused)
        assert '<code translate="no">manager_id</code>' in refused.text
        assert present(site, ["PA1", "PA2"]) == {}

        good = {"file": ("org.csv", table("PA", wrong=False).encode(), "text/csv")}
        done = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=good)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/hr/import?done=imported&teams=1&added=2&moved=0"
        shown = await client.get(done.headers["location"])
        assert "Imported: 1 team(s) created or changed, 2 employee(s) added, 0 moved." in text(
            shown
        )
        assert present(site, ["PA1", "PA2"]) == {"PA1": "PAT", "PA2": "PAT"}
        again = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=good)
        assert again.headers["location"].endswith("teams=0&added=0&moved=0")


async def test_a_gbk_csv_in_chinese_with_one_language(site: Site) -> None:  # noqa: F811
    async with site.session("hr:H001", "zh") as client:
        page = await client.get("/hr/import")
        assert other_language(page.text, "zh", NAMES.values()) == []
        bad = {"file": ("组织.csv", table("PB", wrong=True).encode("gbk"), "text/csv")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=bad)
        assert refused.status_code == 422
        assert "第 3 行：hire_date：" in plain(refused)
        assert other_language(refused.text, "zh", [*NAMES.values(), "华东一组"]) == []
        assert present(site, ["PB1", "PB2"]) == {}
        good = {"file": ("组织.csv", table("PB", wrong=False).encode("gbk"), "text/csv")}
        done = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=good)
        assert done.status_code == 303
        shown = await client.get(done.headers["location"])
        assert "已导入：新建或修改 1 个团队，新增 2 名员工，调动 0 名。" in text(shown)
        assert other_language(shown.text, "zh", NAMES.values()) == []
    assert present(site, ["PB1", "PB2"]) == {"PB1": "PBT", "PB2": "PBT"}
    with site.api.services.read_pool.connection() as conn:
        row = conn.execute("SELECT name FROM rm_employee WHERE employee_id = 'PB1'").fetchone()
    assert row is not None and row["name"] == "王小明"  # type: ignore[call-overload]


def workbook(prefix: str, *, wrong: bool) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in table(prefix, wrong=wrong).splitlines():
        sheet.append([cell or None for cell in line.split(",")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_xlsx_workbook_and_the_api_json(site: Site) -> None:  # noqa: F811
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    async with site.session("hr:H001") as client:
        page = await client.get("/hr/import")
        bad = {"file": ("org.xlsx", workbook("PC", wrong=True), sheet)}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=bad)
        assert refused.status_code == 422 and "line 3: " in text(refused)
        assert present(site, ["PC1", "PC2"]) == {}
        good = {"file": ("org.xlsx", workbook("PC", wrong=False), sheet)}
        done = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=good)
        assert done.status_code == 303, done.text
        assert present(site, ["PC1", "PC2"]) == {"PC1": "PCT", "PC2": "PCT"}

        org = {
            "teams": [{"team_id": "PDT", "name": "华南组", "manager_id": "S001"}],
            "employees": [
                {
                    "employee_id": "PD1",
                    "name": "赵小刚",
                    "role": "sales_rep",
                    "team_id": "PDT",
                    "manager_id": "S001",
                    "hire_date": "2025-05-01",
                }
            ],
        }
        wrong = {**org, "employees": [{**org["employees"][0], "hire_date": "soon"}]}
        files = {"file": ("org.json", orjson.dumps(wrong), "application/json")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=files)
        assert refused.status_code == 422
        assert '<code translate="no">employees.0.hire_date</code>' in refused.text
        files = {"file": ("org.json", orjson.dumps(org), "application/json")}
        done = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=files)
        assert done.status_code == 303, done.text
        assert present(site, ["PD1"]) == {"PD1": "PDT"}

        odd = {"file": ("org.txt", b"hello", "text/plain")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=odd)
        assert refused.status_code == 422 and "choose a .csv, .xlsx or .json file" in text(refused)
        big = {"file": ("org.csv", b"x" * (5 * 1024 * 1024 + 1), "text/csv")}
        refused = await client.post("/hr/import", data={"csrf": csrf_of(page)}, files=big)
        assert refused.status_code == 422 and "is over 5 MB" in text(refused)


async def test_only_hr_imports(site: Site) -> None:  # noqa: F811
    for who in ("employee:E1", "manager:S001", "auditor:A001"):
        async with site.session(who) as client:
            assert (await client.get("/hr/import")).status_code == 403, who


async def test_hr_and_auditor_page_views_are_on_the_audit_record_and_a_reps_are_not(
    site: Site,  # noqa: F811
) -> None:
    recorder = site.api.services.store.audit.recorder
    async with site.session("hr:H001") as client:
        before = recorder.max_notification_id() or 0
        assert (await client.get("/people?q=E")).status_code == 200
        assert (await client.get("/hr/pool")).status_code == 200
        assert (await client.get("/people?format=csv")).status_code == 200
        assert (await client.get("/employee/E1")).status_code == 200  # a person's page
        assert (await client.get("/support")).status_code == 200
        assert (await client.get("/problems")).status_code == 200  # nobody's data: not
        assert (await client.get("/employee/NOPE")).status_code == 404  # not a view
        assert _actions_since(site.api, before) == [
            ("page-view", "/people", "q=E"),
            ("page-view", "/hr/pool", ""),
            ("page-view", "/people", "format=csv"),
            ("page-view", "/employee/E1", ""),
            ("page-view", "/support", ""),
        ]
    async with site.session("auditor:A001") as client:
        before = recorder.max_notification_id() or 0
        assert (await client.get("/employee/E2")).status_code == 200
        assert _actions_since(site.api, before) == [("page-view", "/employee/E2", "")]
    async with site.session("employee:E1") as client:
        before = recorder.max_notification_id() or 0
        assert (await client.get("/employee")).status_code == 200
        assert (await client.get("/people")).status_code in (403, 404)
        assert _actions_since(site.api, before) == []
