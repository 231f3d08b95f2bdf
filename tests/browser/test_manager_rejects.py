"""A manager rejects a promotion application in a real headless Chromium and the rep
applies again (issue 18), in Chinese and in English, on a 360 px phone and on a desktop:
S001 finds E1's application waiting on /manager, opens it, rejects it with a comment; the
application page says so, the decision form is gone, and after a reload (the read model)
it is still rejected and no longer waits on /manager. E1 finds it rejected on /promotion,
reads the manager's comment on its page (no step left for the applicant there), and
applies again from /promotion: the new application is at manager review, for the rep and
on S001's /manager (where the next run rejects it). Every page fits the window, has
thumb-sized controls on a phone and no text of the other language; screenshots are kept
under var/browser/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Served
from tests.browser.support import HR, NAMES, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
SAYS = {
    "en": {
        "reject": "Reject",
        "rejected": "rejected",
        "manager review": "manager review",
        "apply": "Apply for Sales Supervisor",
        "applied": "Your application was started",
        "comment": "Lead two new reps for a quarter first",
    },
    "zh": {
        "reject": "驳回",
        "rejected": "已驳回",
        "manager review": "主管审批",
        "apply": "申请晋升为销售主管",
        "applied": "你的申请已提交",
        "comment": "先带两名新人满一个季度",
    },
}


def waiting_for_the_manager(served: Served) -> str:
    """E1's application at manager review: the arranged one, or the last run's."""
    mine = served.services.promotion_queries.of_employee(HR, "E1")
    waiting = [a["application_id"] for a in mine if a["stage"] == "manager_review"]
    assert len(waiting) == 1, mine
    return str(waiting[0])


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_the_manager_rejects_and_the_rep_applies_again(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    queries = served.services.promotion_queries
    application_id = waiting_for_the_manager(served)
    viewport = PHONE if size == "phone" else DESKTOP
    problems: list[str] = []
    manager = await sign_in(browser, served, "manager:S001", lang, viewport, tmp_path, problems)
    rep = await sign_in(browser, served, "employee:E1", lang, viewport, tmp_path, problems)
    try:
        # -- the manager finds the application waiting, opens it and rejects it --------
        mpage = manager.page
        row = mpage.locator(f'tr[data-application="{application_id}"]')
        await expect(row).to_contain_text(NAMES["E1"])
        await checked(manager, "manager-waiting")
        await row.locator(f'a[href="/applications/{application_id}"]').click()
        await mpage.wait_for_url(f"**/applications/{application_id}")
        decide = mpage.locator("#decide form.decide")
        await expect(decide).to_be_visible()
        await checked(manager, "application-to-decide")
        await decide.locator('input[name="comment"]').fill(say["comment"])
        await decide.get_by_role("button", name=say["reject"]).click()
        await mpage.wait_for_url(f"**/applications/{application_id}?decided=reject")
        await expect(mpage.locator(".notice")).to_contain_text(say["rejected"])
        await expect(mpage.locator("#timeline")).to_contain_text(say["comment"])
        await expect(mpage.locator("form.decide")).to_have_count(0)
        await checked(manager, "rejected")
        await mpage.reload()  # the read model says it, not the redirect
        await expect(mpage.locator("p.sub")).to_contain_text(say["rejected"])
        await expect(mpage.locator("form.decide")).to_have_count(0)
        assert queries.application(HR, application_id)["stage"] == "rejected"
        await manager.goto("/manager")
        await expect(row).to_have_count(0)

        # -- the rep reads it on /promotion and the manager's comment on its page ------
        page = rep.page
        await follow_header(page, "/promotion")
        link = page.locator(f'a[href="/applications/{application_id}"]')
        listed = page.locator("#applications tbody tr").filter(has=link)
        await expect(listed).to_contain_text(say["rejected"])
        await checked(rep, "promotion-rejected")
        await link.click()
        await page.wait_for_url(f"**/applications/{application_id}")
        await expect(page.locator("#timeline")).to_contain_text(say["comment"])
        await expect(page.locator("#applicant")).to_have_count(0)  # nothing left to do here
        await checked(rep, "rep-reads-the-rejection")

        # -- and applies again from /promotion ----------------------------------------
        await rep.goto("/promotion")
        before = {a["application_id"] for a in queries.of_employee(HR, "E1")}
        await page.get_by_role("button", name=say["apply"]).click()
        await page.wait_for_url("**/promotion?done=applied*")
        await expect(page.locator(".notice")).to_contain_text(say["applied"])
        new = [a for a in queries.of_employee(HR, "E1") if a["application_id"] not in before]
        assert len(new) == 1, new
        again = new[0]["application_id"]
        assert again != application_id
        await page.reload()
        mine = page.locator("#applications tbody tr").filter(
            has=page.locator(f'a[href="/applications/{again}"]')
        )
        await expect(mine).to_contain_text(say["manager review"])
        await checked(rep, "applied-again")

        # -- the new one waits for the manager ----------------------------------------
        await manager.goto("/manager")
        await expect(mpage.locator(f'tr[data-application="{again}"]')).to_contain_text(NAMES["E1"])
        await checked(manager, "manager-waiting-again")
        assert waiting_for_the_manager(served) == again
    finally:
        await manager.context.close()
        await rep.context.close()
    assert not problems, problems
