"""HR's tokens in a real headless Chromium, on a 360 px phone and on a desktop, in Chinese
and in English: the tokens page from the header, a token issued for a person (the secret
shown once, then listed), revoked with a reason; the revoked token no longer signs in.
Thumb-sized controls, nothing past the right edge, no word of the other language."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Served
from tests.browser.support import checked, follow_header, one_language
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    BROWSER_LOCALE,
    SIZES,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
SAY = {
    "zh": {"label": "手机", "reason": "手机丢失", "revoked": "已撤销"},
    "en": {"label": "phone", "reason": "lost phone", "revoked": "revoked"},
}


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_issues_and_revokes_a_token(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    problems: list[str] = []
    viewport = SIZES[size]
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    try:
        await follow_header(page, "/hr/tokens")
        await expect(page.locator("#issue")).to_be_visible()
        await checked(hr, "tokens-list")

        # Issue one for E2: the secret is shown once.
        form = page.locator("#issue form")
        await form.locator('input[name="person_id"]').fill("E2")
        await form.locator('select[name="role"]').select_option("employee")
        await form.locator('input[name="label"]').fill(SAY[lang]["label"])
        await form.locator('input[name="days"]').fill("30")
        await form.locator('button[type="submit"]').click()
        secret = page.locator("#issued code.secret")
        await expect(secret).to_be_visible()
        token = (await secret.inner_text()).strip()
        assert token.startswith("cf_")
        token_id = token[3:].split(".")[0]
        row = page.locator(f"#token-{token_id}")
        await expect(row).to_be_visible()
        await checked(hr, "tokens-issued")

        # Listed, and not shown again.
        await page.goto(f"{served.base_url}/hr/tokens?q=E2")
        await expect(page.locator(f"#token-{token_id}")).to_be_visible()
        assert token not in await page.content()

        # Revoked with a reason.
        row = page.locator(f"#token-{token_id}")
        await row.locator('input[name="reason"]').fill(SAY[lang]["reason"])
        await row.locator("form.revoke button").click()
        await hr.arrive("**done=revoked**")
        await page.goto(f"{served.base_url}/hr/tokens?state=revoked&q=E2")
        row = page.locator(f"#token-{token_id}")
        await expect(row).to_contain_text(SAY[lang]["reason"])
        await expect(row.locator("form.revoke")).to_have_count(0)
        await checked(hr, "tokens-revoked")

        # The revoked token no longer signs anyone in.
        other = await browser.new_context(viewport=viewport, locale=BROWSER_LOCALE[lang])
        try:
            login = await other.new_page()
            await login.goto(f"{served.base_url}/login")
            await login.fill("#token", token)
            await login.locator("form.login-form button").click()
            await expect(login.locator("p.error[role=alert]")).to_be_visible()
            assert "/login" in login.url
            await one_language(login, lang)
            assert await login.evaluate("document.cookie") == ""
        finally:
            await other.close()
        assert [p for p in problems if "status of 401" not in p] == []
    finally:
        await hr.context.close()
