"""The rep's week and pay in a real headless Chromium, on a 360 px phone in Chinese and on
a desktop in English: from the header (the phone's menu) to the week, back a week and
forward again with the links, then to the pay statement of last month (closed through the
month-close command, as the month close workflow does), its derivation lines as the read
model has them; thumb-sized controls on a phone, nothing past the right edge, and no word
of the other language on any page. Then every week and pay page of the rep and of the
manager's view of them, on a phone in English and on a desktop in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from careerflow.api import i18n
from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header
from tests.browser.test_browser import SIZES, browser, chromium, sign_in  # noqa: F401

if TYPE_CHECKING:
    from playwright.async_api import Browser


def previous_week(week: str) -> str:
    from datetime import date, timedelta

    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) - timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@pytest.fixture(scope="module")
async def closed_month(served: Served) -> str:
    """E1's week before this one (targets as the plan) and last month closed."""
    now = datetime.now(UTC)
    month = f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
    before = previous_week(served.arranged.week)
    commands = served.services.store.cycles
    commands.open_week("E1", before, f"browser-E1-{before}")
    commands.default_plan("E1", before)
    commands.close_month("E1", month, f"browser-close-E1-{month}")
    queries = served.services.cycle_queries
    await _until("E1's week before", lambda: queries.rep_week(HR, "E1", before))
    await _until("E1's statement", lambda: queries.bonus_statement(HR, "E1", month))
    return month


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
async def test_a_rep_flips_weeks_and_reads_last_months_pay(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    closed_month: str,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    _ = i18n.gettext_for(lang)
    week = served.arranged.week
    before = previous_week(week)
    problems: list[str] = []
    rep = await sign_in(browser, served, "employee:E1", lang, SIZES[size], tmp_path, problems)
    page = rep.page
    try:
        # -- the week, from the header (the phone's menu) -----------------------------
        await follow_header(page, "/week")
        await expect(page.locator("h1")).to_contain_text(week)
        await expect(page.locator("#week-lines tbody tr")).to_have_count(3)
        history = page.locator("#history table.weeks tbody tr")
        await expect(history).to_have_count(2)
        await checked(rep, "week")

        # -- back a week, and forward again -----------------------------------------
        await rep.press(page.locator("nav.week-flip a[rel=prev]"))
        await rep.arrive(f"**/week?week={before}")
        await expect(page.locator("h1")).to_contain_text(before)
        plan = _("Plan: %(source)s") % {"source": _("defaulted to the targets")}
        await expect(page.locator("#plan")).to_contain_text(plan)
        await checked(rep, "week-before")
        await rep.press(page.locator("nav.week-flip a[rel=next]"))
        await rep.arrive(f"**/week?week={week}")
        await expect(page.locator("#week-lines tbody tr")).to_have_count(3)

        # -- last month's statement ---------------------------------------------------
        await follow_header(page, "/pay")
        statement = served.services.cycle_queries.bonus_statement(HR, "E1", closed_month)
        assert statement.bonus.lines and statement.commission.lines is not None
        await expect(page.locator("#bonus-lines tbody tr")).to_have_count(
            len(statement.bonus.lines)
        )
        await expect(page.locator("#commission-lines tbody tr")).to_have_count(
            len(statement.commission.lines)
        )
        first = statement.bonus.lines[0].text[lang]
        await expect(page.locator("#bonus-lines")).to_contain_text(first)
        versions = _("Bonus rules, version %(v)s") % {"v": statement.bonus.rules_version}
        await expect(page.locator("#statement")).to_contain_text(versions)
        await expect(page.locator("#statement")).to_contain_text(_("Training verdicts"))
        await expect(page.locator(f'#months a[href="/pay?month={closed_month}"]')).to_be_visible()
        await checked(rep, "pay")
    finally:
        await rep.context.close()
    assert not problems, problems


@pytest.mark.parametrize(("lang", "size"), [("en", "phone"), ("zh", "desktop")])
async def test_every_week_and_pay_page_fits_the_window_in_one_language(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    closed_month: str,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    """The rep's pages and the manager's view of them: the typed-week hint, an empty
    week, a month not closed; each in the language, nothing past the edge, thumb-sized
    controls on a phone."""
    from playwright.async_api import expect

    _ = i18n.gettext_for(lang)
    problems: list[str] = []
    rep = await sign_in(browser, served, "employee:E1", lang, SIZES[size], tmp_path, problems)
    boss = await sign_in(browser, served, "manager:S001", lang, SIZES[size], tmp_path, problems)
    try:
        pages = {
            "week": (rep, "/week"),
            "week-hint": (rep, "/week?week=2026-48"),
            "week-empty": (rep, "/week?week=2099-W10"),
            "pay": (rep, f"/pay?month={closed_month}"),
            "pay-open": (rep, "/pay?month=2099-01"),
            "team-week": (boss, "/week/E1"),
            "team-pay": (boss, "/pay/E1"),
        }
        for name, (visit, path) in pages.items():
            await visit.goto(path)
            await checked(visit, name)
            if name == "week-hint":
                hint = _("“%(asked)s” is not a week: use %(week)s.") % {
                    "asked": "2026-48",
                    "week": "2026-W48",
                }
                await expect(visit.page.locator("#week-hint")).to_contain_text(hint)
                # The typed week is answered 422 (with the hint): the console says so.
                problems[:] = [p for p in problems if "status of 422" not in p]
            if name == "team-pay":
                await expect(visit.page.locator("#bonus-lines")).to_be_visible()
                await expect(visit.page.locator("#plan-form")).to_have_count(0)
    finally:
        await rep.context.close()
        await boss.context.close()
    assert not problems, problems
