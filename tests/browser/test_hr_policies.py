"""HR changes a policy in a real headless Chromium, on a 360 px phone and on a desktop, in
Chinese and in English: the policies page from the header, the supervisor criteria's
versions side by side, a draft raising the repurchase threshold checked, tried out (E1
would no longer be eligible) and published with a note; the new version is in force on
the document's page and in the list. Each run puts the old threshold back afterwards (the
served stack is shared by the module's runs). Thumb-sized controls, nothing past the
right edge, no word of the other language."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Served
from tests.browser.support import HR, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    SIZES,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

KIND, KEY = "promotion_criteria", "sales_supervisor"
PAGE = f"/hr/policies/{KIND}/{KEY}"
RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
NOTE = {"zh": "复购率门槛提高到百分之九十九", "en": "repurchase rate raised to 99"}


def stricter(document: dict[str, Any]) -> dict[str, Any]:
    """E1 meets every criterion today; a 99% repurchase rate is beyond them."""
    doc = copy.deepcopy(document)
    for c in doc["criteria"]:
        if c.get("id") == "repurchase":
            c["threshold"] = 99
    return doc


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_tries_and_publishes_a_stricter_criterion(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    policies = served.services.policies
    before = policies.current(KIND, KEY)
    problems: list[str] = []
    viewport = SIZES[size]
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        await follow_header(page, "/hr/policies")
        listed = page.locator(f'#policies a[href="{PAGE}"]')
        await expect(listed).to_be_visible()
        await checked(hr, "policy-list")
        await listed.click()
        await hr.arrive(f"**{PAGE}")
        await expect(page.locator("#compare table.side-by-side")).to_be_visible()
        await expect(page.locator("#versions ol.versions li")).to_have_count(before.version)
        await checked(hr, "policy-document")

        # The draft: checked, then tried out.
        draft = json.dumps(stricter(before.document), ensure_ascii=False, indent=2)
        form = page.locator("#draft form.draft")
        await form.locator("#document").fill(draft)
        await form.locator('button[value="check"]').click()
        await expect(page.locator("#checked")).to_be_visible()
        await expect(page.locator("#checked")).to_contain_text(str(before.version + 1))
        await checked(hr, "policy-checked")

        await page.locator("#draft form.draft #document").fill(draft)
        await page.locator('#draft form.draft button[value="what-if"]').click()
        tried = page.locator("#what-if")
        await expect(tried).to_be_visible()
        e1 = tried.locator("tbody tr").filter(has=page.locator("small.id", has_text="E1"))
        await expect(e1).to_have_count(1)
        await expect(e1.locator("strong")).to_have_count(1)  # eligible: yes → no
        await checked(hr, "policy-what-if")
        assert policies.current(KIND, KEY).version == before.version  # nothing published

        # Published with a note: in force.
        form = page.locator("#draft form.draft")
        await form.locator("#document").fill(draft)
        await form.locator('input[name="note"]').fill(NOTE[lang])
        await form.locator('button[value="publish"]').click()
        confirm = page.locator("#confirm")  # asked first, the changed field shown
        await expect(confirm.locator("tr.changed")).to_have_count(1)
        await checked(hr, "policy-confirm")
        assert policies.current(KIND, KEY).version == before.version  # not yet
        await confirm.locator('button[value="confirm"]').click()
        await hr.arrive("**done=published**")
        published = page.locator("#published")
        await expect(published).to_be_visible()
        await expect(published).to_contain_text(str(before.version + 1))
        await expect(page.locator("#versions")).to_contain_text(NOTE[lang])
        await expect(page.locator("#compare tr.changed")).to_have_count(1)
        await checked(hr, "policy-published")
        now = policies.current(KIND, KEY)
        assert now.version == before.version + 1 and now.note == NOTE[lang]
        assert now.document == stricter(before.document)

        await follow_header(page, "/hr/policies")
        row = page.locator("#policies tbody tr").filter(has=page.locator(f'a[href="{PAGE}"]'))
        await expect(row).to_contain_text(f"v{before.version + 1}")
        await checked(hr, "policy-in-force")
        assert problems == []
    finally:
        await hr.context.close()
        if policies.current(KIND, KEY).document != before.document:
            policies.publish(HR, KIND, KEY, before.document, "browser test: put back")
