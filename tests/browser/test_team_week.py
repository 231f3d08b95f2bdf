"""The manager's week in a real headless Chromium: on a 360 px phone in Chinese the
manager opens the team week from the menu, opens a rep's reported week, writes the
weekend feedback and agrees next week's plan (changing one figure); on a desktop in
English the same for another rep; each rep then sees the feedback and the agreed plan on
their week. Thumb-sized controls, nothing past the right edge, no word of the other
language on any page.

The reported weeks are arranged as tests/api/test_pages_team_week.py does: this week's
cycle recorded through the cycle commands (the report built now), its workflow running
and taking feedback until next Monday."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from careerflow.api import i18n
from tests.api.test_pages_team_week import reported_week, stop
from tests.browser.conftest import Served
from tests.browser.support import HR, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    HOMES,
    PHONE,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

# Each language gives feedback to its own rep (a week takes one feedback).
CASES = {
    "zh": {"rep": "E1", "size": PHONE, "text": "本周不错，下周多开发新客户", "visits": "13"},
    "en": {"rep": "E2", "size": DESKTOP, "text": "Solid week, push new customers", "visits": "14"},
}
HOMES.setdefault("employee:E2", "/employee")  # the desktop rep signs in too


@pytest.fixture(scope="module")
async def weeks(served: Served) -> Any:
    """E1's and E2's weeks reported, their workflows taking feedback."""
    week = served.arranged.week
    handles = [
        await reported_week(served.services, served.temporal, served.queue, rep, week)
        for rep in ("E1", "E2")
    ]
    try:
        yield week
    finally:
        await stop(handles)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_manager_gives_weekend_feedback_and_agrees_next_weeks_plan(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    weeks: str,
    lang: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    _ = i18n.gettext_for(lang)
    case = CASES[lang]
    rep_id, size = str(case["rep"]), case["size"]
    week = weeks
    problems: list[str] = []
    boss = await sign_in(browser, served, "manager:S001", lang, size, tmp_path, problems)
    page = boss.page
    try:
        # -- the team week, from the menu --------------------------------------------
        await follow_header(page, "/team/week")
        await expect(page.locator("h1")).to_contain_text(week)
        await expect(page.locator("#board table.board tbody tr")).to_have_count(3)
        await expect(page.locator("#totals")).to_be_visible()
        await expect(page.locator("canvas[data-chart=chart-team-week]")).to_be_visible()
        await checked(boss, "team-week")

        # -- a rep's week and the feedback form ----------------------------------------
        link = page.locator(f'#rep-{rep_id} a[href="/team/week/{rep_id}?week={week}#feedback"]')
        await boss.press(link)
        await boss.arrive(f"**/team/week/{rep_id}?week={week}*")
        form = page.locator("#feedback-form")
        await expect(form).to_be_visible()
        planned = served.services.cycle_queries.rep_week(HR, rep_id, week)
        by_item = {line.item: line for line in planned.lines}
        visits = by_item["customer_visits"]
        expected_visits = visits.planned if visits.planned is not None else visits.target
        await expect(form.locator('input[name="item.customer_visits"]')).to_have_value(
            str(int(expected_visits or 0))
        )
        await checked(boss, "feedback-form")
        await form.locator('textarea[name="text"]').fill(str(case["text"]))
        await form.locator('input[name="item.customer_visits"]').fill(str(case["visits"]))
        await expect(form.locator('input[name="agree"]')).to_be_checked()
        button = form.get_by_role("button", name=_("Send feedback"))
        await boss.press(button)
        await boss.arrive("**done=feedback**")
        await expect(page.locator("p.notice[role=status]")).to_contain_text(
            _("Your feedback was recorded.")
        )
        await expect(page.locator("#agreed-plan")).to_contain_text(str(case["visits"]))
        await expect(page.locator("#feedback-form")).to_have_count(0)
        await checked(boss, "feedback-given")
    finally:
        await boss.context.close()

    after = served.services.cycle_queries.rep_week(HR, rep_id, week)
    assert after.feedback.status == "given" and after.feedback.text == case["text"]
    assert after.feedback.next_plan is not None
    assert after.feedback.next_plan["customer_visits"] == float(str(case["visits"]))

    # -- the rep sees it agreed -------------------------------------------------------------
    rep = await sign_in(browser, served, f"employee:{rep_id}", lang, size, tmp_path, problems)
    try:
        await rep.goto(f"/week?week={week}")
        await expect(rep.page.locator("#plan")).to_contain_text(
            _("Manager's feedback: %(status)s") % {"status": _("given")}
        )
        await expect(rep.page.locator("#plan q")).to_have_text(str(case["text"]))
        await expect(rep.page.locator("#agreed-next")).to_contain_text(str(case["visits"]))
        await checked(rep, "rep-agreed")
    finally:
        await rep.context.close()
    assert not problems, problems
