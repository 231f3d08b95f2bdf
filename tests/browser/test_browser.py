"""The dashboards in a real headless Chromium (Debian's, driven by Playwright's Python
package; no browser is downloaded), once per language and once more at phone size:

- desktop, English and Chinese: each role signs in with their token and sees their page in
  the language (the employee and the manager, whose profiles say Chinese, pick English
  with the switch on the page), charts drawn, nothing wider than the window;
- phone (360×740, touch), English and Chinese: the rep reads the week and submits next
  week's plan through the form, the manager reads the board and (in Chinese, the last
  run) approves E1's application from the phone layout, with thumb-sized controls and no
  element past the right edge;
- the installable app: the service worker takes over, keeps only the shell, and shows the
  offline page when the network is gone.

Screenshots of every page go to the test's tmp dir."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Served
from tests.browser.support import (
    HR,
    NAMES,
    checked,
    mixed,
    next_week,
    one_language,
    open_running_week,
)
from tests.conftest import ROOT, missing_real_part

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Locator, Page, Response

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
    "employee:E2": "/employee",
    "manager:S001": "/manager",
    "hr:H001": "/hr",
    "auditor:A001": "/audit",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
BROWSER_LOCALE = {"en": "en-US", "zh": "zh-CN"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}
# What each language says, for the assertions.
SAYS: dict[str, dict[str, str]] = {
    "en": {
        "sign in": "Sign in",
        "sign out": "Sign out",
        "potential": "Potential",
        "this week": "This week",
        "of 10": "of 10",
        "supervisor": "Sales Supervisor",
        "manager review": "manager review",
        "hr review": "HR review",
        "approvals": "Approvals waiting",
        "working days": "working days",
        "submitted": "Submitted",
        "manager decided": "Manager decided",
        "submit plan": "Submit the plan",
        "plan recorded": "was recorded",
        "approve": "Approve",
        "board": "Team weekly board",
    },
    "zh": {
        "sign in": "登录",
        "sign out": "退出登录",
        "potential": "潜力评分",
        "this week": "本周",
        "of 10": "满分 10",
        "supervisor": "销售主管",
        "manager review": "主管审批",
        "hr review": "HR 审核",
        "approvals": "待我审批",
        "working days": "个工作日",
        "submitted": "提交材料",
        "manager decided": "主管审批",
        "submit plan": "提交周计划",
        "plan recorded": "周计划已提交",
        "approve": "批准",
        "board": "团队周看板",
    },
}
DRAWN = """() => Array.from(document.querySelectorAll('canvas[data-chart]'),
    c => c.dataset.drawn === 'true' && !!window.Chart && !!window.Chart.getChart(c))"""
# Whatever sticks out past the window's right (or left) edge, and the page's own width.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > width + 0.5 || r.left < -0.5) {
      const cls = typeof el.className === 'string' && el.className
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      const id = el.id ? '#' + el.id : '';
      out.push(`${el.tagName.toLowerCase()}${id}${cls} [${r.left}, ${r.right}]`);
    }
  }
  return {width, scrollWidth: document.scrollingElement.scrollWidth, out: out.slice(0, 15)};
}"""
# Controls a thumb presses: buttons, inputs and the header's links, with their height.
SMALL_CONTROLS = """() => Array.from(document.querySelectorAll(
    'main button, main input:not([type=hidden]), header a, header button'))
  .map(el => [el, el.getBoundingClientRect().height])
  .filter(([el, height]) => height > 0 && height < 44)
  .map(([el, h]) => `${el.tagName.toLowerCase()} "${el.textContent || el.name}" ${h}px`)"""


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


@functools.cache
def cjk_font() -> str | None:
    """A font with Chinese glyphs that Chromium will find (fontconfig), or None."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return found.splitlines()[0] if found else None


def needs_cjk_font(lang: str) -> None:
    """Chinese pages drawn without a CJK font show boxes: not a check of anything."""
    if lang == "zh" and cjk_font() is None:
        missing_real_part(
            "no font with Chinese glyphs (fc-list :lang=zh is empty): the zh screenshots "
            "would show boxes; install Debian's fonts-noto-cjk (run.py installs it with "
            "chromium)"
        )


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, args=FLAGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="module")
async def running_week(served: Served) -> AsyncIterator[str]:
    """Next week, its cycle workflow running for E1: the plan form is open."""
    week = next_week(served.arranged.week)
    handle = await open_running_week(served.services, served.temporal, served.queue, "E1", week)
    try:
        yield week
    finally:
        await handle.terminate("browser test over")


SHOTS = ROOT / "var" / "browser"


def shots_of_this_test() -> Path:
    """var/browser/<module>.<test>[<params>]/ for the test running now (pytest names it in
    PYTEST_CURRENT_TEST), made on first use."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "unknown").rsplit(" ", 1)[0]
    module, _, test = current.partition("::")
    name = f"{Path(module).stem}.{test}" if test else Path(module).stem
    folder = SHOTS / re.sub(r"[^A-Za-z0-9._\[\]-]+", "-", name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Visit:
    """One browser profile for one person, its console watched and its shots kept."""

    served: Served
    context: BrowserContext
    page: Page
    who: str
    lang: str
    size: str
    tmp: Path
    problems: list[str]

    async def screenshot(self, name: str) -> Path:
        """Kept under the checkout's var/browser/<test>/ (git-ignored; CI keeps var/ as
        its artifacts), named <size>-<lang>-<name>.png."""
        path = shots_of_this_test() / f"{self.size}-{self.lang}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000, f"{path.name} looks empty"
        return path

    async def fits(self, what: str) -> None:
        """Nothing wider than the window, nothing past its edge."""
        seen: dict[str, Any] = await self.page.evaluate(OVERFLOW)
        assert seen["scrollWidth"] <= seen["width"], f"{what}: the page scrolls sideways {seen}"
        assert not seen["out"], f"{what}: elements past the edge of {seen['width']}px: {seen}"

    async def in_language(self) -> None:
        from playwright.async_api import expect

        await expect(self.page.locator("html")).to_have_attribute("lang", HTML_LANG[self.lang])

    async def press(self, target: Locator) -> None:
        """A thumb's tap on a phone, a click on a desktop."""
        await (target.tap() if self.size == "phone" else target.click())

    async def speaks(self) -> None:
        """No text of the other language on the page now (names of the organisation are
        data)."""
        await one_language(self.page, self.lang)

    async def goto(self, path: str) -> None:
        """Opens the page and checks it is in one language."""
        await self.page.goto(self.served.base_url + path)
        await self.speaks()

    async def arrive(self, url: str | re.Pattern[str], timeout: float | None = None) -> None:
        """After a click that changes the URL: waits for `url` (up to `timeout` ms, else
        Playwright's default), then checks the page is in one language."""
        await self.page.wait_for_url(url, timeout=timeout)
        await self.speaks()


async def sign_in(
    browser: Browser,
    served: Served,
    who: str,
    lang: str,
    viewport: dict[str, int],
    tmp: Path,
    problems: list[str],
) -> Visit:
    """A fresh browser profile speaking `lang`, the role's home page, the login form, and
    back; where the person's profile says otherwise, the language switch on the page."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import expect

    needs_cjk_font(lang)
    phone = viewport == PHONE
    context = await browser.new_context(
        viewport=viewport,
        locale=BROWSER_LOCALE[lang],
        timezone_id="Asia/Shanghai",
        is_mobile=phone,
        has_touch=phone,
    )
    page = await context.new_page()

    def console(message: Any) -> None:
        if message.type == "error":
            problems.append(f"{who} ({lang}): console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{who} ({lang}): page error: {error}"))
    size = "phone" if phone else "desktop"
    visit = Visit(served, context, page, who, lang, size, tmp, problems)

    async def loaded(response: Response) -> None:
        """Every page the browser loads, whatever led there (a link, a form, a redirect,
        a refresh): in one language, the one its html says."""
        if response.request.resource_type != "document" or 300 <= response.status < 400:
            return
        if "text/html" not in (await response.header_value("content-type") or ""):
            return
        try:
            html = await response.text()
        except PlaywrightError:  # gone with a later navigation
            return
        found = mixed(html)
        if found:
            problems.append(f"{who}: {response.url}: text of the other language: {found[:5]}")

    page.on("response", loaded)
    home = served.base_url + HOMES[who]
    await page.goto(home)
    assert "/login?next=" in page.url, f"{who}: not sent to the login page ({page.url})"
    await visit.in_language()  # nobody known yet: the browser's language
    await visit.speaks()
    await page.fill("#token", served.tokens[who])
    await page.get_by_role("button", name=SAYS[lang]["sign in"]).click()
    await page.wait_for_url(home)
    if await page.locator("html").get_attribute("lang") != HTML_LANG[lang]:
        # The employee profile's language won over the browser's: switch on the page.
        await page.locator(f'header nav.langs a[hreflang="{lang}"]').click()
        await page.wait_for_url(home)
    await visit.in_language()
    await visit.speaks()
    await expect(page.get_by_role("button", name=SAYS[lang]["sign out"])).to_be_visible()
    return visit


async def charts_drawn(page: Page) -> list[bool]:
    drawn: list[bool] = await page.evaluate(DRAWN)
    return drawn


async def forms(page: Page) -> list[str]:
    actions: list[str] = await page.eval_on_selector_all(
        "form", "fs => fs.map(f => f.getAttribute('action'))"
    )
    return actions


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_role_on_a_desktop(
    browser: Browser, served: Served, lang: str, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    application_id = served.arranged.application_id
    problems: list[str] = []
    visits: list[Visit] = []

    async def visit(who: str) -> Visit:
        v = await sign_in(browser, served, who, lang, DESKTOP, tmp_path, problems)
        visits.append(v)
        return v

    try:
        # -- the employee: their own page, charts drawn, nobody else's name ----------
        employee = await visit("employee:E1")
        page = employee.page
        await expect(page.locator("h1")).to_contain_text(NAMES["E1"])
        await expect(page.locator("#potential h2")).to_have_text(say["potential"])
        await expect(page.locator("#potential")).to_contain_text(say["of 10"])
        await expect(page.locator("#distance")).to_contain_text(say["supervisor"])
        await expect(page.locator("#week")).to_contain_text(served.arranged.week)
        await expect(page.locator("#applications")).to_contain_text(say["manager review"])
        body = await page.locator("body").inner_text()
        assert not re.search(r"\bE[23]\b", body)
        assert await page.locator('a[href^="/employee/E"]').count() == 0
        if lang == "en":  # (in Chinese, E2's and E3's names are also everyday words)
            assert NAMES["E2"] not in body and NAMES["E3"] not in body
        drawn = await charts_drawn(page)
        # the potential score's weighted parts, plan vs actual, indicators, the metric
        # trend (percentages, counts, scores out of 10: a chart each), the distribution
        assert len(drawn) == 7 and all(drawn), drawn
        assert await forms(page) == ["/logout", "/employee/language"]  # the plan was defaulted
        await checked(employee, "employee")

        # -- the manager: the approval waiting with its SLA clock -------------------
        manager = await visit("manager:S001")
        row = manager.page.locator(f'tr[data-application="{application_id}"]')
        await expect(manager.page.locator("#approvals h2")).to_contain_text(say["approvals"])
        await expect(row).to_contain_text(NAMES["E1"])
        await expect(row).to_contain_text(say["working days"])
        await expect(manager.page.locator("#board")).to_contain_text(NAMES["E2"])
        drawn = await charts_drawn(manager.page)
        assert drawn and all(drawn), drawn
        await checked(manager, "manager")

        # -- HR: the pipeline chart and the criteria versions -----------------------
        hr = await visit("hr:H001")
        pipeline = hr.page.locator(
            "#pipeline table:not(.figures) tr", has_text=say["manager review"]
        )
        await expect(pipeline).to_contain_text("1")
        await expect(hr.page.locator("#criteria")).to_contain_text("v1")
        drawn = await charts_drawn(hr.page)
        assert drawn and all(drawn), drawn
        await checked(hr, "hr")

        # -- the auditor: the application's history, nothing to press ---------------
        auditor = await visit("auditor:A001")
        await auditor.page.locator(f'a[href="/audit/application/{application_id}"]').click()
        await auditor.arrive(f"**/audit/application/{application_id}")
        await expect(auditor.page.locator("#events")).to_contain_text(say["submitted"])
        # Only the history's read-only tools: time travel and re-evaluation.
        assert await forms(auditor.page) == [
            "/logout",
            f"/audit/application/{application_id}",
            f"/audit/reevaluate/application/{application_id}",
        ]
        await checked(auditor, "auditor")

        # -- signing out --------------------------------------------------------------
        await page.get_by_role("button", name=say["sign out"]).click()
        await employee.arrive("**/login?reason=out")
        await employee.goto("/employee")
        assert "/login" in page.url
    finally:
        for v in visits:
            await v.context.close()
    assert not problems, problems  # no script error, no CSP violation, no failed load


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_rep_and_the_manager_on_a_phone(
    browser: Browser, served: Served, running_week: str, lang: str, tmp_path: Path
) -> None:
    """One-handed at 360 px: read the week, submit a plan, read the board, approve (the
    Chinese run, the last one, approves E1's application)."""
    from playwright.async_api import expect

    say = SAYS[lang]
    application_id = served.arranged.application_id
    problems: list[str] = []
    employee = await sign_in(browser, served, "employee:E1", lang, PHONE, tmp_path, problems)
    manager = await sign_in(browser, served, "manager:S001", lang, PHONE, tmp_path, problems)
    try:
        # -- the rep reads this week's figures --------------------------------------
        page = employee.page
        await expect(page.locator("#week h2")).to_contain_text(say["this week"])
        await expect(page.locator("#week table.lines tbody tr")).to_have_count(3)
        await checked(employee, "employee")

        # -- and submits next week's plan with the form -----------------------------
        await employee.goto(f"/employee?week={running_week}")
        form = page.locator("#plan-form")
        await expect(form).to_be_visible()
        visits = "15" if lang == "en" else "16"
        await form.locator('input[name="item.customer_visits"]').fill(visits)
        await form.locator('input[name="item.new_customers"]').fill("4")
        await checked(employee, "plan-form")
        await form.get_by_role("button", name=say["submit plan"]).tap()
        await employee.arrive("**planned=1**")
        await expect(page.locator("#week .notice")).to_contain_text(say["plan recorded"])
        rep_week = served.services.cycle_queries.rep_week(HR, "E1", running_week)
        planned = {line.item: line.planned for line in rep_week.lines}
        assert planned["customer_visits"] == float(visits), planned
        await checked(employee, "plan-submitted")

        # -- the manager reads the board and the approval waiting --------------------
        mpage = manager.page
        await expect(mpage.locator("#board h2")).to_contain_text(say["board"])
        row = mpage.locator(f'tr[data-application="{application_id}"]')
        await expect(row).to_contain_text(NAMES["E1"])
        approve = row.get_by_role("button", name=say["approve"])
        await expect(approve).to_be_visible()
        drawn = await charts_drawn(mpage)
        assert drawn and all(drawn), drawn
        await checked(manager, "manager")
        box = await approve.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, box

        if lang == "zh":
            # -- the decision, from the phone -------------------------------------------
            await row.locator('input[name="comment"]').fill("可以带团队了")
            await approve.tap()
            await manager.arrive(f"**/applications/{application_id}?decided=approve")
            await expect(mpage.locator(".notice")).to_contain_text(say["hr review"])
            timeline = mpage.locator("#timeline")
            await expect(timeline).to_contain_text(say["manager decided"])
            await expect(timeline).to_contain_text("可以带团队了")
            await expect(mpage.locator("form.decide")).to_have_count(0)
            await checked(manager, "approved")
            await manager.goto("/manager")
            await expect(mpage.locator(f'tr[data-application="{application_id}"]')).to_have_count(0)
            await employee.goto("/employee")
            await expect(page.locator("#applications")).to_contain_text(say["hr review"])
            await expect(page.locator("#applications")).to_contain_text("可以带团队了")
            await checked(employee, "employee-after")
    finally:
        await employee.context.close()
        await manager.context.close()
    assert not problems, problems


async def test_installed_it_keeps_only_the_shell_and_works_offline(
    browser: Browser, served: Served, tmp_path: Path
) -> None:
    from playwright.async_api import expect

    problems: list[str] = []
    visit = await sign_in(browser, served, "employee:E1", "zh", PHONE, tmp_path, problems)
    page = visit.page
    try:
        manifest = await page.locator('link[rel="manifest"]').get_attribute("href")
        assert manifest == "/manifest.webmanifest?lang=zh"
        # The worker installs (precaching the shell) and activates; the next page load
        # goes through it. (Polled from here: wait_for_function's string predicates
        # need 'unsafe-eval', which the CSP refuses.)
        await page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
        await page.reload()
        for _ in range(100):
            if await page.evaluate("() => navigator.serviceWorker.controller !== null"):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the service worker does not answer for the page")
        cached: list[str] = await page.evaluate(
            """async () => {
                const urls = [];
                for (const name of await caches.keys())
                    for (const request of await (await caches.open(name)).keys())
                        urls.push(new URL(request.url).pathname);
                return urls;
            }"""
        )
        assert "/offline" in cached and "/static/careerflow.css" in cached
        personal = [u for u in cached if not (u.startswith("/static/") or u == "/offline")]
        assert not personal, f"the worker kept pages or API answers: {personal}"

        await visit.context.set_offline(True)
        await visit.goto("/employee")
        await expect(page.locator("h1")).to_have_text("您已离线")
        assert NAMES["E1"] not in await page.locator("body").inner_text()
        await checked(visit, "offline")
        await visit.context.set_offline(False)
        await visit.goto("/employee")
        await expect(page.locator("h1")).to_contain_text(NAMES["E1"])
    finally:
        await visit.context.close()
    offline_noise = [p for p in problems if "ERR_INTERNET_DISCONNECTED" not in p]
    assert not offline_noise, offline_noise
