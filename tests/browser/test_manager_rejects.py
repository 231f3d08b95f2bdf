"""A manager rejects a promotion application in a real headless Chromium and the rep
applies again (issue 18), in Chinese and in English, on a 360 px phone and on a desktop:
S001 finds E1's application waiting on /manager, opens it, rejects it with a comment; the
application page says so, the decision form is gone, and after a reload (the read model)
it is still rejected and no longer waits on /manager. E1 finds it rejected on /promotion,
reads the manager's comment on its page (no step left for the applicant there), and
applies again from /promotion: the new application is at manager review, for the rep and
on S001's /manager (where the next run rejects it).

The manager's approval returns an application whose criteria are not met: E2 (not yet
eligible) applies from /promotion (the first run), S001 approves it with a comment, it is
returned; E2 finds it returned on /promotion and resubmits it from its page: round 2 (3,
4, …) waits for S001 again (where the next run returns it). Every page fits the window,
has thumb-sized controls on a phone and no text of the other language; screenshots are
kept under var/browser/."""

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
        "approve": "Approve",
        "returned": "returned",
        "not met": "criteria not met",
        "resubmit": "Resubmit",
        "resubmitted": "You resubmitted the application",
        "keep going": "Keep the repurchase rate up",
    },
    "zh": {
        "reject": "驳回",
        "rejected": "已驳回",
        "manager review": "主管审批",
        "apply": "申请晋升为销售主管",
        "applied": "你的申请已提交",
        "comment": "先带两名新人满一个季度",
        "approve": "批准",
        "returned": "已退回",
        "not met": "条件未达成",
        "resubmit": "重新提交",
        "resubmitted": "你已重新提交申请",
        "keep going": "继续提升复购率",
    },
}


def waiting_for_the_manager(served: Served, rep: str = "E1") -> str | None:
    """The rep's application at manager review: E1's arranged one, or the last run's."""
    mine = served.services.promotion_queries.of_employee(HR, rep)
    if rep != "E1" and not mine:
        return None
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
    assert application_id
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
        await manager.arrive(f"**/applications/{application_id}")
        decide = mpage.locator("#decide form.decide")
        await expect(decide).to_be_visible()
        await checked(manager, "application-to-decide")
        await decide.locator('input[name="comment"]').fill(say["comment"])
        await decide.get_by_role("button", name=say["reject"]).click()
        await manager.arrive(f"**/applications/{application_id}?decided=reject")
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
        await rep.arrive(f"**/applications/{application_id}")
        await expect(page.locator("#timeline")).to_contain_text(say["comment"])
        await expect(page.locator("#applicant")).to_have_count(0)  # nothing left to do here
        await checked(rep, "rep-reads-the-rejection")

        # -- and applies again from /promotion ----------------------------------------
        await rep.goto("/promotion")
        before = {a["application_id"] for a in queries.of_employee(HR, "E1")}
        await page.get_by_role("button", name=say["apply"]).click()
        await rep.arrive("**/promotion?done=applied*")
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


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_the_managers_approval_returns_it_and_the_rep_resubmits(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    queries = served.services.promotion_queries
    viewport = PHONE if size == "phone" else DESKTOP
    problems: list[str] = []
    rep = await sign_in(browser, served, "employee:E2", lang, viewport, tmp_path, problems)
    manager = await sign_in(browser, served, "manager:S001", lang, viewport, tmp_path, problems)
    page, mpage = rep.page, manager.page
    try:
        application_id = waiting_for_the_manager(served, "E2")
        if application_id is None:  # the first run: E2 applies, criteria not met
            await follow_header(page, "/promotion")
            await page.get_by_role("button", name=say["apply"]).click()
            await rep.arrive("**/promotion?done=applied*")
            application_id = waiting_for_the_manager(served, "E2")
            assert application_id
        before = queries.application(HR, application_id)

        # -- the manager approves it; the unmet criteria return it ---------------------
        await manager.goto("/manager")
        row = mpage.locator(f'tr[data-application="{application_id}"]')
        await expect(row).to_contain_text(NAMES["E2"])
        await expect(row).to_contain_text(say["not met"])
        await row.locator(f'a[href="/applications/{application_id}"]').click()
        await manager.arrive(f"**/applications/{application_id}")
        await expect(mpage.locator("#evaluation li.unmet").first).to_be_visible()
        decide = mpage.locator("#decide form.decide")
        await decide.locator('input[name="comment"]').fill(say["keep going"])
        await decide.get_by_role("button", name=say["approve"]).click()
        await manager.arrive(f"**/applications/{application_id}?decided=approve")
        await expect(mpage.locator(".notice")).to_contain_text(say["returned"])
        await checked(manager, "approved-returned")
        assert queries.application(HR, application_id)["stage"] == "returned"

        # -- the rep finds it returned and resubmits it from its page ------------------
        await follow_header(page, "/promotion")
        link = page.locator(f'a[href="/applications/{application_id}"]')
        listed = page.locator("#applications tbody tr").filter(has=link)
        await expect(listed).to_contain_text(say["returned"])
        await checked(rep, "promotion-returned")
        await listed.locator(link).click()
        await rep.arrive(f"**/applications/{application_id}")
        await expect(page.locator("#timeline")).to_contain_text(say["keep going"])
        resubmit = page.locator("#applicant form.resubmit-form")
        await expect(resubmit).to_be_visible()
        await checked(rep, "returned-application")
        await resubmit.get_by_role("button", name=say["resubmit"]).click()
        await rep.arrive(f"**/applications/{application_id}?done=resubmitted")
        await expect(page.locator(".notice")).to_contain_text(say["resubmitted"])
        await expect(page.locator("#applicant form.resubmit-form")).to_have_count(0)
        await checked(rep, "resubmitted")
        after = queries.application(HR, application_id)
        assert after["round"] == before["round"] + 1 and after["stage"] == "manager_review"
        await follow_header(page, "/promotion")
        await expect(listed).to_contain_text(say["manager review"])

        # -- and it waits for the manager again ----------------------------------------
        await manager.goto("/manager")
        await expect(row).to_contain_text(NAMES["E2"])
        await checked(manager, "manager-waiting-round-2")
    finally:
        await rep.context.close()
        await manager.context.close()
    assert not problems, problems
