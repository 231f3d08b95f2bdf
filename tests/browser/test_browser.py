"""The dashboards in a real headless Chromium (Debian's, driven by Playwright's Python
package; no browser is downloaded): each role signs in with their token, sees their page
with its charts drawn (a screenshot each, in the test's tmp dir), the manager approves
E1's application from the dashboard, and every page then shows the application moved on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Served
from tests.browser.support import NAMES
from tests.conftest import missing_real_part

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOMES = {
    "employee:E1": "/employee",
    "manager:S001": "/manager",
    "hr:H001": "/hr",
    "auditor:A001": "/audit",
}
DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-chart]'),
    c => c.dataset.drawn === 'true' && !!window.Chart && !!window.Chart.getChart(c))"""


@pytest.fixture(scope="module")
def chromium() -> str:
    """Checked before the stack starts: Debian's Chromium and the Playwright package."""
    if not CHROMIUM.exists():
        missing_real_part(
            f"{CHROMIUM} is missing: `python3 run.py test` installs Debian's chromium when "
            "run as root (apt-get install -y chromium)"
        )
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        missing_real_part("PyPI playwright is not installed (pip install -e '.[dev]')")
    return str(CHROMIUM)


async def sign_in(browser: Browser, served: Served, who: str, problems: list[str]) -> Page:
    """A fresh browser profile, the role's home page, the login form, and back."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"{who}: console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{who}: page error: {error}"))
    home = served.base_url + HOMES[who]
    await page.goto(home)
    assert "/login?next=" in page.url, f"{who}: not sent to the login page ({page.url})"
    await page.fill("#token", served.tokens[who])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(home)
    return page


async def charts_drawn(page: Page) -> list[bool]:
    drawn: list[bool] = await page.evaluate(DRAWN)
    return drawn


async def forms(page: Page) -> list[str]:
    actions: list[str] = await page.eval_on_selector_all(
        "form", "fs => fs.map(f => f.getAttribute('action'))"
    )
    return actions


async def test_every_role_signs_in_and_the_manager_approves(
    chromium: str, served: Served, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    application_id = served.arranged.application_id
    problems: list[str] = []
    shots: list[Path] = []

    async def screenshot(page: Page, name: str) -> None:
        path = tmp_path / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=FLAGS, headless=True
        )
        try:
            # -- the employee: their own page, charts drawn, nobody else's name -------
            employee = await sign_in(browser, served, "employee:E1", problems)
            await expect(employee.locator("h1")).to_contain_text(NAMES["E1"])
            await expect(employee.locator("#potential")).to_contain_text("of 10")
            await expect(employee.locator("#distance")).to_contain_text("sales supervisor")
            await expect(employee.locator("#week")).to_contain_text(served.arranged.week)
            await expect(employee.locator("#applications")).to_contain_text("manager review")
            body = await employee.locator("body").inner_text()
            assert NAMES["E2"] not in body and NAMES["E3"] not in body
            drawn = await charts_drawn(employee)
            assert len(drawn) == 2 and all(drawn), drawn  # indicators, plan vs actual
            assert await forms(employee) == ["/logout"]
            await screenshot(employee, "employee")

            # -- the manager: the approval waiting with its SLA clock -----------------
            manager = await sign_in(browser, served, "manager:S001", problems)
            row = manager.locator(f'tr[data-application="{application_id}"]')
            await expect(row).to_contain_text(NAMES["E1"])
            await expect(row).to_contain_text("working days")
            await expect(manager.locator("#board")).to_contain_text(NAMES["E2"])
            drawn = await charts_drawn(manager)
            assert drawn and all(drawn), drawn
            await screenshot(manager, "manager")

            # -- HR: the pipeline chart and the criteria versions ---------------------
            hr = await sign_in(browser, served, "hr:H001", problems)
            pipeline = hr.locator("#pipeline tr", has_text="manager review")
            await expect(pipeline).to_contain_text("1")
            await expect(hr.locator("#criteria")).to_contain_text("v1")
            drawn = await charts_drawn(hr)
            assert drawn and all(drawn), drawn
            await screenshot(hr, "hr")

            # -- the auditor: the application's history, nothing to press -------------
            auditor = await sign_in(browser, served, "auditor:A001", problems)
            await auditor.locator(f'a[href="/audit/application/{application_id}"]').click()
            await auditor.wait_for_url(f"**/audit/application/{application_id}")
            await expect(auditor.locator("#events")).to_contain_text("Submitted")
            assert await forms(auditor) == ["/logout"]
            await screenshot(auditor, "auditor")

            # -- the action: the manager approves E1's application --------------------
            await row.locator('input[name="comment"]').fill("ready to lead the team")
            await row.get_by_role("button", name="Approve").click()
            await manager.wait_for_url(f"**/applications/{application_id}?decided=approve")
            await expect(manager.locator(".notice")).to_contain_text("hr review")
            timeline = manager.locator("#timeline")
            await expect(timeline).to_contain_text("Manager Decided")
            await expect(timeline).to_contain_text("ready to lead the team")
            await expect(timeline).to_contain_text("by S001")
            await expect(manager.locator("form.decide")).to_have_count(0)
            await screenshot(manager, "manager-approved")
            await manager.goto(served.base_url + "/manager")
            await expect(manager.locator(f'tr[data-application="{application_id}"]')).to_have_count(
                0
            )

            # -- what everyone else now sees ------------------------------------------
            await employee.reload()
            applications = employee.locator("#applications")
            await expect(applications).to_contain_text("hr review")
            await expect(applications).to_contain_text("ready to lead the team")
            await screenshot(employee, "employee-after")
            await hr.reload()
            await expect(hr.locator("#pipeline tr", has_text="hr review")).to_contain_text("1")
            await auditor.reload()
            await expect(auditor.locator("#events")).to_contain_text("Manager Decided")
            await expect(auditor.locator("#events")).to_contain_text("S001 (manager)")

            # -- signing out ----------------------------------------------------------
            await employee.get_by_role("button", name="Sign out").click()
            await employee.wait_for_url("**/login?reason=out")
            await employee.goto(served.base_url + "/employee")
            assert "/login" in employee.url
        finally:
            await browser.close()

    assert not problems, problems  # no script error, no CSP violation, no failed load
    for shot in shots:
        assert shot.stat().st_size > 10_000, f"{shot.name} looks empty"
