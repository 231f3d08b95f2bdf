"""The rep's promotion page in a real headless Chromium on a 360 px phone and on a
desktop, in Chinese and in English: E1 (eligible in the arranged data) withdraws the
application that is open and applies again from /promotion, then sees the new one at
manager review; E2 reads their gaps (criteria not met, each with its suggestion) and the
potential score's weighted parts (a chart) before the form. Every page fits its screen,
a phone's controls are thumb-sized, and it has no text of the other language."""

# ruff: noqa: F811 (the shared fixtures `browser` and `chromium` are imported by name)
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Served
from tests.browser.support import HR, NAMES, checked
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    BROWSER_LOCALE,
    DESKTOP,
    HTML_LANG,
    PHONE,
    Visit,
    browser,
    charts_drawn,
    chromium,
    needs_cjk_font,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator

SAYS: dict[str, dict[str, str]] = {
    "en": {
        "sign in": "Sign in",
        "apply": "Apply for Sales Supervisor",
        "applied": "Your application was started",
        "met": "every criterion is met",
        "not met": "criteria not met yet",
        "manager review": "manager review",
        "withdraw": "Withdraw the application",
        "withdrawn": "You withdrew the application.",
        "reason": "Not this quarter",
    },
    "zh": {
        "sign in": "登录",
        "apply": "申请晋升为销售主管",
        "applied": "你的申请已提交",
        "met": "所有条件均已达成",
        "not met": "项条件未达成",
        "manager review": "主管审批",
        "withdraw": "撤回申请",
        "withdrawn": "你已撤回该申请。",
        "reason": "下个季度再申请",
    },
}


async def press(visit: Visit, target: Locator) -> None:
    """A thumb's tap on a phone, a click on a desktop."""
    await (target.tap() if visit.size == "phone" else target.click())


async def rep_signs_in(
    browser: Browser,
    served: Served,
    who: str,
    lang: str,
    tmp: Path,
    problems: list[str],
    size: str = "phone",
) -> Visit:
    """A fresh phone (or desktop) speaking `lang`, /promotion, the login form, and back
    (the switch on the page where the profile's language won)."""
    needs_cjk_font(lang)
    phone = size == "phone"
    context = await browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale=BROWSER_LOCALE[lang],
        timezone_id="Asia/Shanghai",
        is_mobile=phone,
        has_touch=phone,
    )
    page = await context.new_page()
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    visit = Visit(served, context, page, who, lang, size, tmp, problems)
    home = served.base_url + "/promotion"
    await page.goto(home)
    assert "/login?next=" in page.url, page.url
    await page.fill("#token", served.tokens[who])
    await page.get_by_role("button", name=SAYS[lang]["sign in"]).click()
    await page.wait_for_url(home)
    if await page.locator("html").get_attribute("lang") != HTML_LANG[lang]:
        await page.locator(f'header nav.langs a[hreflang="{lang}"]').click()
        await page.wait_for_url(home)
    await visit.in_language()
    return visit


@pytest.mark.parametrize(
    ("lang", "size"), [("zh", "phone"), ("en", "phone"), ("zh", "desktop"), ("en", "desktop")]
)
async def test_the_rep_applies_on_a_phone_and_a_desktop(
    browser: Browser, served: Served, lang: str, size: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    problems: list[str] = []
    visit = await rep_signs_in(browser, served, "employee:E1", lang, tmp_path, problems, size)
    page = visit.page
    try:
        # Readiness first: eligible, every criterion met.
        await expect(page.locator("#readiness")).to_contain_text(say["met"])
        await expect(page.locator("#readiness tr.unmet")).to_have_count(0)
        e1 = served.services.promotion_queries.of_employee(HR, "E1")
        before = {a["application_id"] for a in e1}
        still_open = [a for a in e1 if a["stage"] not in ("withdrawn", "rejected", "declined")]
        await checked(visit, "promotion-open")
        # The open application (the arranged one, or the last run's): withdrawn first.
        for a in still_open:
            await press(
                visit, page.locator(f'#applications a[href="/applications/{a["application_id"]}"]')
            )
            form = page.locator("form.withdraw-form")
            await form.locator('input[name="reason"]').fill(say["reason"])
            await checked(visit, "withdraw-form")
            await press(visit, form.get_by_role("button", name=say["withdraw"]))
            await visit.arrive("**?done=withdrawn")
            await expect(page.locator(".notice")).to_contain_text(say["withdrawn"])
            await expect(page.locator("form.withdraw-form")).to_have_count(0)
            await checked(visit, "withdrawn")
            await visit.goto("/promotion")

        # Apply for the next role from the phone.
        apply = page.get_by_role("button", name=say["apply"])
        await expect(apply).to_be_visible()
        await press(visit, apply)
        await visit.arrive("**/promotion?done=applied*")
        await expect(page.locator(".notice")).to_contain_text(say["applied"])
        mine = served.services.promotion_queries.of_employee(HR, "E1")
        new = [a for a in mine if a["application_id"] not in before]
        assert len(new) == 1, mine
        await expect(
            page.locator(f'#applications a[href="/applications/{new[0]["application_id"]}"]')
        ).to_be_visible()
        await expect(page.locator("#applications")).to_contain_text(say["manager review"])
        await checked(visit, "applied")
    finally:
        await visit.context.close()
    assert not problems, problems


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
async def test_a_rep_not_yet_eligible_sees_the_gaps(
    browser: Browser, served: Served, lang: str, size: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    problems: list[str] = []
    visit = await rep_signs_in(browser, served, "employee:E2", lang, tmp_path, problems, size)
    page = visit.page
    try:
        assert NAMES["E2"] in await page.locator("p.sub").inner_text()
        readiness = page.locator("#readiness")
        await expect(readiness).to_contain_text(SAYS[lang]["not met"])
        assert await page.locator("#readiness tr.unmet").count() >= 1
        await expect(page.locator("#readiness tr.unmet .suggestion").first).to_be_visible()
        assert "*" not in await readiness.inner_text()  # course markers shown, not raw
        # The potential score's weighted parts, drawn as a chart on the phone.
        parts = page.locator('#readiness canvas[data-chart="chart-parts"]')
        await expect(parts).to_be_visible()
        assert await charts_drawn(page) == [True], "the parts chart was not drawn"
        # The gaps come before the form, which the engine answers (not the page).
        boxes = [await page.locator(s).bounding_box() for s in ("#readiness", "#apply")]
        assert boxes[0] and boxes[1] and boxes[0]["y"] < boxes[1]["y"], boxes
        await checked(visit, "gaps")
    finally:
        await visit.context.close()
    assert not problems, problems
