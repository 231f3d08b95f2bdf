"""HR launches a week's cycles from the pages, on the real stack called over ASGI like a
browser: the week picker on /hr/cycles (HR only: auditors see no form), the dry-run
preview (per team, who would get a cycle and who already has one; nothing changes), then
Launch (csrf + command_id, POST-redirect-GET to the launch's page with ?done=launched),
the launch followed to its end, and a second launch refused. Refusals (a mistyped week
with the "2026-W48" hint, a week in the past, a week already launched, not HR) said in
the page's language with 422. Also: HR and auditors pick any manager's team week and
team 360° (a manager only their own), the manager's page links to the team pages, and
the team 360° profiles link to each person's profile. Chinese and English, each without
words of the other."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from aggregates.ladder import Role
from careerflow.api import i18n
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from projections.month_close_queries import LaunchRecord
from tests.api.test_api_assessments import _closed_round
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401 (the module's stack)
from tests.browser.support import HR, NAMES, _until, next_week
from tests.cycle_weeks import batch_ids
from tests.language import other_language

pytestmark = pytest.mark.servers

DATA = [*NAMES.values(), "E4", "E5"]
CLOSED = "2026-launch-pages"


def previous_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1).toordinal() - 7
    iso = date.fromordinal(monday).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def says(lang: str) -> dict[str, str]:
    """What the pages say in `lang`, from the catalogues (no hand copies)."""
    _ = i18n.gettext_for(lang)
    return {
        "preview": _("Dry run: who would get a cycle"),
        "launched": _("Launch started."),
        "whose team": _("Whose team"),
        "team week": _("The team week"),
    }


@pytest.fixture(scope="module")
async def arranged(site: Site) -> AsyncIterator[dict[str, Any]]:  # noqa: F811
    """Two more reps on S001's team and a closed 360° round; whatever the launch starts
    is terminated afterwards."""
    api = site.api
    api.services.people.import_org(
        DEMO_HR,
        OrgImport(
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=e,
                    role=Role.sales_rep,
                    team_id="T001",
                    manager_id="S001",
                    hire_date=date(2024, 1, 1),
                )
                for e in ("E4", "E5")
            ]
        ),
    )
    await asyncio.to_thread(api.caught_up)
    _closed_round(api, CLOSED)
    await asyncio.to_thread(api.caught_up)
    started: list[str] = []
    yield {"started": started}
    for workflow_id in started:
        handle = api.temporal.get_workflow_handle(workflow_id)
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


async def _launched(site: Site, week: str) -> bool:  # noqa: F811
    try:
        await site.api.temporal.get_workflow_handle(f"cycle-launch-week-{week}").describe()
    except RPCError:
        return False
    return True


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_previews_a_week_changing_nothing(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
    lang: str,
) -> None:
    week = site.arranged.week  # E1's and E2's cycles are open: they are skipped
    say = says(lang)
    async with site.session("hr:H001", lang) as client:
        cycles = await client.get(f"/hr/cycles?week={week}")
        assert cycles.status_code == 200 and 'id="launch-form"' in cycles.text
        assert 'type="week"' in cycles.text
        assert other_language(cycles.text, lang, DATA) == []

        page = await client.get(f"/hr/cycles/launch?week={week}")
        assert page.status_code == 200, page.text
        html = text(page)
        assert say["preview"] in html and 'id="launch-now"' in html
        assert 'name="command_id"' in html and 'name="csrf"' in html
        preview = site.api.services.cycle_process(site.api.temporal, site.api.queue).would_launch(
            HR, "week", week
        )
        assert preview.skipped == 2 and preview.starting == len(preview.employee_ids) - 2
        total = _gettext(
            "%(starting)s reps would get a cycle for %(week)s; %(skipped)s already have one "
            "and are skipped.",
            lang,
        )
        assert total % {"starting": preview.starting, "week": week, "skipped": 2} in html
        for team in preview.teams:
            assert (team.team_name or team.team_id) in html
        assert re.search(r'<td class="head" data-label=', page.text)
        assert other_language(page.text, lang, DATA) == []
        # Nothing started, nothing recorded.
        assert not await _launched(site, week)
        rates = site.api.services.cycle_queries.completion_rates(HR, week)
        assert rates.overall.cycles == 2


def _gettext(msgid: str, lang: str) -> str:
    return i18n.gettext_for(lang)(msgid)


def _engine(lang: str, template: str, **values: Any) -> str:
    from words.messages import Message

    return i18n.say(Message(template, **values), lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_refusals_are_said_on_the_form(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
    lang: str,
) -> None:
    week = site.arranged.week
    async with site.session("hr:H001", lang) as client:
        typo = await client.get("/hr/cycles/launch?week=2026-48")
        assert typo.status_code == 422
        assert "2026-W48" in text(typo) and 'id="refusal"' in typo.text
        assert 'id="launch-now"' not in typo.text
        assert other_language(typo.text, lang, DATA) == []

        past = previous_week(week)
        old = await client.get(f"/hr/cycles/launch?week={past}")
        assert old.status_code == 422
        said = _engine(
            lang,
            "week {week} is in the past; launch the current week {current} or a later one",
            week=past,
            current=week,
        )
        assert said in text(old)
        assert other_language(old.text, lang, DATA) == []

        # Posting a past week straight away is refused the same way; nothing starts.
        form = await client.get(f"/hr/cycles/launch?week={week}")
        posted = await client.post(
            "/hr/cycles/launch",
            data={"csrf": csrf_of(form), "week": past, "command_id": "c-past"},
        )
        assert posted.status_code == 422 and said in text(posted)
        assert not await _launched(site, past)

    for who in ("auditor:A001", "manager:S001", "employee:E1"):
        async with site.session(who, lang) as other:
            if who.startswith("auditor"):
                seen = await other.get(f"/hr/cycles?week={week}")
                assert seen.status_code == 200 and 'id="launch-form"' not in seen.text
            assert (await other.get(f"/hr/cycles/launch?week={week}")).status_code == 403


async def test_hr_launches_a_week_then_a_second_launch_is_refused(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
) -> None:
    api = site.api
    week = next_week(next_week(site.arranged.week))
    preview = api.services.cycle_process(api.temporal, api.queue).would_launch(HR, "week", week)
    arranged["started"] += [
        f"cycle-launch-week-{week}",
        *batch_ids(week, preview.employee_ids),
    ]
    async with site.session("hr:H001", "zh") as client:
        form = await client.get(f"/hr/cycles/launch?week={week}")
        assert form.status_code == 200 and 'id="launch-now"' in form.text
        command_id = re.search(r'name="command_id" value="([^"]+)"', form.text)
        assert command_id
        data = {"csrf": csrf_of(form), "week": week, "command_id": command_id.group(1)}
        launched = await client.post("/hr/cycles/launch", data=data)
        assert launched.status_code == 303, launched.text
        assert launched.headers["location"] == f"/hr/cycles/launch/{week}?done=launched"
        # The same form sent again (a retry) is the same launch, not a refusal.
        again = await client.post("/hr/cycles/launch", data=data)
        assert again.status_code == 303

        await api.temporal.get_workflow_handle(f"cycle-launch-week-{week}").result()
        done = await client.get(f"/hr/cycles/launch/{week}?done=launched")
        assert done.status_code == 200
        assert 'data-state="done"' in done.text and 'id="done"' in done.text
        assert other_language(done.text, "zh", DATA) == []

        def opened() -> bool:
            return api.services.cycle_queries.completion_rates(HR, week).overall.cycles == len(
                preview.employee_ids
            )

        await _until("the launched week's cycles", opened)

        # Its end as the read model of launches records it: the page says that record.
        def finished() -> LaunchRecord | None:
            found = api.services.cycle_queries.launches("week", [week]).get(week)
            return found if found is not None and found.finished_at is not None else None

        record: LaunchRecord = await _until("the launch's recorded end", finished)
        assert record.launched_by == "H001"
        assert record.started == preview.starting and record.skipped == preview.skipped
        page = await client.get(f"/hr/cycles/launch/{week}")
        assert 'data-state="done"' in page.text
        verdict = _gettext(
            "Done: %(started)s cycles started, %(skipped)s reps skipped (they already had one).",
            "zh",
        ) % {"started": record.started, "skipped": record.skipped}
        assert verdict in text(page)
        assert re.search(r'id="launched-by"><span translate="no">H001</span>', page.text)

        # A new form (a new command id): already launched, said with 422.
        fresh = await client.get(f"/hr/cycles/launch?week={week}")
        assert fresh.status_code == 422
        said = _engine(
            "zh", "{period} is already launched; launching it again would start nobody", period=week
        )
        assert said in text(fresh)
        refused = await client.post(
            "/hr/cycles/launch", data={**data, "command_id": "another-form"}
        )
        assert refused.status_code == 422 and said in text(refused)
        assert other_language(refused.text, "zh", DATA) == []

    # The API says the same refusal (its caller's language), as problem+json.
    api_refused = await api.call(
        "hr:H001", "POST", "/api/v1/cycles/launches", json={"kind": "week", "period": week}
    )
    assert api_refused.status_code == 422
    assert "is already launched" in api_refused.json()["detail"]

    async with site.session("hr:H001", "en") as client:
        done = await client.get(f"/hr/cycles/launch/{week}")
        assert 'data-state="done"' in done.text
        assert other_language(done.text, "en", DATA) == []
    # Auditors follow a launch too; they get no form anywhere.
    async with site.session("auditor:A001", "en") as client:
        seen = await client.get(f"/hr/cycles/launch/{week}")
        assert seen.status_code == 200 and "<form" not in seen.text.split("<main")[-1]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_and_auditors_pick_any_managers_team(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
    lang: str,
) -> None:
    week = site.arranged.week
    for who in ("hr:H001", "auditor:A001"):
        async with site.session(who, lang) as client:
            first = await client.get("/team/week")
            assert first.status_code == 200 and 'id="manager-picker"' in first.text
            assert 'id="pick-first"' in first.text and 'id="board"' not in first.text
            found = await client.get("/team/week?q=S00")
            assert 'href="/team/week?manager=S001' in found.text
            assert other_language(found.text, lang, DATA) == []

            board = await client.get(f"/team/week?manager=S001&week={week}")
            assert board.status_code == 200, board.text
            assert 'id="rep-E1"' in board.text and 'id="team-of"' in board.text
            assert f'href="/team/week?week={next_week(week)}&amp;manager=S001"' in board.text
            assert 'href="/employee/E1"' in board.text  # not the manager's feedback form
            assert "#feedback" not in board.text
            assert other_language(board.text, lang, DATA) == []

            team = await client.get(f"/team/assessments?manager=S001&round={CLOSED}")
            assert team.status_code == 200, team.text
            assert 'data-employee="E1"' in team.text
            assert f'href="/assessments/{CLOSED}/profile?employee=E1"' in team.text
            assert other_language(team.text, lang, DATA) == []
            profile = await client.get(f"/assessments/{CLOSED}/profile?employee=E1")
            assert profile.status_code == 200

    async with site.session("manager:S001", lang) as client:
        own = await client.get("/team/week?manager=S001")
        assert own.status_code == 200 and 'id="manager-picker"' not in own.text
        assert (await client.get("/team/week?manager=M001")).status_code == 403
        assert (await client.get("/team/assessments?manager=M001")).status_code == 403
        team = await client.get(f"/team/assessments?round={CLOSED}")
        assert f'href="/assessments/{CLOSED}/profile?employee=E1"' in team.text
        manager = await client.get("/manager")
        for path in ("/team/week?week=", "/team/plans", "/team/alerts", "/team/assessments"):
            assert f'href="{path}' in manager.text, path
        assert other_language(manager.text, lang, DATA) == []
    async with site.session("employee:E1", lang) as client:
        assert (await client.get("/team/week?manager=S001")).status_code == 403
        assert (await client.get("/team/assessments?manager=S001")).status_code == 403


async def test_the_api_keeps_its_launch_checks(site: Site) -> None:  # noqa: F811
    """The checks moved into the service: the API answers as before (403 first, the
    period field named for a mistyped week) and refuses a week in the past."""
    api = site.api
    denied = await api.call(
        "employee:E1", "POST", "/api/v1/cycles/launches", json={"period": "2026-48"}
    )
    assert denied.status_code == 403
    bad = await api.call(
        "hr:H001", "POST", "/api/v1/cycles/launches", json={"kind": "week", "period": "2026-48"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "period",
            "message": "expected a week like '2026-W48', got '2026-48'; use '2026-W48'",
        }
    ]
    past = previous_week(site.arranged.week)
    old = await api.call(
        "hr:H001", "POST", "/api/v1/cycles/launches", json={"kind": "week", "period": past}
    )
    assert old.status_code == 422 and "is in the past" in old.json()["detail"]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_week_the_schedule_launched_is_refused_on_the_form(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
    lang: str,
) -> None:
    """The Monday schedule's launch has a workflow id of its own (its time appended); its
    launcher's first roster read records the launch in the event store, and the preview
    and a launch of that week are refused as already launched (no workflow is started
    under the page's id). tests/workflows/test_cycle_schedule.py triggers the real
    schedule; here the record is made as that roster read makes it."""
    api = site.api
    week = next_week(next_week(next_week(site.arranged.week)))
    await asyncio.to_thread(
        api.services.store.cycles.record_launch, "week", week, "cycle-launch-week-scheduled"
    )
    said = _engine(
        lang, "{period} is already launched; launching it again would start nobody", period=week
    )
    async with site.session("hr:H001", lang) as client:
        preview = await client.get(f"/hr/cycles/launch?week={week}")
        assert preview.status_code == 422 and said in text(preview)
        assert 'id="launch-now"' not in preview.text
        assert other_language(preview.text, lang, DATA) == []
        form = await client.get("/hr/cycles/launch")
        posted = await client.post(
            "/hr/cycles/launch",
            data={"csrf": csrf_of(form), "week": week, "command_id": f"c-{lang}"},
        )
        assert posted.status_code == 422 and said in text(posted)
    assert not await _launched(site, week)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_launch_page_says_what_the_read_model_records(
    site: Site,  # noqa: F811
    arranged: dict[str, Any],
    lang: str,
) -> None:
    """The launch's page reads the read model of launches, not the launcher workflow: a
    week the schedule launched (its run has a workflow id of its own, none under the
    page's) shows as the record says. Recorded and not finished while its workflow runs
    nowhere: failed (the one thing Temporal is asked). Its end recorded: done with the
    recorded counts, launched by the weekly schedule. Never launched: 404."""
    api = site.api
    week = next_week(next_week(next_week(next_week(site.arranged.week))))
    if lang == "zh":  # a week of its own per language
        week = next_week(week)
    scheduled = f"cycle-launch-week-{week}-scheduled"
    cycles = api.services.store.cycles
    await asyncio.to_thread(cycles.record_launch, "week", week, scheduled)
    await asyncio.to_thread(api.caught_up)
    _ = i18n.gettext_for(lang)
    async with site.session("hr:H001", lang) as client:
        died = await client.get(f"/hr/cycles/launch/{week}")
        assert died.status_code == 200, died.text
        assert 'data-state="failed"' in died.text and 'http-equiv="refresh"' not in died.text
        assert _("the weekly schedule") in text(died)
        assert other_language(died.text, lang, DATA) == []

        await asyncio.to_thread(cycles.finish_launch, "week", week, scheduled, 7, 3)
        await asyncio.to_thread(api.caught_up)
        done = await client.get(f"/hr/cycles/launch/{week}")
        assert 'data-state="done"' in done.text
        verdict = _(
            "Done: %(started)s cycles started, %(skipped)s reps skipped (they already had one)."
        ) % {"started": 7, "skipped": 3}
        assert verdict in text(done) and _("the weekly schedule") in text(done)
        assert 'id="launched-at"' in done.text
        assert other_language(done.text, lang, DATA) == []

        never = await client.get(f"/hr/cycles/launch/{next_week(next_week(week))}")
        assert never.status_code == 404
    async with site.session("auditor:A001", lang) as client:
        seen = await client.get(f"/hr/cycles/launch/{week}")
        assert seen.status_code == 200 and 'data-state="done"' in seen.text
    async with site.session("manager:S001", lang) as client:
        assert (await client.get(f"/hr/cycles/launch/{week}")).status_code == 403
