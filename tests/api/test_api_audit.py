"""Audit through the API: a policy's history as JSON, JSON lines and HTML; each read is
recorded; the workflow replay answers with a report. A month's pay is HR's and hidden
from the auditor in every format; a support request's and a 360° round's history, time
travel and re-evaluation (the round's sealed results, never a rater); what there is to
audit, filtered; the auditor's pages record each view; HR backfills an upgraded store's
hash chain."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import Request
from fastapi.responses import HTMLResponse
from temporalio.testing import WorkflowEnvironment

import tests.api.test_matrix as matrix
from activities.assessments import (
    AssessmentActivities,
    CloseRound,
    OpenRound,
    RateCommand,
    RoundRequest,
    SealedRating,
)
from aggregates.competency import RatingItem
from careerflow.api.auth import COOKIE
from careerflow.api.errors import LANG_COOKIE
from careerflow.api.pages.guard import PageRoute, _caller
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.matrix_audit import pay_cases
from tests.language import other_language
from tests.test_cli_cycles import Cli
from tests.workflows.promotion_support import ingest

API = "/api/v1"

PATH = "/api/v1/audit/history/policy/promotion_criteria/sales_supervisor"


async def test_history_in_three_formats(api: ApiStack) -> None:
    before = api.services.store.audit.recorder.max_notification_id() or 0
    as_json = await api.call("auditor:A001", "GET", PATH)
    assert as_json.status_code == 200
    body = as_json.json()
    assert body["entries"][0]["event"] == "Created"
    assert body["entries"][-1]["actor"] == "H001"
    lines = (await api.call("auditor:A001", "GET", PATH + "?format=jsonl")).text.splitlines()
    assert [json.loads(line)["event"] for line in lines] == [e["event"] for e in body["entries"]]
    page = await api.call("hr:H001", "GET", PATH + "?format=html")
    assert page.headers["content-type"].startswith("text/html")
    assert "VersionPublished" in page.text
    assert (api.services.store.audit.recorder.max_notification_id() or 0) == before + 3
    unknown = await api.call("auditor:A001", "GET", "/api/v1/audit/history/application/nope")
    assert unknown.status_code == 404


async def test_replay_report(api: ApiStack) -> None:
    response = await api.call("auditor:A001", "POST", "/api/v1/audit/replay-workflows?limit=20")
    assert response.status_code == 200
    assert response.json()["failures"] == []


# -- pay, support requests, 360° rounds, the chain's backfill, the auditor's pages ----------
MONTH = "2030-01"
ROUND = "audit-round"
REQUEST = "SRAPIAUDIT1"
HR = Principal(person_id="H001", role=AccessRole.hr)


def _rating(level: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {
        "customer_insight": RatingItem(level=level),
        "relationship_maintenance": RatingItem(level=level),
        "resource_coordination": RatingItem(level=level, comment=comment),
    }


@pytest.fixture(scope="module")
async def subjects(api: ApiStack) -> None:
    """E1's month closed on real figures (150,000 sold against 120,000), a support request
    acknowledged, and a closed round with E2 and E3 as anonymous peers of E1 (too few to
    publish: hidden), all through the engine's own commands."""
    s = api.services
    rows = [("E1", f"2029-{m:02d}", "sales_amount", 100_000.0, "") for m in range(1, 13)]
    rows += [
        ("E1", MONTH, "sales_amount", 150_000.0, ""),
        ("E1", MONTH, "retention_rate", 80.0, ""),
        ("E1", MONTH, "small_deal_sales", 50_000.0, ""),
    ]
    ingest(s, rows)
    await asyncio.to_thread(api.caught_up)
    s.store.cycles.close_month("E1", MONTH, "month-close-audit")
    raised = datetime(2030, 3, 4, 1, 30, tzinfo=UTC)
    support = s.store.support
    support.raise_request(
        REQUEST, _person("E1"), "product", "a customised service?", None, raised, "support-x"
    )
    support.acknowledge(REQUEST, _person("PD01"), "ack", raised + timedelta(minutes=5))
    commands = AssessmentActivities(s.store.assessments)
    opened = datetime.now(UTC) - timedelta(days=9)
    deadline = opened + timedelta(days=7)
    commands.open(
        OpenRound(
            request=RoundRequest(round_id=ROUND, employee_ids=["E1"], deadline=deadline),
            started_by=HR,
            workflow_id=f"assessment-{ROUND}",
            now=opened,
        )
    )
    sealed = []
    for i, who in enumerate(("E1", "E2", "E3")):
        receipt = commands.rate(
            RateCommand(
                round_id=ROUND,
                principal=_person(who),
                ratee_id="E1",
                ratings=_rating(i + 2, f"note {who}"),
                key=f"r{i}",
                now=opened + timedelta(hours=i + 1),
            )
        )
        if receipt.anonymous:
            sealed.append(SealedRating(ratee_id="E1", group="peers", ratings=_rating(i + 2)))
    commands.close(CloseRound(round_id=ROUND, sealed=sealed, now=deadline))
    await asyncio.to_thread(api.caught_up)


def _person(who: str) -> Principal:
    return Principal(person_id=who, role=AccessRole.employee)


async def test_pay_is_hidden_from_the_auditor_in_every_audit_read(
    api: ApiStack, subjects: None
) -> None:
    for case in pay_cases(MONTH):
        await matrix.test_access(api, case)
    path = f"{API}/audit/history/month/E1/{MONTH}"
    for fmt in ("jsonl", "html"):
        hr = await api.call("hr:H001", "GET", f"{path}?format={fmt}")
        audited = await api.call("auditor:A001", "GET", f"{path}?format={fmt}")
        assert hr.status_code == audited.status_code == 200
        # 5,830 bonus on 150,000 sold: HR sees them, the auditor neither.
        assert "5830" in hr.text and "150000" in hr.text
        assert "5830" not in audited.text and "150000" not in audited.text
    page = await api.call("auditor:A001", "GET", f"{path}?format=html")
    assert "Bonus and commission figures are hidden from this reader." in page.text


async def test_support_and_round_audits_through_the_api(api: ApiStack, subjects: None) -> None:
    support = await api.call("auditor:A001", "GET", f"{API}/audit/history/support/{REQUEST}")
    assert support.status_code == 200, support.text
    assert [e["event"] for e in support.json()["entries"]] == ["Raised", "Acknowledged"]
    state = await api.call("auditor:A001", "GET", f"{API}/audit/state/support/{REQUEST}")
    assert state.json()[0]["state"]["acknowledged_by"] == "PD01"
    again = await api.call("auditor:A001", "POST", f"{API}/audit/reevaluate/support/{REQUEST}")
    assert again.status_code == 200 and again.json()["identical"] is True

    history = await api.call("auditor:A001", "GET", f"{API}/audit/history/assessment/{ROUND}")
    assert history.status_code == 200, history.text
    body = history.json()
    assert body["withheld"] == {"RatingRecorded": 1, "AnonymousTaskCompleted": 2}
    for rater in ("E2", "E3"):  # the anonymous peers
        assert f'"{rater}"' not in history.text and f"note {rater}" not in history.text
    jsonl = await api.call(
        "auditor:A001", "GET", f"{API}/audit/history/assessment/{ROUND}?format=jsonl"
    )
    assert '"E2"' not in jsonl.text and "AnonymousTaskCompleted" not in jsonl.text
    rated = await api.call("hr:H001", "GET", f"{API}/audit/state/assessment/{ROUND}?version=3")
    assert rated.status_code == 422 and "is a 360° rating" in rated.json()["detail"]
    checked = await api.call("hr:H001", "POST", f"{API}/audit/reevaluate/assessment/{ROUND}")
    assert checked.status_code == 200 and checked.json()["identical"] is True

    everything = await api.call("auditor:A001", "GET", f"{API}/audit/items?person=E1")
    kinds = {(i["kind"], i["ident"]) for i in everything.json()["items"]}
    assert {("support", REQUEST), ("month", f"E1/{MONTH}"), ("assessment", ROUND)} <= kinds
    assert all(i["person"] in ("E1", None) for i in everything.json()["items"])
    # The request was raised in March 2030 (the month and round are dated today).
    march = await api.call(
        "auditor:A001", "GET", f"{API}/audit/items?person=E1&since=2030-03-04&until=2030-03-04"
    )
    assert [(i["kind"], i["ident"]) for i in march.json()["items"]] == [("support", REQUEST)]
    # A round is found by the people assessed, never by its raters.
    by_ratee = await api.call("auditor:A001", "GET", f"{API}/audit/items?kind=assessment&person=E1")
    by_rater = await api.call("auditor:A001", "GET", f"{API}/audit/items?kind=assessment&person=E2")
    assert [i["ident"] for i in by_ratee.json()["items"]] == [ROUND]
    assert by_rater.json()["items"] == []
    backwards = await api.call(
        "hr:H001", "GET", f"{API}/audit/items?since=2030-02-01&until=2030-01-01"
    )
    assert backwards.status_code == 422 and "ends (2030-01-01) before it starts" in backwards.text


def _page_cookie(api: ApiStack, who: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={api.tokens[who]}; {LANG_COOKIE}=en"}


async def test_the_auditor_page_filters_exports_and_records_each_view(
    api: ApiStack, subjects: None
) -> None:
    auditor = _page_cookie(api, "auditor:A001")
    listing = await api.call(None, "GET", "/audit?kind=support&person=E1", headers=auditor)
    assert listing.status_code == 200, listing.text
    assert f'href="/audit/support/{REQUEST}"' in listing.text
    assert f"/api/v1/audit/history/support/{REQUEST}?format=jsonl" in listing.text
    assert "/audit/month/" not in listing.text  # filtered to support requests
    dated = await api.call(None, "GET", "/audit?since=2031-01-01", headers=auditor)
    assert "Nothing matches these filters." in dated.text
    bad = await api.call(None, "GET", "/audit?since=yesterday", headers=auditor)
    assert bad.status_code == 422 and "is not a day; use YYYY-MM-DD" in bad.text

    before = api.services.store.audit.recorder.max_notification_id() or 0
    month = await api.call(None, "GET", f"/audit/month/E1/{MONTH}", headers=auditor)
    assert month.status_code == 200, month.text
    assert "Bonus computed" in month.text  # the event said in the page's language
    assert "5830" not in month.text and 'id="pay-hidden"' in month.text
    hr_month = await api.call(
        None, "GET", f"/audit/month/E1/{MONTH}", headers=_page_cookie(api, "hr:H001")
    )
    assert "5830" in hr_month.text
    round_page = await api.call(None, "GET", f"/audit/assessment/{ROUND}", headers=auditor)
    assert 'id="withheld"' in round_page.text and "note E2" not in round_page.text
    # Each page view is on the record, as an API read is.
    notifications = api.services.store.audit.recorder.select_notifications(before + 1, 10)
    actions = [api.services.store.audit.repository.get(n.originator_id) for n in notifications]
    assert [(a.action, a.subject) for a in actions] == [
        ("page-view", f"month E1/{MONTH}"),
        ("page-view", f"month E1/{MONTH}"),
        ("page-view", f"assessment {ROUND}"),
    ]


# -- the list a page at a time, the new kinds, exports and page views (issue 18, S14) ------
async def _walk(api: ApiStack, query: str) -> tuple[list[tuple[str, str]], int, list[Any]]:
    """Every page of the list, following `next`: the items, the total, each `previous`."""
    seen: list[tuple[str, str]] = []
    cursor: str | None = None
    previous: list[Any] = []
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        page = await api.call("auditor:A001", "GET", f"{API}/audit/items?{query}{suffix}")
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [(i["kind"], i["ident"]) for i in body["items"]]
        previous.append(body["previous"])
        cursor = body["next"]
        assert body["truncated"] is (cursor is not None)
        if cursor is None:
            return seen, body["total"], previous


async def test_the_list_pages_with_a_cursor_over_every_kind(api: ApiStack, subjects: None) -> None:
    issued = api.services.tokens.issue(HR, "E2", AccessRole.employee, "paging phone")
    api.services.tokens.revoke(HR, issued.token_id, "lost the phone")
    await asyncio.to_thread(api.caught_up)
    whole = await api.call("auditor:A001", "GET", f"{API}/audit/items?limit=200")
    everything = [(i["kind"], i["ident"]) for i in whole.json()["items"]]
    assert whole.json()["total"] == len(everything) and whole.json()["next"] is None
    kinds = {k for k, _ in everything}
    assert {"employee", "policy", "token", "month", "support", "assessment"} <= kinds
    assert ("policy", "promotion_criteria/sales_supervisor") in everything
    assert ("employee", "E1") in everything and ("token", issued.token_id) in everything
    # Three at a time: every item exactly once, in the same order, the same total.
    seen, total, previous = await _walk(api, "limit=3")
    assert seen == everything and total == len(everything)
    assert previous[0] is None and all(previous[1:])
    # Back from the last page: the pages before it, in order.
    last_previous = previous[-1]
    back = await api.call(
        "auditor:A001", "GET", f"{API}/audit/items?limit=3&cursor={last_previous}"
    )
    size = len(everything) - 3 * (len(previous) - 1)
    start = len(everything) - size - 3
    assert [(i["kind"], i["ident"]) for i in back.json()["items"]] == everything[start:][:3]
    assert back.json()["next"] is not None
    # Filters hold on every page.
    tokens, token_total, _ = await _walk(api, "kind=token&limit=2")
    assert {k for k, _ in tokens} == {"token"} and token_total == len(tokens) >= 2
    e2, _, _ = await _walk(api, "person=E2&limit=2")
    assert ("token", issued.token_id) in e2 and ("employee", "E2") in e2
    revoked = await api.call("auditor:A001", "GET", f"{API}/audit/items?kind=token&person=E2")
    statuses = {i["ident"]: i["status"] for i in revoked.json()["items"]}
    assert statuses[issued.token_id] == "revoked"
    march, _, _ = await _walk(api, "since=2030-03-04&until=2030-03-04&limit=1")
    assert march == [("support", REQUEST)]
    bad = await api.call("auditor:A001", "GET", f"{API}/audit/items?cursor=nonsense")
    assert bad.status_code == 422 and "is not a page of this list" in bad.text
    # A token's history: issued and revoked, never the secret's hash.
    history = await api.call("auditor:A001", "GET", f"{API}/audit/history/token/{issued.token_id}")
    assert [e["event"] for e in history.json()["entries"]] == ["Issued", "Revoked"]
    assert "secret_hash" not in history.text


def _actions_since(api: ApiStack, before: int) -> list[tuple[str, str, str]]:
    notifications = api.services.store.audit.recorder.select_notifications(before + 1, 50)
    actions = [api.services.store.audit.repository.get(n.originator_id) for n in notifications]
    return [(a.action, a.subject, a.detail) for a in actions]


async def test_the_audit_page_pages_exports_and_records_each_view_once(
    api: ApiStack, subjects: None
) -> None:
    import io

    from openpyxl import load_workbook

    auditor = _page_cookie(api, "auditor:A001")
    first = await api.call(None, "GET", "/audit?person=E1&limit=2", headers=auditor)
    assert first.status_code == 200, first.text
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    href = first.text.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "person=E1" in href and "limit=2" in href and "cursor=" in href
    second = await api.call(None, "GET", href, headers=auditor)
    assert second.status_code == 200 and 'rel="prev"' in second.text
    assert 'name="person" type="search" value="E1"' in second.text  # the filters kept
    assert "?export=csv" in first.text and "?export=xlsx" in first.text

    before = api.services.store.audit.recorder.max_notification_id() or 0
    zh = {"Cookie": f"{COOKIE}={api.tokens['auditor:A001']}; {LANG_COOKIE}=zh"}
    listing = await api.call(None, "GET", "/audit?kind=token&export=csv", headers=zh)
    assert listing.status_code == 200
    assert listing.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in listing.headers["content-disposition"]
    text = listing.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("类型") and "访问令牌" in text
    assert "+08:00" in text  # the company's zone
    sheet = await api.call(None, "GET", f"/audit/month/E1/{MONTH}?export=xlsx", headers=auditor)
    assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("#", "Record", "When", "Event")
    bonus = [r for r in rows[1:] if r[3] == "Bonus computed"]
    assert bonus and "5830" not in str(bonus[0][-1])  # the auditor never sees the pay
    csv_history = await api.call(
        None, "GET", "/audit/policy/promotion_criteria/sales_supervisor?export=csv", headers=auditor
    )
    assert csv_history.content.startswith(b"\xef\xbb\xbf") and "Version published" in (
        csv_history.content.decode("utf-8-sig")
    )
    page = await api.call(None, "GET", "/audit?kind=policy", headers=auditor)
    item = await api.call(None, "GET", "/audit/employee/E1", headers=auditor)
    assert page.status_code == 200 and item.status_code == 200
    refused = await api.call(None, "GET", "/audit?export=pdf", headers=auditor)
    assert refused.status_code == 422
    # Each view and export is on the record exactly once.
    assert [(a, s) for a, s, _ in _actions_since(api, before)] == [
        ("export-csv", "audit items"),
        ("export-xlsx", f"month E1/{MONTH}"),
        ("export-csv", "policy promotion_criteria/sales_supervisor"),
        ("page-view", "audit items"),
        ("page-view", "employee E1"),
    ]


async def test_the_guard_records_an_audit_page_that_does_not_record_itself(
    api: ApiStack,
) -> None:
    """A page under /audit that reads nothing through the history service: its view is
    recorded by the pages' guard (path and query), for auditors and HR only, once."""

    def probe(request: Request) -> HTMLResponse:
        _caller(request)
        return HTMLResponse("probed")

    app = api.http._transport.app  # type: ignore[attr-defined]
    route = PageRoute("/audit/probe", probe, methods=["GET"])
    app.router.routes.insert(0, route)
    try:
        before = api.services.store.audit.recorder.max_notification_id() or 0
        for who in ("auditor:A001", "hr:H001", "employee:E1"):
            seen = await api.call(None, "GET", "/audit/probe?x=1", headers=_page_cookie(api, who))
            assert seen.status_code == 200 and seen.text == "probed"
        assert _actions_since(api, before) == [
            ("page-view", "/audit/probe", "x=1"),
            ("page-view", "/audit/probe", "x=1"),
        ]
    finally:
        app.router.routes.remove(route)


async def _verification_ends(api: ApiStack, who: str, verify_id: str) -> dict[str, Any]:
    """Follows a background verification through the API to its end; while it runs the
    answer says how far it got."""
    for _ in range(300):
        answer = await api.call(who, "GET", f"{API}/audit/verifications/{verify_id}")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert body["verify_id"] == verify_id
        if body["state"] != "running":
            return body
        assert body["report"] is None and 0 <= body["checked"] <= max(body["total"], 0)
        assert 0 <= body["percent"] < 100
        await asyncio.sleep(0.2)
    raise AssertionError("the verification did not end")


async def test_a_background_verification_is_started_and_followed(
    api: ApiStack, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """The auditor starts one (202, its id), reads its progress then its report, the same
    as the synchronous verification's; HR follows it too; others are refused and an
    unknown id is unknown. The CLI starts one the API follows and follows one the API
    started."""
    started = await api.call("auditor:A001", "POST", f"{API}/audit/verifications")
    assert started.status_code == 202, started.text
    verify_id = started.json()["verify_id"]
    assert verify_id.startswith("audit-verify-")
    assert started.json()["status_url"] == f"{API}/audit/verifications/{verify_id}"
    done = await _verification_ends(api, "hr:H001", verify_id)
    assert done["state"] == "done" and done["percent"] == 100, done
    assert done["report"]["ok"] is True and done["checked"] == done["total"] > 0
    direct = (await api.call("auditor:A001", "POST", f"{API}/audit/verify", json={})).json()
    assert [a["application"] for a in done["report"]["applications"]] == [
        a["application"] for a in direct["applications"]
    ]
    for who in ("employee:E1", "manager:M001", "integration:crm"):
        refused = await api.call(who, "POST", f"{API}/audit/verifications")
        assert refused.status_code == 403, (who, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        hidden = await api.call(who, "GET", f"{API}/audit/verifications/{verify_id}")
        assert hidden.status_code == 403, (who, hidden.text)
    for unknown in ("audit-verify-nope", "promotion-x"):
        missing = await api.call("auditor:A001", "GET", f"{API}/audit/verifications/{unknown}")
        assert missing.status_code == 404, missing.text
        assert missing.headers["content-type"].startswith("application/problem+json")

    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    read = await cli("audit", "verification", verify_id, "--json", *cli.as_("auditor:A001"))
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["report"]["ok"] is True
    bg = await cli("audit", "verify", "--background", "--json", *cli.as_("hr:H001"))
    assert bg.returncode == 0, bg.stderr
    from_cli = json.loads(bg.stdout)["verify_id"]
    assert (await _verification_ends(api, "auditor:A001", from_cli))["report"]["ok"] is True
    refused_cli = await cli("audit", "verify", "--background", *cli.as_("employee:E1"))
    assert refused_cli.returncode != 0 and refused_cli.stdout == ""
    assert "verify the event store" in refused_cli.stderr


async def test_a_verification_that_ended_without_a_report_is_failed(api: ApiStack) -> None:
    """An operator terminates a running verification (or its activity gives up): the API
    and the page say it failed, with no report, and the page asks to start again, in each
    language; nothing is said done."""
    started = await api.call("auditor:A001", "POST", f"{API}/audit/verifications")
    assert started.status_code == 202, started.text
    verify_id = started.json()["verify_id"]
    handle = api.temporal.get_workflow_handle(verify_id)
    await handle.terminate(reason="stopped by the operator (test)")

    answer = await api.call("auditor:A001", "GET", f"{API}/audit/verifications/{verify_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "failed" and body["report"] is None, body
    assert body["percent"] < 100

    for lang, says in (("en", "did not finish; start it again"), ("zh", "核验未能完成")):
        cookie = {"Cookie": f"{COOKIE}={api.tokens['auditor:A001']}; {LANG_COOKIE}={lang}"}
        page = await api.call(None, "GET", f"/audit/verify/{verify_id}", headers=cookie)
        assert page.status_code == 200, page.text
        assert 'data-state="failed"' in page.text and says in page.text
        assert 'http-equiv="refresh"' not in page.text  # it no longer refreshes itself
        assert other_language(page.text, lang) == []


async def test_an_upgraded_store_is_backfilled_by_hr(api: ApiStack, subjects: None) -> None:
    """Last in the module: it takes the chain rows away (an install from before the
    chain) and HR's backfill puts a whole chain back."""
    with psycopg.connect(api.services.store.pg.conninfo()) as conn:
        for app in api.services.store.applications():
            table = getattr(app.recorder, "events_table_name")  # noqa: B009
            conn.execute(f"DELETE FROM {table}_chain")
    verified = await api.call("auditor:A001", "POST", f"{API}/audit/verify", json={})
    assert verified.json()["ok"] is False
    problems = {a["finding"]["problem"] for a in verified.json()["applications"] if a["finding"]}
    assert problems == {"unchained"}
    denied = await api.call("auditor:A001", "POST", f"{API}/audit/backfill-chain")
    assert denied.status_code == 403
    done = await api.call("hr:H001", "POST", f"{API}/audit/backfill-chain")
    assert done.status_code == 200, done.text
    assert done.json()["chained"] > 0
    clean = await api.call("auditor:A001", "POST", f"{API}/audit/verify", json={})
    assert clean.json()["ok"] is True, clean.json()
