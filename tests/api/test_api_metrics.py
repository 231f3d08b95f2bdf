"""Metric exports through the API on the real stack: CSV, JSON lines and JSON rows are
ingested by the MetricImport workflow (all or nothing, once per batch), a malformed file
is refused with its line numbers, and the measurements then read back by row rules."""

from __future__ import annotations

import asyncio
import time
from datetime import date, datetime
from typing import Any

import orjson

from careerflow.demo_loader import DEMO_HR
from tests.api.conftest import ApiStack
from tests.workbooks import workbook

CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}


async def measurements(api: ApiStack, who: str, employee_id: str, **params: str) -> Any:
    response = await api.call(
        who,
        "GET",
        f"/api/v1/employees/{employee_id}/measurements",
        params={"limit": "200", **params},
    )
    assert response.status_code == 200, response.text
    page = response.json()  # one page of at most 200 holds every row these tests make
    assert page["total"] == len(page["items"]) and page["next_cursor"] is None, page
    return page["items"]


async def test_the_crm_posts_a_csv_once_and_the_measurements_appear(api: ApiStack) -> None:
    export = (
        b"employee_id,period,metric,value,source,item\n"
        b"E1,2026-09,customer_visits,14,crm,\n"
        b"E1,2026-09,course_completed,92,crm,Team Management\n"
        b"E2,2026-09,customer_visits,8,crm,\n"
    )
    first = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=export, headers=CSV
    )
    assert first.status_code == 200, first.text
    result = first.json()
    assert (result["rows"], result["employees"], result["already_ingested"]) == (3, 2, False)
    assert result["batch_id"].startswith("sha256:")
    assert result["employee_ids"] == ["E1", "E2"]

    again = await api.call(
        "hr:H001", "POST", "/api/v1/metrics/exports", content=export, headers=CSV
    )
    assert again.status_code == 200, again.text
    assert again.json()["already_ingested"] and again.json()["events_written"] == 0
    assert again.json()["batch_id"] == result["batch_id"]

    api.caught_up()
    mine = await measurements(api, "employee:E1", "E1", period="2026-09")
    assert {(m["metric"], m["item"], m["value"], m["source"]) for m in mine} == {
        ("customer_visits", None, 14.0, "crm"),
        ("course_completed", "Team Management", 92.0, "crm"),
    }
    assert {m["batch_id"] for m in mine} == {result["batch_id"]}
    # The manager chain, HR and auditors read them; a colleague cannot tell E1 exists.
    for who in ("manager:S001", "manager:M001", "hr:H001", "auditor:A001"):
        assert len(await measurements(api, who, "E1", period="2026-09")) == 2
    only = await measurements(api, "manager:S001", "E1", metric="customer_visits")
    assert [m["value"] for m in only if m["period"] == "2026-09"] == [14.0]
    hidden = await api.call("employee:E2", "GET", "/api/v1/employees/E1/measurements")
    unknown = await api.call("employee:E2", "GET", "/api/v1/employees/NOPE/measurements")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"].replace("E1", "?") == unknown.json()["detail"].replace(
        "NOPE", "?"
    )


async def test_json_lines_and_json_rows_are_exports_too(api: ApiStack) -> None:
    lines = b"".join(
        orjson.dumps(row) + b"\n"
        for row in [
            {
                "employee_id": "E2",
                "period": "2026-08",
                "metric": "satisfaction",
                "value": 91.5,
                "source": "survey",
            },
            {
                "employee_id": "E2",
                "period": "2026-08",
                "metric": "repurchase_rate",
                "value": 55,
                "source": "crm",
            },
        ]
    )
    pushed = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=lines, headers=NDJSON
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["rows"] == 2
    rows = {
        "rows": [
            {
                "employee_id": "E2",
                "period": "2026-W35",
                "metric": "customer_visits",
                "value": 11,
                "source": "crm",
            }
        ]
    }
    posted = await api.call("hr:H001", "POST", "/api/v1/metrics/exports", json=rows)
    assert posted.status_code == 200, posted.text
    assert (await api.call("hr:H001", "POST", "/api/v1/metrics/exports", json=rows)).json()[
        "already_ingested"
    ]
    api.caught_up()
    seen = {
        (m["period"], m["metric"]): (m["value"], m["source"])
        for m in await measurements(api, "employee:E2", "E2")
    }
    assert seen[("2026-08", "satisfaction")] == (91.5, "survey")
    assert seen[("2026-08", "repurchase_rate")] == (55.0, "crm")
    assert seen[("2026-W35", "customer_visits")] == (11.0, "crm")


async def test_a_malformed_file_is_refused_line_by_line_and_nothing_is_stored(
    api: ApiStack,
) -> None:
    export = (
        b"employee_id,period,metric,value,source\n"
        b"E3,2026-07,customer_visits,9,crm\n"
        b"E3,2026-07,customer_visits,lots,crm\n"
        b"E404,2026-07,customer_visits,3,crm\n"
        b"E3,2026-13,customer_visits,3,crm\n"
        b"E3,2026-07,live_stream_conversion,3,crm\n"
    )
    refused = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=export, headers=CSV
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert "nothing was ingested, 4 problem(s)" in problem["detail"]
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"line 3: value", "line 4: employee_id", "line 5: period", "line 6: metric"}
    assert "line 4: employee_id: unknown employee 'E404'" in problem["detail"]
    assert "unknown metric 'live_stream_conversion'" in problem["detail"]

    header = await api.call(
        "integration:crm",
        "POST",
        "/api/v1/metrics/exports",
        content=b"who,what\nE3,9\n",
        headers=CSV,
    )
    assert header.status_code == 422
    assert "line 1: header: missing column(s)" in header.json()["detail"]

    bad_rows = {
        "rows": [
            {
                "employee_id": "E3",
                "period": "2026-07",
                "metric": "customer_visits",
                "value": 1,
                "source": "crm",
            },
            {
                "employee_id": "E3",
                "period": "2026-07",
                "metric": "customer_visits",
                "source": "crm",
            },
        ]
    }
    missing = await api.call("hr:H001", "POST", "/api/v1/metrics/exports", json=bad_rows)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["line 2: value"]
    not_rows = await api.call("hr:H001", "POST", "/api/v1/metrics/exports", json={"row": []})
    assert not_rows.status_code == 422
    assert not_rows.json()["errors"][0]["field"] == "rows"

    api.caught_up()
    assert await measurements(api, "hr:H001", "E3", period="2026-07") == []


async def test_only_integrations_and_hr_push_and_only_known_formats(api: ApiStack) -> None:
    export = b"employee_id,period,metric,value,source\nE1,2026-06,customer_visits,9,crm\n"
    denied = await api.call(
        "manager:S001", "POST", "/api/v1/metrics/exports", content=export, headers=CSV
    )
    assert denied.status_code == 403
    assert "may not ingest metrics" in denied.json()["detail"]
    plain = await api.call(
        "integration:crm",
        "POST",
        "/api/v1/metrics/exports",
        content=export,
        headers={"Content-Type": "text/plain"},
    )
    assert plain.status_code == 415
    assert "text/csv" in plain.json()["detail"]
    api.caught_up()
    assert await measurements(api, "hr:H001", "E1", period="2026-06") == []


async def test_running_development_plans_hear_about_new_metrics(api: ApiStack) -> None:
    plans = api.services.plan_process(api.temporal, api.queue)
    plan_id = await plans.start(DEMO_HR, "S001", date.today().replace(day=1), None)
    deadline = time.monotonic() + 60
    while True:  # the plan's aggregate is written by the workflow, then projected
        api.caught_up()
        with api.services.read_pool.connection() as conn:
            if conn.execute("SELECT 1 FROM rm_plan WHERE plan_id = %s", (plan_id,)).fetchone():
                break
        assert time.monotonic() < deadline, "the plan never reached the read model"
        await asyncio.sleep(0.2)
    month = date.today().strftime("%Y-%m")
    export = f"employee_id,period,metric,value,source\nS001,{month},new_customers,2,crm\n"
    pushed = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=export.encode(), headers=CSV
    )
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["employee_ids"] == ["S001"]
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        async for e in api.temporal.get_workflow_handle(plan_id).fetch_history_events()
        if e.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == ["metrics_arrived"]


async def test_a_negative_or_non_numeric_count_or_amount_refuses_the_whole_file(
    api: ApiStack,
) -> None:
    """Counts and amounts are never negative nor flags; rates may be (growth can fall).
    One such value refuses the file, naming line and field, and stores nothing."""
    export = (
        b"employee_id,period,metric,value,source\n"
        b"E3,2026-05,customer_visits,9,crm\n"
        b"E3,2026-05,sales_amount,-5,crm\n"
        b"E3,2026-05,new_customers,-1,crm\n"
        b"E3,2026-05,team_sales_growth,-3.5,crm\n"
        b"E3,2026-05,small_deal_volume,a dozen,crm\n"
    )
    refused = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=export, headers=CSV
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "nothing was ingested, 3 problem(s)" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [
        "line 3: value",
        "line 4: value",
        "line 6: value",
    ]
    assert (
        "line 3: value: sales_amount is an amount and cannot be negative, got -5; send 0 or more"
        in problem["detail"]
    )
    negative_count = "line 4: value: new_customers is a count and cannot be negative, got -1"
    assert negative_count in problem["detail"]

    flags = b"".join(
        orjson.dumps(row) + b"\n"
        for row in [
            {"employee_id": "E3", "period": "2026-05", "metric": "customer_visits",
             "value": 4, "source": "crm"},
            {"employee_id": "E3", "period": "2026-05", "metric": "big_deals",
             "value": True, "source": "crm"},
        ]
    )  # fmt: skip
    flagged = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=flags, headers=NDJSON
    )
    assert flagged.status_code == 422, flagged.text
    assert [e["field"] for e in flagged.json()["errors"]] == ["line 2: value"]
    assert "expected a number, got true" in flagged.json()["detail"]

    api.caught_up()
    assert await measurements(api, "hr:H001", "E3", period="2026-05") == []


XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def test_an_xlsx_workbook_and_a_gbk_csv_are_exports_too(api: ApiStack) -> None:
    """Issue 18: HR uploads what Excel saved: a workbook (first sheet, header row) or a
    "CSV" in GBK from Excel on Chinese Windows; a short row and a week without its W are
    refused with the line, in the caller's language, and nothing is stored."""
    book = workbook(
        ["employee_id", "period", "metric", "value", "source", "item"],
        ["E3", "2026-04", "customer_visits", 6, "crm"],
        ["E3", datetime(2026, 4, 1), "course_completed", 0.88, "lms", "团队管理"],
        formats={"B3": "yyyy-mm", "D3": "0%"},
    )
    sent = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=book, headers=XLSX
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["rows"], sent.json()["employee_ids"]) == (2, ["E3"])

    gbk = (
        "employee_id,period,metric,value,source,item\n"
        "E3,2026-03,course_completed,75,lms,大客户资源协调\n"
    )
    pushed = await api.call(
        "hr:H001", "POST", "/api/v1/metrics/exports", content=gbk.encode("gbk"), headers=CSV
    )
    assert pushed.status_code == 200, pushed.text
    # The same file in UTF-8 is the same batch: the import carried it as UTF-8.
    utf8 = await api.call(
        "hr:H001", "POST", "/api/v1/metrics/exports", content=gbk.encode(), headers=CSV
    )
    assert utf8.json()["already_ingested"] and utf8.json()["batch_id"] == pushed.json()["batch_id"]

    api.caught_up()
    april = await measurements(api, "hr:H001", "E3", period="2026-04")
    assert {(m["metric"], m["value"], m["item"]) for m in april} == {
        ("customer_visits", 6.0, None),
        ("course_completed", 88.0, "团队管理"),
    }
    march = await measurements(api, "hr:H001", "E3", period="2026-03")
    assert [(m["value"], m["item"]) for m in march] == [(75.0, "大客户资源协调")]

    bad = workbook(
        ["employee_id", "period", "metric", "value", "source"],
        ["E3", "2026-02", "customer_visits", 6, "crm"],
        ["E3", "2026-48", "customer_visits", 6, "crm"],
    )
    refused = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=bad, headers=XLSX
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {
            "field": "line 3: period",
            "message": "Value error, invalid month period '2026-48': month must be 01..12; "
            "for an ISO week use '2026-W48'",
        }
    ]
    short = "employee_id,period,metric,value,source\nE3,2026-02,customer_visits,6,crm\nE3,2026-02\n"
    in_chinese = await api.call(
        "integration:crm",
        "POST",
        "/api/v1/metrics/exports",
        content=short.encode("gbk"),
        headers={**CSV, "Cookie": "careerflow_lang=zh"},
    )
    assert in_chinese.status_code == 422, in_chinese.text
    assert in_chinese.headers["content-language"].startswith("zh")
    assert "第 3 行：该行有 2 列，应为 5 列" in in_chinese.json()["detail"]
    english = await api.call(
        "integration:crm", "POST", "/api/v1/metrics/exports", content=short.encode(), headers=CSV
    )
    assert "line 3: row has 2 of 5 columns" in english.json()["detail"]

    api.caught_up()
    assert await measurements(api, "hr:H001", "E3", period="2026-02") == []
