"""HR's policy pages on the real stack: the documents in force by name, one document's
versions side by side, a draft checked (bad JSON, a bad field, a valid draft), tried out
(who would join the candidate pool) and published with a note; auditors read and may
not publish; both languages on one page each."""

from __future__ import annotations

import copy
import csv
import io
import re
from typing import Any

import openpyxl
import orjson
import pytest

from aggregates.seed_policies import seed_documents
from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.policies import compare
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers
PAGE = "/hr/policies/promotion_criteria/sales_supervisor"


def criteria() -> dict[str, Any]:
    found = {(k, key): doc for k, key, doc in seed_documents()}
    doc = found[("promotion_criteria", "sales_supervisor")]
    return copy.deepcopy(doc.model_dump(mode="json", exclude={"kind"}))


def stricter_repurchase() -> dict[str, Any]:
    """E1 meets every criterion today; a 99% repurchase rate is beyond them."""
    doc = criteria()
    for c in doc["criteria"]:
        if c.get("id") == "repurchase":
            c["threshold"] = 99
    return doc


async def test_hr_checks_tries_and_publishes_a_draft(site: Site) -> None:  # noqa: F811
    async with site.session("hr:H001") as client:
        listing = await client.get("/hr/policies")
        assert listing.status_code == 200 and f'href="{PAGE}"' in listing.text
        assert "promotion criteria · Sales Supervisor" in text(listing)
        page = await client.get(PAGE)
        assert page.status_code == 200 and "0 fields differ" in page.text
        csrf = csrf_of(page)

        def post(document: str, action: str, note: str = "") -> Any:
            form = {"csrf": csrf, "document": document, "action": action, "note": note}
            return client.post(PAGE, data=form)

        bad = await post("{ not json", "check")
        assert bad.status_code == 422 and "The draft is not JSON" in bad.text
        broken = criteria()
        broken["criteria"][0]["threshold"] = "lots"
        refused = await post(orjson.dumps(broken).decode(), "check")
        assert refused.status_code == 422 and "document.criteria" in text(refused)
        draft = orjson.dumps(stricter_repurchase()).decode()
        checked = await post(draft, "check")
        assert checked.status_code == 200 and "it would publish as version 2" in checked.text

        tried = await post(draft, "what-if")
        assert tried.status_code == 200, tried.text
        row = re.search(rf"{NAMES['E1']}.*?</tr>", tried.text, re.S)
        assert row, tried.text
        assert "yes → <strong>no</strong>" in row.group(0)  # no longer eligible
        assert "eligible: 1 now, 0 with the draft" in tried.text
        policies = site.api.services.policies
        assert policies.current("promotion_criteria", "sales_supervisor").version == 1

        # Publish asks first, showing the fields it changes; nothing is published yet.
        asked = await post(draft, "publish", "repurchase 99%")
        assert asked.status_code == 200 and 'id="confirm"' in asked.text
        assert "Publish version 2?" in text(asked)
        assert re.search(r"criteria\[\d+\]\.threshold", asked.text)
        assert 'name="note" value="repurchase 99%"' in asked.text
        assert policies.current("promotion_criteria", "sales_supervisor").version == 1
        published = await post(draft, "confirm", "repurchase 99%")
        assert published.status_code == 303, published.text
        assert published.headers["location"].endswith("?done=published&a=1&b=2")
        after = await client.get(published.headers["location"])
        assert "Version 2 is published and in force." in after.text
        assert "1 fields differ" in after.text and "repurchase 99%" in after.text
        same = await post(draft, "publish")
        assert "nothing was published" in same.text and 'id="confirm"' not in same.text
        again = await post(draft, "confirm")  # confirmed twice (a second tab): no new version
        assert "nothing was published" in again.text, text(again)[:3000]
        assert policies.current("promotion_criteria", "sales_supervisor").version == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_auditors_read_in_one_language_and_may_not_publish(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    async with site.session("auditor:A001", lang) as client:
        for path in ("/hr/policies", PAGE, "/hr/policies/weekly_cycle/default"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert other_language(page.text, lang, NAMES.values()) == [], path
            assert 'name="action"' not in page.text
        refused = await client.post(
            PAGE, data={"csrf": csrf_of(page), "document": "{}", "action": "publish"}
        )
        assert refused.status_code == 403


def _table(got: Any) -> list[list[str]]:
    assert got.status_code == 200, got.text[:3000]
    assert "attachment" in got.headers["content-disposition"]
    if got.content.startswith(b"PK"):
        sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None
        return [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert got.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_downloads_the_comparison_and_the_what_if_changes(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    said = i18n.gettext_for(lang)
    policies = site.api.services.policies
    current = policies.current("promotion_criteria", "sales_supervisor")
    async with site.session("hr:H001", lang) as client:
        page = await client.get(PAGE)
        a, b = 1, current.version
        assert f'href="{PAGE}?a={max(1, b - 1)}&amp;b={b}&amp;format=csv"' in page.text
        got = _table(await client.get(f"{PAGE}?a={a}&b={b}&format=csv"))
        assert got[0] == [said("Field"), f"v{a}", f"v{b}", said("Changed")]
        one = policies.version("promotion_criteria", "sales_supervisor", a).document
        expected = [
            [r["path"], r["a"], r["b"], said("yes") if r["changed"] else said("no")]
            for r in compare(one, current.document)
        ]
        assert got[1:] == [[exports.cell_text(v) for v in row] for row in expected]
        assert _table(await client.get(f"{PAGE}?a={a}&b={b}&format=xlsx")) == got

        # The what-if: E1's eligibility changes whichever way the version in force is.
        strict = any(
            c.get("id") == "repurchase" and c.get("threshold") == 99
            for c in current.document["criteria"]
        )
        draft = orjson.dumps(criteria() if strict else stricter_repurchase()).decode()
        form = {"csrf": csrf_of(page), "document": draft}
        tried = await client.post(PAGE, data={**form, "action": "what-if"})
        assert 'value="what-if-csv"' in tried.text
        changes = _table(await client.post(PAGE, data={**form, "action": "what-if-csv"}))
        words = ("Person", "Employee id", "Score", "Eligible", "Candidate pool")
        assert changes[0] == [said(w) for w in words]
        e1 = next(r for r in changes[1:] if r[1] == "E1")
        flip = (said("no"), said("yes")) if strict else (said("yes"), said("no"))
        assert e1[0] == NAMES["E1"] and e1[3] == f"{flip[0]} → {flip[1]}"
        xlsx = await client.post(PAGE, data={**form, "action": "what-if-xlsx"})
        assert _table(xlsx) == changes
        assert policies.current("promotion_criteria", "sales_supervisor").version == b
    async with site.session("employee:E1", lang) as rep:
        # The export is allowed exactly as the page is (policy documents are readable).
        shown = (await rep.get(PAGE)).status_code
        assert (await rep.get(f"{PAGE}?format=csv")).status_code == shown
        home = await rep.get("/")
        home = await rep.get(home.headers["location"]) if home.is_redirect else home
        refused = await rep.post(
            PAGE, data={"csrf": csrf_of(home), "document": draft, "action": "what-if-csv"}
        )
        assert refused.status_code == 403
