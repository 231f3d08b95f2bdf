"""HR closes a month from the pages, on the real stack called over ASGI like a browser:
the months (the current one not over yet, past ones open or closed, by whom and when,
with their statements), a close previewed (who would get a statement, per team; nothing
changes), confirmed (csrf, command_id and the confirm box: without it nothing closes),
followed to its end, and a second close refused. The refusals (a month not over yet, a
month the schedule already closed, a month already launched, a malformed month, not HR)
are the service's and said in the page's language; auditors read the months and no
form; reps and managers get the 403 page. Chinese and English, each without words of
the other."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from aggregates.calendar_periods import shift_month
from careerflow.api import i18n
from careerflow.api.pages.months import UNCONFIRMED
from projections.month_close_queries import LaunchRecord
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401 (the module's stack)
from tests.browser.support import HR, NAMES, _until
from tests.cycle_weeks import batch_ids
from tests.language import other_language
from words.messages import Message

pytestmark = pytest.mark.servers

DATA = [*NAMES.values()]


def one_language(page: httpx.Response, lang: str, what: str) -> None:
    found = other_language(page.text, lang, DATA)
    assert not found, f"{what} ({lang}): text of the other language: {sorted(set(found))[:20]}"


def _(lang: str, msgid: str, **values: Any) -> str:
    said = i18n.gettext_for(lang)(msgid)
    return said % values if values else said


def engine(lang: str, template: str, **values: Any) -> str:
    return i18n.say(Message(template, **values), lang)


def current_month(site: Site) -> str:  # noqa: F811
    settings, _ = site.api.services.store.cycles.settings()
    return settings.local_date(datetime.now(UTC)).strftime("%Y-%m")


@pytest.fixture(scope="module")
async def months(site: Site) -> AsyncIterator[dict[str, Any]]:  # noqa: F811
    """The months the tests use, and a month the schedule closed for E1 (a statement
    and no manual launch); whatever the tests start is terminated afterwards."""
    api = site.api
    now = current_month(site)
    by_schedule = shift_month(now, -4)
    api.services.store.cycles.close_month("E1", by_schedule, f"month-close-E1-{by_schedule}")
    await asyncio.to_thread(api.caught_up)
    started: list[str] = []
    yield {
        "current": now,
        "previous": shift_month(now, -1),
        "closed": shift_month(now, -2),
        "by_schedule": by_schedule,
        "started": started,
    }
    for workflow_id in started:
        handle = api.temporal.get_workflow_handle(workflow_id)
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


def _row(page: httpx.Response, month: str) -> str:
    found = re.search(rf'<tr id="month-{month}" data-state="(\w+)">(.*?)</tr>', page.text, re.S)
    assert found, f"no row for {month}"
    return f"{found.group(1)} {found.group(2)}"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_sees_the_months_and_previews_a_close(
    site: Site,  # noqa: F811
    months: dict[str, Any],
    lang: str,
) -> None:
    previous = months["previous"]
    async with site.session("hr:H001", lang) as client:
        hr = await client.get("/hr")
        assert 'href="/hr/months"' in hr.text and 'id="month-close-link"' in hr.text
        page = await client.get("/hr/months")
        assert page.status_code == 200, page.text
        one_language(page, lang, "months")
        assert _row(page, months["current"]).startswith("not_over")
        assert _(lang, "Not over yet") in _row(page, months["current"])
        assert f'id="close-{months["current"]}"' not in page.text
        assert _row(page, previous).startswith("open")
        assert f'href="/hr/months/{previous}/close"' in page.text
        schedule = _row(page, months["by_schedule"])
        assert schedule.startswith("closed") and _(lang, "the monthly schedule") in schedule
        assert f'id="close-{months["by_schedule"]}"' not in page.text

        preview = await client.get(f"/hr/months/{previous}/close")
        assert preview.status_code == 200, preview.text
        one_language(preview, lang, "preview")
        flow = site.api.services.cycle_process(site.api.temporal, site.api.queue)
        would = flow.would_launch(HR, "month", previous)
        total = _(
            lang,
            "%(starting)s reps would get a bonus statement for %(month)s.",
            starting=would.starting,
            month=previous,
        )
        assert would.starting > 0 and total in text(preview)
        for team in would.teams:
            assert (team.team_name or team.team_id) in text(preview)
        assert 'id="close-now"' in preview.text and 'name="confirm"' in preview.text
        # Nothing started, nothing closed.
        assert site.api.services.cycle_queries.month_statements(previous) == 0
        month_page = await client.get(f"/hr/months/{previous}")
        assert 'data-state="open"' in month_page.text
        one_language(month_page, lang, "an open month")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_refusals_are_said_in_the_page_language(
    site: Site,  # noqa: F811
    months: dict[str, Any],
    lang: str,
) -> None:
    now, previous = months["current"], months["previous"]
    async with site.session("hr:H001", lang) as client:
        early = await client.get(f"/hr/months/{now}/close")
        assert early.status_code == 422
        said = engine(
            lang,
            "month {month} is not over yet; a month is closed once it has ended "
            "(the latest month you can close now is {latest})",
            month=now,
            latest=previous,
        )
        assert said in text(early) and 'id="close-now"' not in early.text
        one_language(early, lang, "not over")

        closed = months["by_schedule"]
        again = await client.get(f"/hr/months/{closed}/close")
        assert again.status_code == 422
        said = engine(
            lang,
            "month {month} is already closed ({count} statements); closing it again "
            "would produce no statement",
            month=closed,
            count=1,
        )
        assert said in text(again)
        one_language(again, lang, "closed by the schedule")

        typo = await client.get("/hr/months/2026-W48/close")  # a week, not a month
        assert typo.status_code == 422 and "2026-11" in text(typo), text(typo)
        one_language(typo, lang, "malformed month")

        # Without the confirm box nothing closes: the preview again, with the reason.
        form = await client.get(f"/hr/months/{previous}/close")
        unconfirmed = await client.post(
            f"/hr/months/{previous}/close",
            data={"csrf": csrf_of(form), "command_id": "c-unconfirmed"},
        )
        assert unconfirmed.status_code == 422
        assert _(lang, UNCONFIRMED) in text(unconfirmed) and 'id="close-now"' in unconfirmed.text
        one_language(unconfirmed, lang, "unconfirmed")
        # A month not over, posted straight away, is refused the same way.
        posted = await client.post(
            f"/hr/months/{now}/close",
            data={"csrf": csrf_of(form), "command_id": "c-early", "confirm": "yes"},
        )
        assert posted.status_code == 422
        flow = site.api.services.cycle_process(site.api.temporal, site.api.queue)
        for month in (previous, now):
            with pytest.raises(Exception, match="not launched"):
                await flow.launch_status(HR, "month", month)

    async with site.session("auditor:A001", lang) as auditor:
        seen = await auditor.get("/hr/months")
        assert seen.status_code == 200 and 'id="close-' not in seen.text
        one_language(seen, lang, "the auditor's months")
        assert (await auditor.get(f"/hr/months/{previous}")).status_code == 200
        assert (await auditor.get(f"/hr/months/{previous}/close")).status_code == 403
        refused = await auditor.post(
            f"/hr/months/{previous}/close",
            data={"csrf": csrf_of(seen), "command_id": "c-auditor", "confirm": "yes"},
        )
        assert refused.status_code == 403
    for who in ("manager:S001", "employee:E1"):
        async with site.session(who, lang) as other:
            for path in ("/hr/months", f"/hr/months/{previous}", f"/hr/months/{previous}/close"):
                page = await other.get(path)
                assert page.status_code == 403, (who, path)
                one_language(page, lang, f"{who} refused")


async def test_hr_closes_a_month_then_a_second_close_is_refused(
    site: Site,  # noqa: F811
    months: dict[str, Any],
) -> None:
    api, month, lang = site.api, months["closed"], "zh"
    flow = api.services.cycle_process(api.temporal, api.queue)
    reps = flow.would_launch(HR, "month", month).employee_ids
    months["started"] += [
        f"cycle-launch-month-{month}",
        *batch_ids(month, reps),
    ]
    async with site.session("hr:H001", lang) as client:
        form = await client.get(f"/hr/months/{month}/close")
        assert form.status_code == 200 and 'id="close-now"' in form.text
        command_id = re.search(r'name="command_id" value="([^"]+)"', form.text)
        assert command_id
        data = {"csrf": csrf_of(form), "command_id": command_id.group(1), "confirm": "yes"}
        closed = await client.post(f"/hr/months/{month}/close", data=data)
        assert closed.status_code == 303, closed.text
        assert closed.headers["location"] == f"/hr/months/{month}?done=closing"
        # The same form sent again (a retry) is the same close, not a refusal.
        assert (await client.post(f"/hr/months/{month}/close", data=data)).status_code == 303

        async def finished() -> httpx.Response | None:
            page = await client.get(f"/hr/months/{month}?done=closing")
            assert page.status_code == 200
            if 'data-state="closing"' in page.text:
                assert '<meta http-equiv="refresh" content="2">' in page.text
                return None
            return page

        done = None
        for _attempt in range(300):
            done = await finished()
            if done is not None:
                break
            await asyncio.sleep(0.3)
        assert done is not None, "the close did not end"
        assert 'data-state="closed"' in done.text and 'id="done"' in done.text
        said = _(lang, "Closed: %(count)s bonus statements sent.", count=len(reps))
        assert said in text(done) and 'id="closed-by"><span translate="no">H001' in done.text
        one_language(done, lang, "closed")

        await _until(
            "the statements",
            lambda: api.services.cycle_queries.month_statements(month) == len(reps),
        )
        listed = await client.get("/hr/months")
        row = _row(listed, month)
        assert row.startswith("closed") and "H001" in row and str(len(reps)) in row
        one_language(listed, lang, "months after the close")

        # The launch is a read model row: who launched it, finished, with its counts.
        def finished_launch() -> LaunchRecord | None:
            found = api.services.cycle_queries.month_launches([month]).get(month)
            return found if found is not None and found.finished_at is not None else None

        launch: LaunchRecord = await _until("the launch's end", finished_launch)
        assert (launch.launched_by, launch.started, launch.skipped) == ("H001", len(reps), 0)
        assert launch.workflow_id == f"cycle-launch-month-{month}"
        # Read from it, not from the launcher: with the workflow gone from Temporal, the
        # months and the month still say closed, by H001, with the counts.
        await _forget(api.temporal, launch.workflow_id)
        listed = await client.get("/hr/months")
        row = _row(listed, month)
        assert row.startswith("closed") and "H001" in row and str(len(reps)) in row
        page = await client.get(f"/hr/months/{month}")
        assert 'data-state="closed"' in page.text
        assert 'id="closed-by"><span translate="no">H001' in page.text

        fresh = await client.get(f"/hr/months/{month}/close")  # a new form: refused
        assert fresh.status_code == 422
        said = engine(
            lang,
            "{period} is already launched; launching it again would start nobody",
            period=month,
        )
        assert said in text(fresh) and 'id="close-now"' not in fresh.text


async def _forget(temporal: Any, workflow_id: str) -> None:
    """Deletes a finished workflow from Temporal, and waits until it is gone."""
    await temporal.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=temporal.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        )
    )

    async def gone() -> bool:
        try:
            await temporal.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return True
            raise
        return False

    for _attempt in range(600):
        if await gone():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{workflow_id} was not deleted")


def _csv(got: httpx.Response) -> list[list[str]]:
    assert got.status_code == 200, got.text
    assert "attachment" in got.headers["content-disposition"]
    assert got.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


def _xlsx(got: httpx.Response) -> list[list[str]]:
    assert got.status_code == 200 and got.content.startswith(b"PK")
    sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    return [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_downloads_the_months_and_a_close_preview(
    site: Site,  # noqa: F811
    months: dict[str, Any],
    lang: str,
) -> None:
    previous = months["previous"]
    async with site.session("hr:H001", lang) as client:
        page = await client.get("/hr/months")
        assert 'href="/hr/months?format=csv"' in page.text
        listed = _csv(await client.get("/hr/months?format=csv"))
        words = ["Month", "State", "Statements", "Closed by", "Closed at"]
        assert listed[0] == [_(lang, w) for w in words]
        rows = {r[0]: r for r in listed[1:]}
        assert rows[months["current"]][1] == _(lang, "Not over yet")
        assert rows[months["by_schedule"]][1] == _(lang, "Closed")
        assert rows[months["by_schedule"]][3] == _(lang, "the monthly schedule")
        assert _xlsx(await client.get("/hr/months?format=xlsx")) == listed

        preview = await client.get(f"/hr/months/{previous}/close")
        assert f'href="/hr/months/{previous}/close?format=xlsx"' in preview.text
        teams = _csv(await client.get(f"/hr/months/{previous}/close?format=csv"))
        header = [_(lang, w) for w in ("Team", "Team id", "Would get a statement")]
        assert teams[0] == header
        flow = site.api.services.cycle_process(site.api.temporal, site.api.queue)
        would = flow.would_launch(HR, "month", previous)
        assert teams[1:] == [
            [t.team_name or t.team_id, t.team_id, str(t.starting)] for t in would.teams
        ]
        assert _xlsx(await client.get(f"/hr/months/{previous}/close?format=xlsx")) == teams
        assert site.api.services.cycle_queries.month_statements(previous) == 0
    async with site.session("employee:E1", lang) as rep:
        for path in ("/hr/months?format=csv", f"/hr/months/{previous}/close?format=csv"):
            assert (await rep.get(path)).status_code == 403
