"""Support requests in a real headless Chromium (issue 18, S3), the issue's case in each
language: the rep raises a request (on a 360 px phone in Chinese, on a desktop in
English), the product team's lead (PD01, in the support_process version the API tests
publish) finds it in the queue on the other size, acknowledges and answers it, and the
rep confirms; the Chinese run reopens once first and the team answers again. The read
model says where each request is; every page is checked for thumb-sized controls,
nothing past the edge and no text of the other language; the manager finds the request
among the team's (on the rep's size)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from careerflow.principal import AccessRole, Principal
from projections.paging import PageRequest
from tests.browser.conftest import Served
from tests.browser.support import HR, NAMES, checked, staff_support
from tests.browser.test_browser import (  # noqa: F401  (fixtures)
    HOMES,
    SIZES,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

HOMES.setdefault("employee:PD01", "/support")
HOMES.setdefault("employee:PD02", "/support")
SAYS = {
    "en": {
        "raise": "Raise a request",
        "send": "Raise the request",
        "raised": "Your request was raised",
        "queue": "Queue: Product team",
        "acknowledge": "Acknowledge",
        "send answer": "Send the answer",
        "confirm": "Confirm: it is resolved",
        "reopen": "Reopen",
        "resolved": "resolved",
        "answered": "answered",
        "min": "min",
    },
    "zh": {
        "raise": "提出请求",
        "send": "提交请求",
        "raised": "您的请求已提交",
        "queue": "待办队列：产品团队",
        "acknowledge": "受理",
        "send answer": "发送答复",
        "confirm": "确认：已解决",
        "reopen": "重开",
        "resolved": "已解决",
        "answered": "已答复",
        "min": "分钟",
    },
}


@pytest.fixture(scope="module")
async def staffed(served: Served) -> Served:
    """The product team named (version 2) and its lead's and member's tokens issued."""
    return await staff_support(served)


@pytest.mark.parametrize(("lang", "size"), [("en", "desktop"), ("zh", "phone")])
async def test_a_rep_raises_and_the_team_answers(
    browser: Browser,  # noqa: F811  (the fixture imported above)
    staffed: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    served = staffed
    queries = served.services.support_queries
    rep_principal = Principal(person_id="E1", role=AccessRole.employee)
    problems: list[str] = []
    other = "desktop" if size == "phone" else "phone"  # the team's lead on the other size
    rep = await sign_in(browser, served, "employee:E1", lang, SIZES[size], tmp_path, problems)
    team = await sign_in(browser, served, "employee:PD01", lang, SIZES[other], tmp_path, problems)
    words = f"{lang}: 客户需要定制化服务，产品团队何时能答复？"
    try:
        # -- the rep raises a request from the phone -----------------------------------
        page = rep.page
        await rep.goto("/support")
        await checked(rep, "support-mine")
        await rep.press(page.get_by_role("link", name=say["raise"]))
        await rep.arrive("**/support/new")
        await checked(rep, "support-new")
        await page.locator('select[name="category"]').select_option("product")
        await page.locator('textarea[name="text"]').fill(words)
        await page.locator('input[name="customer"]').fill("杭州联信")
        await rep.press(page.get_by_role("button", name=say["send"]))
        await rep.arrive("**?done=raised")
        rid = page.url.split("/support/")[1].split("?")[0]
        await expect(page.locator(".notice")).to_contain_text(say["raised"])
        await expect(page.locator("#clock")).to_contain_text(say["min"])
        await checked(rep, "support-raised")
        assert queries.request(HR, rid).status == "open"

        # -- the team's lead finds it in the queue, acknowledges and answers ----------
        tpage = team.page
        await team.goto("/support/queue/product")
        await expect(tpage.locator("h1")).to_have_text(say["queue"])
        await checked(team, "support-queue")
        await team.press(tpage.locator(f'a[href="/support/{rid}"]'))
        await team.arrive(f"**/support/{rid}")
        await team.press(tpage.get_by_role("button", name=say["acknowledge"]))
        await team.arrive("**?done=acknowledge")
        await checked(team, "support-acknowledged")
        assert queries.request(HR, rid).status == "acknowledged"
        await tpage.locator('#actions textarea[name="text"]').fill("A proposal by Friday.")
        await team.press(tpage.get_by_role("button", name=say["send answer"]))
        await team.arrive("**?done=answer")
        await checked(team, "support-answered")

        # -- the rep reads the answer (reopens once in Chinese) and confirms --------------
        await rep.goto(f"/support/{rid}")
        await expect(page.locator("#request")).to_contain_text("A proposal by Friday.")
        await expect(page.locator(".sub")).to_contain_text(say["answered"])
        await checked(rep, "support-answer")
        if lang == "zh":
            await page.locator('#actions form[action$="/reopen"] textarea').fill(
                "客户还需要交付日期"
            )
            await rep.press(page.get_by_role("button", name=say["reopen"], exact=True))
            await rep.arrive("**?done=reopen")
            await checked(rep, "support-reopened")
            assert queries.request(HR, rid).reopens == 1
            await team.goto(f"/support/{rid}")
            await expect(tpage.locator("#steps")).to_contain_text("客户还需要交付日期")
            await tpage.locator('#actions textarea[name="text"]').fill("20 号交付")
            await team.press(tpage.get_by_role("button", name=say["send answer"]))
            await team.arrive("**?done=answer")
            await rep.goto(f"/support/{rid}")
            await expect(page.locator("#request")).to_contain_text("20 号交付")
        await rep.press(page.get_by_role("button", name=say["confirm"]))
        await rep.arrive("**?done=confirm")
        await expect(page.locator(".sub")).to_contain_text(say["resolved"])
        await expect(page.locator("#actions")).to_have_count(0)
        await checked(rep, "support-resolved")
        view = queries.request(HR, rid)
        assert view.status == "resolved"
        assert [s.kind for s in view.steps] == (
            ["Raised", "Acknowledged", "Answered", "Reopened", "Answered", "Confirmed"]
            if lang == "zh"
            else ["Raised", "Acknowledged", "Answered", "Confirmed"]
        )
        mine = queries.mine_paged(rep_principal, PageRequest())
        assert rid in [r.request_id for r in mine.items]
    finally:
        await rep.context.close()
        await team.context.close()

    # -- the manager sees it among the team's requests ---------------------------------
    boss = await sign_in(browser, served, "manager:S001", lang, SIZES[size], tmp_path, problems)
    try:
        await boss.goto("/team/support")
        row = boss.page.locator(
            "table.requests tbody tr", has=boss.page.locator(f'a[href="/support/{rid}"]')
        )
        await expect(row).to_contain_text(NAMES["E1"])
        await checked(boss, "team-support")
    finally:
        await boss.context.close()
    assert not problems, problems
