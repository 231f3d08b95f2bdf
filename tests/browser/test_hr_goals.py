"""HR sets the goal cascade and reads it in a real headless Chromium (issue 18), in Chinese
and in English, on a 360 px phone and on a desktop: /hr/goals from the header shows the
company's target and each team's against its members' (a chart drawn); HR raises the
company's, the teams' and the reps' growth by ten points in the goal cascade's policy
page (published with a note), and /hr/goals, loaded again, shows the new version's
growth and the members' higher targets (the read model, not the page, computed them);
the previous year's cascade is a click away. Each run puts the old cascade back
afterwards (the served stack is shared by the module's runs). Every page fits the
window, has thumb-sized controls on a phone and no text of the other language;
screenshots are kept under var/browser/."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Served
from tests.browser.support import HR, _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    browser,
    charts_drawn,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

KIND, KEY = "goal_cascade", "default"
POLICY = f"/hr/policies/{KIND}/{KEY}"
RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
NOTE = {"zh": "各级增长各提高十个百分点", "en": "growth raised by ten points"}
SAYS = {
    "en": {"title": "Goal cascade", "previous": "Previous year", "version": "version"},
    "zh": {"title": "目标分解", "previous": "上一年", "version": "版本"},
}


def raised(document: dict[str, Any]) -> dict[str, Any]:
    """Every level's growth ten points higher: the company's, the teams' and each rep's
    (the arranged reps have no sales last year: their targets grow from their role's
    default, and the company's and teams' from nothing)."""
    return {
        **document,
        **{
            f"{level}_growth_percent": document[f"{level}_growth_percent"] + 10
            for level in ("company", "team", "individual")
        },
    }


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_hr_raises_the_growth_and_reads_the_cascade(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    policies, goals = served.services.policies, served.services.goal_queries
    year = datetime.now(UTC).year
    before = policies.current(KIND, KEY)
    await _until(  # the last run's put-back read
        "the cascade in force in the read model",
        lambda: goals.cascade(HR, year).cascade_version == before.version,
    )
    old = goals.cascade(HR, year)
    problems: list[str] = []
    viewport = PHONE if size == "phone" else DESKTOP
    hr = await sign_in(browser, served, "hr:H001", lang, viewport, tmp_path, problems)
    page = hr.page
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        # -- the cascade as it stands ----------------------------------------------------
        await follow_header(page, "/hr/goals")
        await expect(page.locator("h1")).to_contain_text(say["title"])
        await expect(page.locator("h1 small")).to_have_text(str(year))
        company = page.locator("#company")
        await expect(company).to_contain_text(str(old.cascade_version))
        rows = page.locator("#teams table.goals tbody tr")
        await expect(rows).to_have_count(len(old.teams))
        assert await charts_drawn(page) == [True]
        shown_before = await company.inner_text()
        teams_before = await rows.all_inner_texts()
        await checked(hr, "goals")

        # -- the growth raised in the goal cascade's policy page -----------------------
        await follow_header(page, "/hr/policies")
        await hr.press(page.locator(f'#policies a[href="{POLICY}"]'))
        await hr.arrive(f"**{POLICY}")
        await checked(hr, "goal-cascade-policy")
        form = page.locator("#draft form.draft")
        draft = json.dumps(raised(before.document), ensure_ascii=False, indent=2)
        await form.locator("#document").fill(draft)
        await form.locator('input[name="note"]').fill(NOTE[lang])
        await hr.press(form.locator('button[value="publish"]'))
        confirm = page.locator("#confirm")  # asked first, the changed fields shown
        await expect(confirm.locator('button[value="confirm"]')).to_be_visible()
        await checked(hr, "goal-cascade-confirm")
        await hr.press(confirm.locator('button[value="confirm"]'))
        await hr.arrive("**done=published**")
        await expect(page.locator("#published")).to_contain_text(str(before.version + 1))
        await checked(hr, "goal-cascade-published")
        await _until(
            "the new cascade in the read model",
            lambda: goals.cascade(HR, year).cascade_version == before.version + 1,
        )

        # -- the goals page again: the new version's higher targets --------------------
        await follow_header(page, "/hr/goals")
        await page.reload()
        new = goals.cascade(HR, year)
        assert new.company.growth_percent == old.company.growth_percent + 10
        assert sum(t.individual_targets for t in new.teams) > sum(
            t.individual_targets for t in old.teams
        )
        await expect(company).to_contain_text(str(new.cascade_version))
        assert await company.inner_text() != shown_before
        assert await rows.all_inner_texts() != teams_before
        assert await charts_drawn(page) == [True]
        await checked(hr, "goals-raised")

        # -- and last year's, a click away ----------------------------------------------
        await hr.press(page.get_by_role("link", name=say["previous"]))
        await hr.arrive(f"**/hr/goals?year={year - 1}")
        await expect(page.locator("h1 small")).to_have_text(str(year - 1))
        await checked(hr, "goals-last-year")
        assert problems == []
    finally:
        await hr.context.close()
        if policies.current(KIND, KEY).document != before.document:
            policies.publish(HR, KIND, KEY, before.document, "browser test: put back")
