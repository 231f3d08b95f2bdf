"""The manager's week on the real stack, called over ASGI like a browser: the team's board
for any week with previous/next links, totals, a chart and its figures, and empty states
that say when cycles open; the weekend feedback form per rep (the service's give_feedback,
the API's call) agreeing next week's plan, which the rep then sees agreed; refusals (not
the rep's manager, a week not reported yet, a closed week, feedback already given) said on
the same form with 422; the manager's alerts. Chinese and English, each without words of
the other.

A reported week whose feedback window is open: this week's cycle recorded through the
cycle commands (targets as the plan, the Friday report built now), then its workflow
started as the Monday schedule would; it takes the feedback until next Monday."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle

from activities.cycles import cycle_workflow_id
from careerflow.api import i18n
from careerflow.engine import Engine
from careerflow.principal import SYSTEM
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401 (the module's stack)
from tests.browser.support import HR, NAMES, _until, next_week, open_running_week
from tests.language import other_language
from workflows.weekly_cycle import WeeklyCycleWorkflow

pytestmark = pytest.mark.servers

DATA = list(NAMES.values())
# Who gets feedback in which language (each rep's week takes one feedback).
REP = {"en": "E1", "zh": "E2"}
NEXT_PLAN = {
    "en": {"customer_visits": "12", "new_customers": "5", "sales_amount": "30000"},
    "zh": {"customer_visits": "11", "new_customers": "4", "sales_amount": "28000"},
}


def previous_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) - timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def shift(week: str, weeks: int) -> str:
    for _ in range(abs(weeks)):
        week = next_week(week) if weeks > 0 else previous_week(week)
    return week


async def _workflow_ready(client: Client, employee_id: str, week: str) -> None:
    """The week's workflow has opened (its Updates are taken from then on)."""
    handle = client.get_workflow_handle_for(
        WeeklyCycleWorkflow.run, cycle_workflow_id(employee_id, week)
    )
    for _ in range(300):
        if await handle.query(WeeklyCycleWorkflow.current) is not None:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{employee_id}'s week {week} did not open")


async def reported_week(
    services: Engine, client: Client, queue: str, employee_id: str, week: str
) -> WorkflowHandle[Any, Any]:
    """`employee_id`'s `week` reported (targets as the plan, the report built now through
    the cycle commands) with its workflow running: it takes feedback until the week's
    feedback deadline (next Monday), whatever day today is. Terminate it when done."""
    commands = services.store.cycles
    commands.open_week(employee_id, week, cycle_workflow_id(employee_id, week))
    commands.default_plan(employee_id, week)
    commands.build_report(employee_id, week)
    handle = await open_running_week(services, client, queue, employee_id, week)
    await _workflow_ready(client, employee_id, week)
    await _until(
        f"{employee_id}'s report", lambda: services.cycle_queries.rep_week(HR, employee_id, week)
    )

    def reported() -> bool:
        return bool(services.cycle_queries.rep_week(HR, employee_id, week).reported)

    await _until(f"{employee_id}'s report in the read model", reported)
    return handle


async def stop(handles: list[WorkflowHandle[Any, Any]]) -> None:
    for handle in handles:
        try:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")
        except Exception:
            pass


def over_week(week: str) -> str:
    """A week whose feedback window has closed whatever day it is: two before `week`."""
    return previous_week(previous_week(week))


@dataclass
class Weeks:
    week: str
    """This week: E1's and E2's reported, their workflows taking feedback."""
    handles: list[WorkflowHandle[Any, Any]]


@pytest.fixture(scope="module")
async def weeks(site: Site) -> Any:  # noqa: F811
    api = site.api
    week = site.arranged.week
    handles = [
        await reported_week(api.services, api.temporal, api.queue, rep, week)
        for rep in ("E1", "E2")
    ]
    # E3's next week runs, not reported yet; E1's week two before is over (reported, its
    # feedback window closed: the week just before may still take weekend feedback when
    # the arranged week is already next week's, as on a Sunday).
    handles.append(
        await open_running_week(api.services, api.temporal, api.queue, "E3", next_week(week))
    )
    await _workflow_ready(api.temporal, "E3", next_week(week))
    before = over_week(week)
    commands = api.services.store.cycles
    commands.open_week("E1", before, f"pages-E1-{before}")
    commands.default_plan("E1", before)
    commands.build_report("E1", before)
    await asyncio.to_thread(api.caught_up)
    try:
        yield Weeks(week=week, handles=handles)
    finally:
        await stop(handles)


def says(lang: str) -> dict[str, str]:
    """What the pages say in `lang`, read from the catalogue (no hand copies)."""
    _ = i18n.gettext_for(lang)
    return {
        "team week": _("Team week"),
        "alerts": _("Alerts"),
        "no cycles": _("No weekly cycles for your reports in %(week)s.").split("%(week)s")[0],
        "open mondays": _("Cycles open on Mondays at %(time)s (company time).").split("%(time)s")[
            0
        ],
        "open at": _("Cycles for %(week)s open %(when)s.")
        .split("%(when)s")[0]
        .split("%(week)s")[-1],
        "nobody behind": _("Nobody is behind plan."),
        "recorded": _("Your feedback was recorded."),
        "agreed": _("Next week's plan is agreed."),
        "agreed plan": _("Plan: %(source)s") % {"source": _("agreed with the manager")},
        "alert read": _("The alert was marked read."),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_board_flips_weeks_and_says_when_cycles_open(
    site: Site,  # noqa: F811
    weeks: Weeks,
    lang: str,
) -> None:
    say = says(lang)
    week = weeks.week
    async with site.session("manager:S001", lang) as client:
        page = await client.get("/team/week")
        assert page.status_code == 200, page.text
        html = text(page)
        assert f'href="/team/week?week={previous_week(week)}"' in html
        assert f'href="/team/week?week={next_week(week)}"' in html
        assert 'href="/team/week"' in html and 'href="/team/alerts"' in html  # the nav
        # A row per report (E3 has no cycle this week), totals, the chart and its figures.
        for rep in ("E1", "E2", "E3"):
            assert f'id="rep-{rep}"' in html
        assert 'id="totals"' in html and 'id="chart-team-week"' in html
        assert '<details class="figures">' in html
        assert f'href="/team/week/E1?week={week}#feedback"' in html or "given" in html
        assert re.search(r'<td (class="head" )?data-label=', html)
        assert other_language(page.text, lang, DATA) == []

        # A week far ahead: when its cycles open; one long past: when cycles open.
        ahead = await client.get(f"/team/week?week={shift(week, 5)}")
        assert ahead.status_code == 200
        assert 'id="board-empty"' in ahead.text and say["open at"] in text(ahead)
        assert say["nobody behind"] not in text(ahead) and "–</td>" not in ahead.text
        assert other_language(ahead.text, lang, DATA) == []
        past = await client.get(f"/team/week?week={shift(week, -30)}")
        assert say["no cycles"] in text(past) and say["open mondays"] in text(past)
        assert other_language(past.text, lang, DATA) == []

        typo = await client.get("/team/week?week=2026-48")
        assert typo.status_code == 422 and 'href="/team/week?week=2026-W48"' in typo.text
        assert other_language(typo.text, lang, DATA) == []

    async with site.session("employee:E1", lang) as rep_client:
        assert (await rep_client.get("/team/week")).status_code == 403


async def _form(client: Any, employee_id: str, week: str) -> dict[str, str]:
    page = await client.get(f"/team/week/{employee_id}?week={week}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="command_id" value="([^"]+)"', page.text)
    assert found, "no feedback form"
    return {"csrf": csrf_of(page), "command_id": found.group(1), "week": week}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_refusals_are_said_on_the_same_form(
    site: Site,  # noqa: F811
    weeks: Weeks,
    lang: str,
) -> None:
    week = weeks.week
    later = next_week(week)
    before = over_week(week)
    async with site.session("manager:S001", lang) as client:
        token = csrf_of(await client.get("/team/week"))
        post = {"csrf": token, "text": "ok", "agree": ""}

        # Not reported yet: E3's next week (its form is not even offered).
        page = await client.get(f"/team/week/E3?week={later}")
        assert page.status_code == 200 and 'id="feedback-form"' not in page.text
        early = await client.post("/team/week/E3", data={**post, "week": later})
        assert early.status_code == 422
        assert 'id="feedback-refused"' in early.text and 'id="feedback-form"' in early.text
        if lang == "en":
            assert "is not reported yet" in text(early)
        assert other_language(early.text, lang, DATA) == []

        # Outside the window: E1's week two before is over.
        closed = await client.post("/team/week/E1", data={**post, "week": before})
        assert closed.status_code == 422 and 'id="feedback-refused"' in closed.text
        if lang == "en":
            assert "feedback deadline for week" in text(closed)
        assert other_language(closed.text, lang, DATA) == []

        # An empty comment is the workflow's refusal too.
        empty = await client.post("/team/week/E1", data={**post, "text": " ", "week": week})
        assert empty.status_code == 422
        assert other_language(empty.text, lang, DATA) == []

    # Not the rep's manager: M001 manages S001, who manages E1.
    async with site.session("manager:M001", lang) as boss:
        shown = await boss.get(f"/team/week/E1?week={week}")
        assert shown.status_code == 200 and 'id="feedback-form"' not in shown.text
        refused = await boss.post(
            "/team/week/E1", data={"csrf": csrf_of(shown), "text": "ok", "week": week}
        )
        assert refused.status_code == 422 and 'id="feedback-refused"' in refused.text
        if lang == "en":
            assert "only the rep's manager gives weekly feedback" in text(refused)
        assert other_language(refused.text, lang, DATA) == []
    rep_week = site.api.services.cycle_queries.rep_week(HR, "E1", week)
    assert rep_week.feedback.status == "pending" or rep_week.feedback.by == "S001"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_manager_gives_feedback_and_agrees_next_weeks_plan(
    site: Site,  # noqa: F811
    weeks: Weeks,
    lang: str,
) -> None:
    say = says(lang)
    week = weeks.week
    rep = REP[lang]
    plan = NEXT_PLAN[lang]
    comment = "好的一周，下周多拜访新客户" if lang == "zh" else "Good week; more new customers"
    async with site.session("manager:S001", lang) as client:
        fields = await _form(client, rep, week)
        page = await client.get(f"/team/week/{rep}?week={week}")
        # Next week's plan is prefilled from this week's (the targets stood as the plan).
        this_week = site.api.services.cycle_queries.rep_week(HR, rep, week)
        for line in this_week.lines:
            assert f'name="item.{line.item}"' in page.text
        assert other_language(page.text, lang, DATA) == []
        data = {
            **fields,
            "text": comment,
            "agree": "1",
            **{f"item.{k}": v for k, v in plan.items()},
        }
        sent = await client.post(f"/team/week/{rep}", data=data)
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/team/week/{rep}?week={week}&done=feedback#feedback"
        # The same form sent again (a retry) is answered once, not refused.
        again = await client.post(f"/team/week/{rep}", data=data)
        assert again.status_code == 303, again.text

        shown = await client.get(sent.headers["location"])
        html = text(shown)
        assert say["recorded"] in html and say["agreed"] in html
        assert 'id="agreed-plan"' in shown.text and comment in html
        assert other_language(shown.text, lang, DATA) == []

        # A second feedback (a new form) is refused, said on the same form.
        second = await client.post(
            f"/team/week/{rep}",
            data={**data, "command_id": str(uuid.uuid4()), "text": "again"},
        )
        assert second.status_code == 422 and 'id="feedback-refused"' in second.text
        if lang == "en":
            assert "one feedback per week" in text(second)
        assert other_language(second.text, lang, DATA) == []

    after = site.api.services.cycle_queries.rep_week(HR, rep, week)
    assert after.feedback.status == "given" and after.feedback.by == "S001"
    assert after.feedback.text == comment
    assert after.feedback.next_plan == {k: float(v) for k, v in plan.items()}

    # Monday: next week opens with the agreed plan (as the launcher opens it).
    later = next_week(week)
    site.api.services.store.cycles.open_week(rep, later, f"pages-{rep}-{later}")
    await _until("next week", lambda: site.api.services.cycle_queries.rep_week(HR, rep, later))
    async with site.session(f"employee:{rep}", lang) as rep_client:
        mine = await rep_client.get(f"/week?week={week}")
        assert 'id="agreed-next"' in mine.text and comment in text(mine)
        assert other_language(mine.text, lang, DATA) == []
        coming = await rep_client.get(f"/week?week={later}")
        assert say["agreed plan"] in text(coming)
        assert other_language(coming.text, lang, DATA) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_managers_alerts(site: Site, weeks: Weeks, lang: str) -> None:  # noqa: F811
    say = says(lang)
    services = site.api.services
    week = weeks.week
    alert = services.notifications.create(
        SYSTEM,
        f"test-team-alerts/{uuid.uuid4()}",
        "S001",
        "training.alert",
        {"en": "Retention below target two months running", "zh": "客户留存率连续两个月未达标"},
        {"en": "Customer Relationship Management is pushed.", "zh": "已推送客户关系管理课程。"},
        {"type": "cycle", "id": f"E1/{week}"},
    ).notification_id
    other = services.notifications.create(
        SYSTEM,
        f"test-team-alerts/{uuid.uuid4()}",
        "S001",
        "promotion.approval_waiting",
        {"en": "An application waits", "zh": "有申请在等待"},
        {"en": "Decide it.", "zh": "请审批。"},
        None,
    ).notification_id
    await asyncio.to_thread(site.api.caught_up)
    async with site.session("manager:S001", lang) as client:
        board = await client.get("/team/week")
        assert 'id="alerts-waiting"' in board.text and 'href="/team/alerts?unread=1"' in board.text
        page = await client.get("/team/alerts?unread=1")
        assert page.status_code == 200
        assert f'id="n-{alert}"' in page.text and f'id="n-{other}"' not in page.text
        assert f'class="notice-item unread" id="n-{alert}"' in page.text
        assert other_language(page.text, lang, DATA) == []
        read = await client.post(
            f"/team/alerts/{alert}/read", data={"csrf": csrf_of(page), "unread": ""}
        )
        assert read.status_code == 303 and read.headers["location"] == "/team/alerts?done=read"
        shown = await client.get(read.headers["location"])
        assert say["alert read"] in text(shown)
        assert f'class="notice-item read" id="n-{alert}"' in shown.text
        assert other_language(shown.text, lang, DATA) == []
