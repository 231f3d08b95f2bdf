"""The auditor's tools in the browser (issue 18, S15): on a 360 px phone and at a desktop,
in Chinese and in English, the auditor travels a history to a version and to a moment
(the state then, the events cut there) and re-evaluates it (identical); starts the event
store's verification and watches its progress bar (the page refreshes itself while the
workflow's activity heartbeats), then the result; a row tampered in this test's own
database is named. No text of the other language on any of these pages."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

import worker
from careerflow.api import i18n
from careerflow.principal import AccessRole, Principal
from tests.browser.conftest import Served
from tests.browser.support import checked
from tests.browser.test_browser import (  # noqa: F401
    SIZES,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
SAYS = {
    "en": {
        "show": "Show the state then",
        "reevaluate": "Re-evaluate",
        "identical": "Identical",
        "verify": "Verify now",
        "checked": "events checked",
        "intact": "Intact",
        "tampered": "Tampered",
        "edited": "an event was edited after it was recorded",
    },
    "zh": {
        "show": "显示当时的状态",
        "reevaluate": "重新评估",
        "identical": "一致",
        "verify": "立即核验",
        "checked": "个事件",
        "intact": "完好",
        "tampered": "已被篡改",
        "edited": "有事件在记录后被修改",
    },
}


@pytest.mark.parametrize(("lang", "size"), [("zh", "phone"), ("en", "desktop")])
async def test_the_auditor_travels_in_time_and_reevaluates(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
) -> None:
    from playwright.async_api import expect

    problems: list[str] = []
    visit = await sign_in(browser, served, "auditor:A001", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    says = SAYS[lang]
    app_id = served.arranged.application_id
    entries = served.services.history.history(AUDITOR, "application", app_id).entries
    try:
        await visit.goto(f"/audit/application/{app_id}")
        events = page.locator("#events tbody tr")
        await expect(events).to_have_count(len(entries))
        form = page.locator("#travel-form")
        await form.locator("input[name=version]").fill("1")
        await visit.press(form.get_by_role("button", name=says["show"]))
        await visit.arrive(re.compile(r"version=1"))
        await expect(page.locator("#state-then")).to_be_visible()
        await expect(events).to_have_count(1)
        await expect(page.locator("#state-then table.state")).to_contain_text(app_id)
        await checked(visit, "travel-version")

        # A moment typed in the company's zone (the minute after the first event).
        tz = "Asia/Shanghai"
        first = i18n.local_time(entries[0].at, tz)
        assert first is not None
        moment = (first + timedelta(minutes=1)).replace(second=0, microsecond=0)
        expected = sum(1 for e in entries if e.at <= moment)
        form = page.locator("#travel-form")
        await form.locator("input[name=version]").fill("")
        await form.locator("input[name=at]").fill(moment.strftime("%Y-%m-%dT%H:%M"))
        await visit.press(form.get_by_role("button", name=says["show"]))
        await visit.arrive(re.compile(r"at=\d{4}-\d\d-\d\dT\d\d"))
        await expect(page.locator("#state-then")).to_be_visible()
        await expect(events).to_have_count(expected)
        await checked(visit, "travel-moment")

        await visit.press(page.get_by_role("button", name=says["reevaluate"]))
        await visit.arrive(re.compile(r"/audit/reevaluate/application/"))
        verdict = page.locator("#verdict")
        await expect(verdict).to_have_attribute("data-identical", "yes")
        await expect(verdict).to_contain_text(says["identical"])
        await expect(page.locator("#decisions tbody tr")).to_have_count(1)
        await checked(visit, "reevaluation")
        assert not problems, problems
    finally:
        await visit.context.close()


@pytest.mark.parametrize(("lang", "size"), [("en", "desktop"), ("zh", "phone")])
async def test_the_auditor_verifies_with_progress_and_sees_a_tampered_event(
    browser: Browser,  # noqa: F811
    served: Served,
    lang: str,
    size: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.async_api import expect

    # Each application's step takes a while, so the progress is there to be seen.
    real = worker.verify_store

    def slow(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def reported(application: str, checked: int) -> None:
            progress(application, checked)
            time.sleep(0.6)

        return real(*args, progress=reported, **kwargs)

    monkeypatch.setattr(worker, "verify_store", slow)
    problems: list[str] = []
    visit = await sign_in(browser, served, "auditor:A001", lang, SIZES[size], tmp_path, problems)
    page = visit.page
    says = SAYS[lang]
    try:
        await visit.goto("/audit/tools")
        await checked(visit, "tools")
        await visit.press(page.get_by_role("button", name=says["verify"]))
        await visit.arrive(re.compile(r"/audit/verify/audit-verify-"))
        box = page.locator("#verification")
        await expect(box).to_have_attribute("data-state", "running")
        await expect(page.locator("#checked")).to_contain_text(says["checked"], timeout=20_000)
        await expect(page.locator("#progress")).to_be_visible()
        await checked(visit, "verify-running")
        await expect(box).to_have_attribute("data-state", "done", timeout=60_000)
        await expect(page.locator("#verdict")).to_contain_text(says["intact"])
        await checked(visit, "verify-done")

        with psycopg.connect(served.services.store.pg.conninfo(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT notification_id, originator_id, originator_version FROM people_events "
                "ORDER BY notification_id OFFSET 1 LIMIT 1"
            ).fetchone()
            assert row is not None
            conn.execute(
                "UPDATE people_events SET state = state || '\\x20'::bytea "
                "WHERE notification_id = %s",
                (row[0],),
            )
        try:
            await visit.goto("/audit/tools")
            await visit.press(page.get_by_role("button", name=says["verify"]))
            await visit.arrive(re.compile(r"/audit/verify/audit-verify-"))
            await expect(box).to_have_attribute("data-state", "done", timeout=60_000)
        finally:
            with psycopg.connect(served.services.store.pg.conninfo(), autocommit=True) as conn:
                conn.execute(
                    "UPDATE people_events SET state = substring(state FROM 1 FOR "
                    "length(state) - 1) WHERE notification_id = %s",
                    (row[0],),
                )
        await expect(page.locator("#verdict")).to_contain_text(says["tampered"])
        await expect(page.locator("#problem")).to_have_text(says["edited"])
        await expect(page.locator("#tampered-event")).to_have_text(f"{row[1]} v{row[2]}")
        await checked(visit, "verify-tampered")
        assert not problems, problems
    finally:
        await visit.context.close()
