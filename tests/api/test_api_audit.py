"""Audit through the API: a policy's history as JSON, JSON lines and HTML; each read is
recorded; the workflow replay answers with a report."""

from __future__ import annotations

import json

from tests.api.conftest import ApiStack

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
