"""HR's policy pages on the real stack: the documents in force by name, one document's
versions side by side, a draft checked (bad JSON, a bad field, a valid draft), tried out
(who would join the candidate pool) and published with a note; auditors read and may
not publish; both languages on one page each."""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson
import pytest

from aggregates.seed_policies import seed_documents
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

        published = await post(draft, "publish", "repurchase 99%")
        assert published.status_code == 303, published.text
        assert published.headers["location"].endswith("?done=published&a=1&b=2")
        after = await client.get(published.headers["location"])
        assert "Version 2 is published and in force." in after.text
        assert "1 fields differ" in after.text and "repurchase 99%" in after.text
        same = await post(draft, "publish")
        assert "nothing was published" in same.text


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
