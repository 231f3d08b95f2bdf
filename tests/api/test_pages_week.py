"""The rep's week and pay pages on the real stack, called over ASGI like a browser: the
week with previous/next links and the paged list of the rep's weeks, a week typed as
"2026-48" told to use "2026-W48" in the page's language, an empty week that says when
cycles open, the plan form posting back to the week page; the closed month's statement
with its derivation, the months list, the redacted note for an auditor; every page in
Chinese and English with no text of the other language."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest

from careerflow.api import i18n
from tests.api.conftest import ApiStack
from tests.api.site import last_month, web_app
from tests.api.test_pages import FORM_ACTION, Site, csrf_of, text
from tests.browser.support import HR, arrange, next_week, open_running_week
from tests.language import other_language

LANGS = ["en", "zh"]
# Words a Chinese page may carry: the brand, the chart library, HR, currency codes.
ALLOWED = {"careerflow", "Chart", "js", "HR", "CNY", "KPI"}


def shift(week: str, weeks: int) -> str:
    for _ in range(abs(weeks)):
        week = next_week(week) if weeks > 0 else previous_week(week)
    return week


def previous_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) - timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


async def arrange_history(api: ApiStack, week: str) -> str:
    """E1's week before this one (targets as the plan) and last month closed."""
    commands = api.services.store.cycles
    before = previous_week(week)
    commands.open_week("E1", before, f"pages-E1-{before}")
    commands.default_plan("E1", before)
    month = last_month()
    commands.close_month("E1", month, f"pages-close-E1-{month}")
    await asyncio.to_thread(api.caught_up)
    return month


@pytest.fixture(scope="module")
async def site(api: ApiStack) -> Site:
    arranged = await arrange(api.services, api.read_models, api.temporal, api.queue)
    await arrange_history(api, arranged.week)
    return Site(api, web_app(api), arranged)


def says(lang: str) -> dict[str, str]:
    """What the pages say in `lang`, read from the catalogue (no hand copies)."""
    _ = i18n.gettext_for(lang)
    return {
        "hint": _("“%(asked)s” is not a week: use %(week)s.")
        % {"asked": "2026-48", "week": "2026-W48"},
        "empty": _("No weekly cycle for %(week)s.").split("%(week)s")[0].strip(),
        "opens": _("This week's cycle opens %(when)s.").split("%(when)s")[0].strip(),
        "derivation": _("How the bonus was worked out"),
        "redacted": _("Pay figures are shown to the person, their managers and HR only."),
        "rules": _("Bonus rules, version %(v)s") % {"v": 1},
        "training": _("Training verdicts"),
        "my week": _("My week"),
        "my pay": _("My pay"),
        "recorded": _("Your plan for %(week)s was recorded."),
    }


@pytest.mark.parametrize("lang", LANGS)
async def test_the_rep_flips_weeks_and_reads_the_history(site: Site, lang: str) -> None:
    week = site.arranged.week
    say = says(lang)
    async with site.session("employee:E1", lang) as client:
        page = await client.get("/week")
        assert page.status_code == 200, page.text
        html = text(page)
        assert say["my week"] in html and say["my pay"] in html
        assert f'href="/week?week={previous_week(week)}"' in html
        assert f'href="/week?week={next_week(week)}"' in html
        assert len(re.findall(r'<tr><td class="head" data-label=', html)) >= 3
        # The history lists this week and the one before, newest first.
        listed = re.findall(r'<a href="/week\?week=(\d{4}-W\d{2})" translate="no">', html)
        assert listed == [week, previous_week(week)]
        assert other_language(page.text, lang) == []

        before = await client.get(f"/week?week={previous_week(week)}")
        assert before.status_code == 200
        assert "week-lines" in before.text and other_language(before.text, lang) == []

        far = shift(week, 5)
        empty = await client.get(f"/week?week={far}")
        assert empty.status_code == 200
        assert say["empty"] in text(empty) and say["opens"] in text(empty)
        assert 'id="week-empty"' in empty.text
        assert other_language(empty.text, lang) == []

        typo = await client.get("/week?week=2026-48")
        assert typo.status_code == 422
        assert say["hint"] in text(typo)
        assert 'href="/week?week=2026-W48"' in typo.text
        assert other_language(typo.text, lang) == []

        # Paged: one week a page would need a cursor; the cursor shows older weeks.
        older = await client.get(f"/week?week={week}&cursor={week}")
        assert re.findall(r'<a href="/week\?week=(\d{4}-W\d{2})" translate="no">', older.text) == [
            previous_week(week)
        ]
    page_of = site.api.services.cycle_queries.weeks_of(HR, "E1", 1)
    assert [w.week for w in page_of.items] == [week] and page_of.total == 2
    assert page_of.next_cursor == week
    rest = site.api.services.cycle_queries.weeks_of(HR, "E1", 1, page_of.next_cursor)
    assert [w.week for w in rest.items] == [previous_week(week)] and rest.next_cursor is None


@pytest.mark.parametrize("lang", LANGS)
async def test_the_rep_reads_a_closed_months_statement(site: Site, lang: str) -> None:
    say = says(lang)
    month = last_month()
    statement = site.api.services.cycle_queries.bonus_statement(HR, "E1", month)
    async with site.session("employee:E1", lang) as client:
        page = await client.get("/pay")
        assert page.status_code == 200, page.text
        html = text(page)
        assert f'href="/pay?month={month}"' in html
        assert say["derivation"] in html and say["rules"] in html and say["training"] in html
        assert 'id="bonus-lines"' in html and 'id="pay-inputs"' in html
        assert statement.bonus.lines
        assert html.count('data-label="') > 6
        assert other_language(page.text, lang) == []
        # A month not closed: when months close, not an error.
        open_month = await client.get("/pay?month=2099-01")
        assert open_month.status_code == 200 and 'id="pay-empty"' in open_month.text
        assert other_language(open_month.text, lang) == []
    # The manager sees the figures; an auditor the note.
    async with site.session("manager:S001", lang) as client:
        managed = await client.get(f"/pay/E1?month={month}")
        assert managed.status_code == 200 and 'id="bonus-lines"' in managed.text
        assert other_language(managed.text, lang) == []
    async with site.session("auditor:A001", lang) as client:
        audited = await client.get(f"/pay/E1?month={month}")
        assert audited.status_code == 200
        assert say["redacted"] in text(audited) and 'id="bonus-lines"' not in audited.text
        assert other_language(audited.text, lang) == []
        week = await client.get("/week/E1")
        assert week.status_code == 200 and "plan-form" not in week.text
    # Another rep may not open E1's pages at all.
    async with site.session("employee:E2", lang) as client:
        assert (await client.get("/pay/E1")).status_code == 404
        assert (await client.get("/week/E1")).status_code == 404


async def test_the_plan_form_on_the_week_page_answers_with_the_week(site: Site) -> None:
    week = next_week(site.arranged.week)
    handle = await open_running_week(
        site.api.services, site.api.temporal, site.api.queue, "E1", week
    )
    try:
        async with site.session("employee:E1", "zh") as client:
            page = await client.get(f"/week?week={week}")
            assert FORM_ACTION.findall(page.text) == ["/logout", "/employee/plan"]
            assert 'name="back" value="week"' in page.text
            fields = dict(re.findall(r'name="(item\.[a-z_]+)"[^>]*value="([^"]*)"', page.text))
            plan = {**fields, "item.customer_visits": "13", "item.new_customers": "3"}
            sent = await client.post(
                "/employee/plan",
                data={"csrf": csrf_of(page), "week": week, "back": "week", **plan},
            )
            assert sent.status_code == 303, text(sent)
            assert sent.headers["location"] == f"/week?week={week}&planned=1#plan"
            shown = await client.get(sent.headers["location"].split("#")[0])
            assert says("zh")["recorded"] % {"week": week} in text(shown)
            assert other_language(shown.text, "zh") == []
        rep_week = site.api.services.cycle_queries.rep_week(HR, "E1", week)
        planned = {line.item: line.planned for line in rep_week.lines}
        assert planned["customer_visits"] == 13
    finally:
        await handle.terminate("test over")
