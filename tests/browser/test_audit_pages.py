"""The auditor on a 360 px phone in Chinese and on a desktop in English (issue 18, S14): filters the
audit trail by kind and person, opens a history, downloads it and the list as CSV (UTF-8
with BOM) and XLSX (the browser's download events), each in the page's language; every
view is on the audit record once; no text of the other language on the pages."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from aggregates.audit_action import AuditAction
from tests.browser.conftest import Served
from tests.browser.support import checked
from tests.browser.test_browser import SIZES, browser, chromium, sign_in  # noqa: F401

if TYPE_CHECKING:
    from playwright.async_api import Browser

    from tests.browser.test_browser import Visit

SAYS = {
    "en": {"kind": "access token", "issued": "Issued", "header": "Kind", "event": "Event"},
    "zh": {"kind": "访问令牌", "issued": "已签发", "header": "类型", "event": "事件"},
}


async def download(visit: Visit, selector: str, tmp: Path) -> bytes:
    async with visit.page.expect_download() as event:
        await visit.press(visit.page.locator(selector).first)
    got = await event.value
    target = tmp / got.suggested_filename
    await got.save_as(str(target))
    return target.read_bytes()


def audit_actions(served: Served, after: int) -> list[tuple[str, str]]:
    """What was put on the audit record since `after` (only the auditor acts meanwhile)."""
    audit = served.services.store.audit
    found = []
    for n in audit.recorder.select_notifications(after + 1, 100):
        action = audit.repository.get(n.originator_id)
        assert isinstance(action, AuditAction)
        found.append((action.action, action.subject))
    return found


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
async def test_the_auditor_filters_opens_and_downloads(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from openpyxl import load_workbook
    from playwright.async_api import expect

    problems: list[str] = []
    visit = await sign_in(browser, served, "auditor:A001", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    says = SAYS[lang]
    try:
        before = served.services.store.audit.recorder.max_notification_id() or 0
        filters = page.locator("form#filters")
        await filters.locator("select[name=kind]").select_option("token")
        await filters.locator("input[name=person]").fill("E1")
        await visit.press(filters.locator("button[type=submit]"))
        await visit.arrive(re.compile(r"/audit\?kind=token&person=E1"))
        rows = page.locator("#items tbody tr")
        await expect(rows.first).to_have_class(re.compile("kind-token"))
        assert await page.locator("#items tbody tr:not(.kind-token)").count() == 0
        await expect(rows.first.locator("td").first).to_have_text(says["kind"])
        await checked(visit, "audit-list")

        listing = await download(visit, "#list-exports a[href*='export=csv']", tmp_path)
        assert listing.startswith(b"\xef\xbb\xbf")
        text = listing.decode("utf-8-sig")
        assert text.splitlines()[0].split(",")[0] == says["header"]
        assert says["kind"] in text and "+08:00" in text  # the company's zone

        await visit.press(rows.first.locator("td.head a"))
        await visit.arrive(re.compile(r"/audit/token/"))
        token_id = page.url.rsplit("/", 1)[1]
        await expect(page.locator("#events tbody tr").first).to_contain_text(says["issued"])
        await checked(visit, "audit-history")
        sheet = await download(visit, "p.exports a[href$='export=xlsx']", tmp_path)
        table = list(load_workbook(io.BytesIO(sheet)).active.iter_rows(values_only=True))
        assert table[0][3] == says["event"] and table[1][3] == says["issued"]
        assert "secret_hash" not in str(table)
        history_csv = await download(visit, "p.exports a[href$='export=csv']", tmp_path)
        assert history_csv.startswith(b"\xef\xbb\xbf") and says["issued"] in (
            history_csv.decode("utf-8-sig")
        )
        # Each view and each download on the record, once.
        assert audit_actions(served, before) == [
            ("page-view", "audit items"),
            ("export-csv", "audit items"),
            ("page-view", f"token {token_id}"),
            ("export-xlsx", f"token {token_id}"),
            ("export-csv", f"token {token_id}"),
        ]
        assert not problems, problems
    finally:
        await visit.context.close()
