"""HR's metric upload page on the real stack: a GBK CSV from Excel is imported through
the import workflow, the same file again changes nothing, a short row is refused with its
line in the page's language and nothing is written; other files and roles are refused."""

from __future__ import annotations

import pytest

from projections.metrics import measurements_of
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

GOOD = (
    "employee_id,period,metric,value,source,item\n"
    "E3,2025-03,course_completed,75,lms,大客户资源协调\n"
)
SHORT = "employee_id,period,metric,value,source\nE3,2025-02,customer_visits,6,crm\nE3,2025-02\n"


def stored(where: Site, period: str) -> list[object]:
    with where.api.services.read_pool.connection() as conn:
        return list(measurements_of(conn, "E3", None, period))  # type: ignore[arg-type]


async def test_hr_uploads_a_gbk_export_and_sees_a_refused_file_line_by_line(
    site: Site,  # noqa: F811
) -> None:
    async with site.session("hr:H001") as client:
        page = await client.get("/hr/metrics")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
        files = {"file": ("march.csv", GOOD.encode("gbk"), "text/csv")}
        done = await client.post("/hr/metrics", data={"csrf": csrf_of(page)}, files=files)
        assert done.status_code == 200, done.text
        assert "imported: 1 rows for 1 people" in text(done)
        again = await client.post("/hr/metrics", data={"csrf": csrf_of(page)}, files=files)
        assert "was imported before" in text(again)
        site.api.caught_up()
        assert len(stored(site, "2025-03")) == 1

        bad = {"file": ("feb.csv", SHORT.encode("gbk"), "text/csv")}
        refused = await client.post("/hr/metrics", data={"csrf": csrf_of(page)}, files=bad)
        assert refused.status_code == 422
        assert "line 3: row has 2 of 5 columns" in text(refused)
        assert "Nothing was imported" in refused.text
        wrong = {"file": ("notes.txt", b"hello", "text/plain")}
        odd = await client.post("/hr/metrics", data={"csrf": csrf_of(page)}, files=wrong)
        assert odd.status_code == 422 and "choose a .csv, .xlsx or .jsonl export" in text(odd)
    site.api.caught_up()
    assert stored(site, "2025-02") == []

    async with site.session("hr:H001", "zh") as client:
        page = await client.get("/hr/metrics")
        assert other_language(page.text, "zh", NAMES.values()) == []
        refused = await client.post("/hr/metrics", data={"csrf": csrf_of(page)}, files=bad)
        assert "第 3 行：该行有 2 列，应为 5 列" in text(refused)
        assert other_language(refused.text, "zh", NAMES.values()) == []


async def test_reps_may_not_upload(site: Site) -> None:  # noqa: F811
    async with site.session("employee:E1") as client:
        assert (await client.get("/hr/metrics")).status_code == 403
