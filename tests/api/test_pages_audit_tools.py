"""The auditor's tools on the pages (issue 18, S15), over ASGI on the real stack: a
history travels to a version or a moment (the state then, the events cut there), the
readiness and the pool at a moment, a re-evaluation said identical or with its
differences, the store's verification started as a workflow and followed to its result
(a tampered row named); people who may not audit are refused, in the page's language.
Every page is checked to hold no text of the other language."""

from __future__ import annotations

import asyncio
import csv
import html as markup
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import openpyxl
import psycopg
import pytest

from careerflow.api import i18n
from careerflow.audit import reevaluation
from careerflow.principal import AccessRole, Principal
from tests.api.test_pages import Site, csrf_of, site  # noqa: F401  (the module's stack)
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
DATA = list(NAMES.values())
SAYS = {
    "en": {
        "identical": "Identical",
        "different": "Different",
        "refused": "Not allowed",
        "intact": "Intact",
        "tampered": "Tampered",
        "edited": "an event was edited after it was recorded",
    },
    "zh": {
        "identical": "一致",
        "different": "不一致",
        "refused": "无权访问",
        "intact": "完好",
        "tampered": "已被篡改",
        "edited": "有事件在记录后被修改",
    },
}


def one_language(page: httpx.Response, lang: str, what: str) -> None:
    found = other_language(page.text, lang, DATA)
    assert not found, f"{what} ({lang}): text of the other language: {sorted(set(found))[:20]}"


def text(page: httpx.Response) -> str:
    return markup.unescape(page.text)


def event_rows(page: httpx.Response) -> int:
    events = page.text.split('id="events"', 1)[1].split("</table>", 1)[0]
    return events.count("<tr><td")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_history_travels_to_a_version_and_a_moment(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    app_id = site.application_id
    entries = site.api.services.history.history(AUDITOR, "application", app_id).entries
    assert len(entries) >= 2
    tz = site.api.services.policies.current("promotion_process", "default").document.get(
        "time_zone", "Asia/Shanghai"
    )
    async with site.session("auditor:A001", lang) as client:
        now = await client.get(f"/audit/application/{app_id}")
        assert now.status_code == 200 and 'id="travel-form"' in now.text
        assert event_rows(now) == len(entries) and 'id="state-then"' not in now.text
        one_language(now, lang, "history")

        first = await client.get(f"/audit/application/{app_id}?version=1")
        assert first.status_code == 200, text(first)
        assert 'id="state-then"' in first.text and event_rows(first) == 1
        assert f'<code translate="no">{app_id}</code>' in first.text  # the state's id
        # The state's fields by their words (api/audit_words), not the code's names.
        stage = {"zh": "阶段", "en": "stage"}[lang]
        assert 'data-field="stage"' in first.text and f">{stage}</td>" in first.text
        assert '<code translate="no">stage</code>' not in first.text
        one_language(first, lang, "history at version 1")

        # A moment typed in the company's zone, to the second: the events up to it.
        started = i18n.local_time(entries[0].at, tz)
        assert started is not None
        typed = started.replace(tzinfo=None).isoformat()
        then = await client.get(f"/audit/application/{app_id}", params={"at": typed})
        assert then.status_code == 200, text(then)
        assert event_rows(then) == sum(1 for e in entries if e.at <= entries[0].at)
        assert event_rows(then) < len(entries)
        one_language(then, lang, "history at a moment")

        wrong = await client.get(f"/audit/application/{app_id}?version=999")
        assert wrong.status_code == 404
        one_language(wrong, lang, "no such version")
        typo = await client.get(f"/audit/application/{app_id}?at=2026-13-45T99:00")
        assert typo.status_code == 422 and "2026-13-45T99:00" in text(typo)
        one_language(typo, lang, "a moment that is not one")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_state_unfolds_its_nested_keys_by_their_words(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    """An employee's metric ledger, as it is now: its entries' keys (`measurement`,
    `metric`, `source`, `batch_id`) by their words, as the CLI says them."""
    tz = site.api.services.policies.current("promotion_process", "default").document.get(
        "time_zone", "Asia/Shanghai"
    )
    # A page types moments to the second: round up, so an event written earlier in this
    # same second is not after the moment, and wait until that moment has passed.
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    await asyncio.sleep((moment - datetime.now(UTC)).total_seconds() + 0.05)
    now = i18n.local_time(moment, tz)
    assert now is not None
    typed = now.replace(tzinfo=None).isoformat()
    async with site.session("auditor:A001", lang) as client:
        page = await client.get("/audit/employee/E1", params={"at": typed})
        assert page.status_code == 200, text(page)
        assert 'data-field="entries"' in page.text
        unfolded = text(page).split('data-field="entries"', 1)[1].split("</pre>", 1)[0]
        words = {"en": ("measurement", "metric", "source", "ingest batch"),
                 "zh": ("度量值", "指标", "来源", "导入批次")}[lang]  # fmt: skip
        assert all(f'"{w}":' in unfolded for w in words), unfolded[:2000]
        assert '"batch_id":' not in unfolded, unfolded[:2000]
        one_language(page, lang, "an employee's state now")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_readiness_and_pool_at_a_moment(site: Site, lang: str) -> None:  # noqa: F811
    async with site.session("auditor:A001", lang) as client:
        tools = await client.get("/audit/tools")
        assert tools.status_code == 200
        for form in ("verify-form", "readiness-form", "pool-form"):
            assert f'id="{form}"' in tools.text
        one_language(tools, lang, "audit tools")
        moment = "2099-01-01T00:00"
        found = await client.get(f"/audit/readiness?employee=E1&at={moment}")
        assert found.status_code == 303
        readiness = await client.get(found.headers["location"])
        assert readiness.status_code == 200, text(readiness)
        assert 'id="readiness-result"' in readiness.text
        # The policies by their names, not their ids (metric_catalog/default).
        assert 'data-policy="metric_catalog/default"' in readiness.text
        assert "metric_catalog" not in text(readiness).replace('"metric_catalog/default"', "")
        one_language(readiness, lang, "readiness at a moment")
        before = await client.get("/audit/readiness/E1?at=2000-01-01T00:00")
        assert before.status_code == 404  # no readiness before any event
        one_language(before, lang, "readiness before anything")
        pool = await client.get(f"/audit/pool?at={moment}")
        assert pool.status_code == 200 and 'id="pool-result"' in pool.text
        one_language(pool, lang, "pool at a moment")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_reevaluation_says_identical_or_shows_the_differences(
    site: Site,  # noqa: F811
    lang: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app_id = site.application_id
    says = SAYS[lang]
    async with site.session("auditor:A001", lang) as client:
        page = await client.get(f"/audit/application/{app_id}")
        assert 'id="reevaluate-form"' in page.text
        target = f"/audit/reevaluate/application/{app_id}"
        same = await client.post(target, data={"csrf": csrf_of(page)})
        assert same.status_code == 200, text(same)
        assert 'data-identical="yes"' in same.text and says["identical"] in text(same)
        assert 'id="differences"' not in same.text
        one_language(same, lang, "identical re-evaluation")

        original = reevaluation.assess

        def moved(*args: Any, **kwargs: Any) -> Any:
            return original(*args, **kwargs).model_copy(update={"as_of_month": "1999-01"})

        monkeypatch.setattr(reevaluation, "assess", moved)
        differs = await client.post(target, data={"csrf": csrf_of(page)})
        assert differs.status_code == 200
        assert 'data-identical="no"' in differs.text and says["different"] in text(differs)
        assert '<code translate="no">as_of_month</code>' in differs.text
        assert "1999-01" in differs.text
        one_language(differs, lang, "differing re-evaluation")
        # The differences downloaded: the same rows, the headers in the page's language.
        assert 'id="differences-export"' in differs.text
        said = i18n.gettext_for(lang)
        for fmt in ("csv", "xlsx"):
            got = await client.post(target, data={"csrf": csrf_of(page), "format": fmt})
            rows = _table(got)
            words = ("Decision", "Field", "Recorded", "Recomputed")
            assert rows[0] == [said(w) for w in words], fmt
            moved_row = next(r for r in rows[1:] if r[1] == "as_of_month")
            assert moved_row[3] == '"1999-01"' and moved_row[2] != moved_row[3]
        async with site.session("employee:E1", lang) as rep:
            home = await rep.get("/")
            home = await rep.get(home.headers["location"]) if home.is_redirect else home
            refused = await rep.post(target, data={"csrf": csrf_of(home), "format": "csv"})
            assert refused.status_code == 403

        forged = await client.post(target, data={"csrf": "forged"})
        assert forged.status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_who_may_not_audit_is_refused(site: Site, lang: str) -> None:  # noqa: F811
    app_id = site.application_id
    for who in ("employee:E1", "manager:S001"):
        async with site.session(who, lang) as client:
            home = await client.get("/")
            home = await client.get(home.headers["location"]) if home.is_redirect else home
            token = csrf_of(home)
            for refused in (
                await client.get("/audit/tools"),
                await client.get("/audit/pool?at=2099-01-01T00:00"),
                await client.get(f"/audit/application/{app_id}?version=1"),
                await client.post(f"/audit/reevaluate/application/{app_id}", data={"csrf": token}),
                await client.post("/audit/verify", data={"csrf": token}),
            ):
                assert refused.status_code == 403, (who, refused.request.url)
                assert SAYS[lang]["refused"] in text(refused)
                one_language(refused, lang, f"refused {who}")


async def follow(client: httpx.AsyncClient, where: str) -> httpx.Response:
    for _ in range(300):
        page = await client.get(where)
        assert page.status_code == 200, text(page)
        if 'data-state="running"' not in page.text:
            return page
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert re.search(r'<progress id="progress" value="\d+" max="\d+"', page.text)
        await asyncio.sleep(0.2)
    raise AssertionError("the verification did not end")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_verify_shows_progress_then_names_a_tampered_event(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    says = SAYS[lang]
    async with site.session("auditor:A001", lang) as client:
        tools = await client.get("/audit/tools")
        started = await client.post("/audit/verify", data={"csrf": csrf_of(tools)})
        assert started.status_code == 303
        where = started.headers["location"]
        assert where.startswith("/audit/verify/audit-verify-")
        done = await follow(client, where)
        assert 'data-state="done"' in done.text and 'data-ok="yes"' in done.text
        assert says["intact"] in text(done) and "http-equiv" not in done.text
        # The stores by their words, not their tables' names.
        assert 'data-store="people"' in done.text
        assert {"zh": "人员与组织", "en": "people and organisation"}[lang] in text(done)
        one_language(done, lang, "verified")

        conninfo = site.api.services.store.pg.conninfo()
        with psycopg.connect(conninfo, autocommit=True) as conn:
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
            again = await client.post("/audit/verify", data={"csrf": csrf_of(tools)})
            found = await follow(client, again.headers["location"])
        finally:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(
                    "UPDATE people_events SET state = substring(state FROM 1 FOR "
                    "length(state) - 1) WHERE notification_id = %s",
                    (row[0],),
                )
        assert 'data-ok="no"' in found.text and says["tampered"] in text(found)
        assert says["edited"] in text(found)
        named = found.text.split('id="tampered-event"', 1)[1].split("</td>", 1)[0]
        assert f"{row[1]} v{row[2]}" in named
        one_language(found, lang, "tampered")


def _table(got: httpx.Response) -> list[list[str]]:
    assert got.status_code == 200, text(got)
    assert "attachment" in got.headers["content-disposition"]
    if got.content.startswith(b"PK"):
        sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None
        return [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert got.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_readiness_and_pool_at_a_moment_download(site: Site, lang: str) -> None:  # noqa: F811
    said = i18n.gettext_for(lang)
    moment = "2099-01-01T00:00"
    when = datetime.fromisoformat(moment).replace(tzinfo=i18n.zone("Asia/Shanghai"))
    travel = site.api.services.time_travel
    async with site.session("auditor:A001", lang) as client:
        page = await client.get(f"/audit/readiness/E1?at={moment}")
        assert "format=csv" in page.text and "export-xlsx" in page.text
        got = _table(await client.get(f"/audit/readiness/E1?at={moment}&format=csv"))
        assert got[0] == [said("Field"), said("Value")]
        fields = dict((r[0], r[1]) for r in got[1:])
        r = travel.readiness_at(AUDITOR, "E1", when).result
        assert fields[said("Role")] == i18n.role_label(r["role"], lang)
        assert fields[said("Eligible")] == (said("yes") if r["eligible"] else said("no"))
        assert "metric_catalog" not in fields[said("Policy versions")]
        xlsx = await client.get(f"/audit/readiness/E1?at={moment}&format=xlsx")
        assert _table(xlsx) == got

        pool = _table(await client.get(f"/audit/pool?at={moment}&format=csv"))
        words = ("Employee", "Name", "Role", "Team", "Potential score")
        assert pool[0] == [said(w) for w in words]
        then = travel.candidate_pool_at(AUDITOR, when).result
        assert [row[0] for row in pool[1:]] == [c["employee_id"] for c in then]
        for row, c in zip(pool[1:], then, strict=True):
            assert row[1] == c["name"] and row[2] == i18n.role_label(c["role"], lang)
        assert _table(await client.get(f"/audit/pool?at={moment}&format=xlsx")) == pool
    async with site.session("employee:E1", lang) as rep:
        for path in (f"/audit/pool?at={moment}&format=csv", "/audit/readiness/E1?format=csv"):
            assert (await rep.get(path)).status_code == 403, path
