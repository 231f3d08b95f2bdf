"""HR's promotion applications over ASGI like a browser: the list (/hr/applications) with
its filters (stage, team, role applied for, search), keyset paging and exports (CSV with
a BOM, XLSX), names and stage words instead of ids; HR's review on the application's page
(confirm, override with a reason; refusals said on the same page, 422); starting an
application for someone (/hr/applications/new); auditors read and act on nothing. Chinese
and English, with nothing of the other language on any page.

Arranged through the process service (as tests/api/test_api_promotions.py): E1 meets the
criteria and waits for HR's review; E2 misses repurchase and was returned."""

from __future__ import annotations

import asyncio
import csv
import html as markup
import io
import re
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.site import a_year_of_metrics, csrf_of, paged, signed_in, web_app
from tests.language import other_language
from tests.workflows.promotion_support import TEAM

HR = Principal(person_id="H001", role=AccessRole.hr)
S001 = Principal(person_id="S001", role=AccessRole.manager)
NAMES = {e: n for e, n, _r, _t, _m in TEAM}


async def _stage(api: ApiStack, application_id: str, stage: str) -> None:
    for _attempt in range(300):
        await asyncio.to_thread(api.caught_up)
        try:
            now = api.services.promotion_queries.application(HR, application_id)
        except Exception:  # not recorded yet
            now = None
        if now is not None and now["stage"] == stage:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{application_id} never reached {stage}")


@pytest.fixture(scope="module")
async def arranged(api: ApiStack) -> dict[str, Any]:
    a_year_of_metrics(api)
    flow = api.services.promotion_process(api.temporal, api.queue)
    ids = {}
    for who in ("E1", "E2"):
        started = await flow.start(HR, who)
        ids[who] = started.application_id
        await _stage(api, started.application_id, "manager_review")
    for who, stage in (("E1", "hr_review"), ("E2", "returned")):
        await flow.decide_application(S001, ids[who], True, "ok")
        await _stage(api, ids[who], stage)
    return {"app": web_app(api), **ids}


def rows_of(page: httpx.Response) -> list[str]:
    return re.findall(r'<tr data-application="([^"]+)"', page.text)


def one_language(page: httpx.Response, lang: str) -> None:
    assert page.headers["content-language"].startswith(lang)
    found = other_language(page.text, lang, NAMES.values())
    assert not found, (page.url, sorted(set(found)))


def refused(page: httpx.Response) -> str:
    found = re.search(r'id="refused">(.*?)</p>', page.text, re.S)
    assert found, page.text
    return markup.unescape(found.group(1))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_lists_filters_and_pages_the_applications(
    api: ApiStack, arranged: dict[str, Any], lang: str
) -> None:
    e1, e2 = arranged["E1"], arranged["E2"]
    async with signed_in(arranged["app"], api, "hr:H001", lang) as client:
        page = await client.get("/hr/applications")
        assert page.status_code == 200, page.text
        one_language(page, lang)
        assert set(rows_of(page)) >= {e1, e2}
        assert 'href="/hr/applications"' in page.text  # the nav link
        assert 'href="/hr/applications/new"' in page.text  # HR may start one
        row = page.text.split(f'data-application="{e1}"')[1].split("</tr>")[0]
        assert NAMES["E1"] in row and NAMES["S001"] in row and "Team 1" in row
        assert ("HR review" if lang == "en" else "HR 审核") in row
        assert ("Sales Supervisor" if lang == "en" else "销售主管") in row
        assert ">hr_review<" not in row and "S001<" not in row  # words and names, not ids

        at_review = await client.get("/hr/applications", params={"stage": "hr_review"})
        assert e1 in rows_of(at_review) and e2 not in rows_of(at_review)
        assert '<details class="filters" open>' in at_review.text
        assert 'value="hr_review" selected' in at_review.text
        by_name = await client.get("/hr/applications", params={"q": NAMES["E2"]})
        assert rows_of(by_name) == [e2]
        by_id = await client.get("/hr/applications", params={"q": "e1"})
        # E1's application, and any whose id happens to hold "e1" (the search covers ids).
        assert e1 in rows_of(by_id) and all(r == e1 or "e1" in r for r in rows_of(by_id))
        team = await client.get("/hr/applications", params={"team": "T001"})
        assert set(rows_of(team)) >= {e1, e2}
        assert rows_of(await client.get("/hr/applications", params={"team": "R01"})) == []
        role = await client.get("/hr/applications", params={"role": "sales_manager"})
        assert e1 not in rows_of(role) and e2 not in rows_of(role)

        # One at a time: the filter is kept on every link, every row seen once.
        seen, _last = await paged(
            client,
            "/hr/applications",
            {"team": "T001", "limit": 1},
            rows_of,
            lambda page: one_language(page, lang),
        )
        assert len(seen) == len(set(seen)) >= 2 and {e1, e2} <= set(seen)

        bad = await client.get("/hr/applications", params={"cursor": "nonsense!"})
        assert bad.status_code == 422
        one_language(bad, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_list_exports_every_matching_row(
    api: ApiStack, arranged: dict[str, Any], lang: str
) -> None:
    e1, e2 = arranged["E1"], arranged["E2"]
    async with signed_in(arranged["app"], api, "hr:H001", lang) as client:
        got = await client.get("/hr/applications", params={"stage": "returned", "format": "csv"})
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("text/csv")
        assert got.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        assert lines[0][0] == ("Application id" if lang == "en" else "申请编号")
        assert [line[0] for line in lines[1:]] == [e2]
        assert NAMES["E2"] in lines[1]
        assert ("returned" if lang == "en" else "已退回") in lines[1]

        book = await client.get("/hr/applications", params={"format": "xlsx"})
        assert book.status_code == 200
        sheet = load_workbook(io.BytesIO(book.content), read_only=True).active
        assert sheet is not None
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert values[0][6] == ("Stage" if lang == "en" else "阶段")
        assert {r[0] for r in values[1:]} >= {e1, e2}


async def test_auditors_read_the_list_and_the_application_but_act_on_nothing(
    api: ApiStack, arranged: dict[str, Any]
) -> None:
    e1 = arranged["E1"]
    async with signed_in(arranged["app"], api, "auditor:A001", "zh") as client:
        page = await client.get("/hr/applications")
        assert page.status_code == 200
        one_language(page, "zh")
        assert 'href="/hr/applications"' in page.text and e1 in rows_of(page)
        assert "/hr/applications/new" not in page.text
        application = await client.get(f"/applications/{e1}")
        assert application.status_code == 200
        one_language(application, "zh")
        assert "hr-review" not in application.text
        assert (await client.get("/hr/applications/new")).status_code == 403
        # Sent anyway: the engine's refusal, said in Chinese on the same page.
        tried = await client.post(
            f"/applications/{e1}/hr-review",
            data={"csrf": csrf_of(application), "outcome": "confirm", "command_id": "aud-1"},
        )
        assert tried.status_code == 422
        one_language(tried, "zh")
        assert "审计员" in refused(tried) or "auditor" not in refused(tried)
    assert api.services.promotion_queries.application(HR, e1)["stage"] == "hr_review"


def test_returned_applications_are_filtered_by_who_may_see_them(
    api: ApiStack, arranged: dict[str, Any]
) -> None:
    """One query (visibility in its SQL): the applicant, their manager chain, HR and
    auditors see E2's return; another rep does not."""
    e2 = arranged["E2"]

    def seen(role: AccessRole, person: str) -> set[str]:
        rows = api.services.promotion_queries.returned(Principal(person_id=person, role=role))
        return {r["application_id"] for r in rows}

    assert e2 in seen(AccessRole.employee, "E2")
    assert e2 not in seen(AccessRole.employee, "E1")
    assert e2 in seen(AccessRole.manager, "S001") and e2 in seen(AccessRole.manager, "M001")
    assert e2 in seen(AccessRole.hr, "H001") and e2 in seen(AccessRole.auditor, "A001")


async def test_hr_overrides_a_return_with_a_reason_after_refusals_in_chinese(
    api: ApiStack, arranged: dict[str, Any]
) -> None:
    e2 = arranged["E2"]
    async with signed_in(arranged["app"], api, "hr:H001", "zh") as client:
        page = await client.get(f"/applications/{e2}")
        assert page.status_code == 200
        one_language(page, "zh")
        assert 'class="hr-review-form"' in page.text
        assert f'<span translate="no">{NAMES["S001"]}</span>' in page.text  # the manager by name
        assert 'value="override_approve"' in page.text and 'value="confirm"' not in page.text
        token = csrf_of(page)
        # Without a reason: refused, said in Chinese (422), nothing changes.
        no_reason = await client.post(
            f"/applications/{e2}/hr-review",
            data={"csrf": token, "outcome": "override_approve", "command_id": "hr-e2-1"},
        )
        assert no_reason.status_code == 422
        one_language(no_reason, "zh")
        # Confirm at the wrong stage: the stage said as a Chinese word, not its id.
        wrong = await client.post(
            f"/applications/{e2}/hr-review",
            data={"csrf": token, "outcome": "confirm", "command_id": "hr-e2-2"},
        )
        assert wrong.status_code == 422
        one_language(wrong, "zh")
        said = refused(wrong)
        assert "已退回" in said and "returned" not in said and "hr_review" not in said, said
        assert api.services.promotion_queries.application(HR, e2)["stage"] == "returned"
        why = "客户结果突出，复购在改善"
        done = await client.post(
            f"/applications/{e2}/hr-review",
            data={
                "csrf": token,
                "outcome": "override_approve",
                "reason": why,
                "command_id": "hr-e2-3",
            },
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/applications/{e2}?done=reviewed"
        after = await client.get(done.headers["location"])
        one_language(after, "zh")
        assert 'id="done"' in after.text and "已批准" in after.text
        assert "hr-review-form" not in after.text
    record = api.services.promotion_queries.application(HR, e2)
    assert record["stage"] == "approved"
    step = next(s for s in record["timeline"] if s["kind"] == "HrOverridden")
    assert (step["actor"], step["comment"]) == ("H001", why)


async def test_hr_confirms_once_and_a_second_decision_is_refused(
    api: ApiStack, arranged: dict[str, Any]
) -> None:
    e1 = arranged["E1"]
    async with signed_in(arranged["app"], api, "hr:H001", "en") as client:
        page = await client.get(f"/applications/{e1}")
        one_language(page, "en")
        assert 'value="confirm"' in page.text and 'value="override_decline"' in page.text
        token = csrf_of(page)
        form = {"csrf": token, "outcome": "confirm", "reason": "", "command_id": "hr-e1-1"}
        done = await client.post(f"/applications/{e1}/hr-review", data=form)
        assert done.status_code == 303, done.text
        # The same form sent again (a retry) is answered with its recorded outcome.
        again = await client.post(f"/applications/{e1}/hr-review", data=form)
        assert again.status_code == 303, again.text
        assert api.services.promotion_queries.application(HR, e1)["stage"] == "approved"
        # A second decision (a new form) is refused on the page, in English.
        second = await client.post(
            f"/applications/{e1}/hr-review",
            data={**form, "outcome": "override_decline", "reason": "x", "command_id": "hr-e1-2"},
        )
        assert second.status_code == 422
        one_language(second, "en")
        assert refused(second)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_hr_starts_an_application_for_someone(
    api: ApiStack, arranged: dict[str, Any], lang: str
) -> None:
    async with signed_in(arranged["app"], api, "hr:H001", lang) as client:
        empty = await client.get("/hr/applications/new")
        assert empty.status_code == 200
        one_language(empty, lang)
        # The top rung: refused, said in the page's language on the same page.
        found = await client.get("/hr/applications/new", params={"q": NAMES["M001"]})
        one_language(found, lang)
        assert 'data-employee="M001"' in found.text
        top = await client.post(
            "/hr/applications/new",
            data={"csrf": csrf_of(found), "employee_id": "M001", "q": NAMES["M001"]},
        )
        assert top.status_code == 422
        one_language(top, lang)
        assert refused(top)
        found = await client.get("/hr/applications/new", params={"q": NAMES["S001"]})
        assert 'data-employee="S001"' in found.text
        assert ("Start: Sales Manager" if lang == "en" else "发起：销售经理") in found.text or (
            "start-form" in found.text
        )
        started = await client.post(
            "/hr/applications/new",
            data={"csrf": csrf_of(found), "employee_id": "S001", "q": NAMES["S001"]},
        )
        assert started.status_code == 303, started.text
        location = started.headers["location"]
        assert location.startswith("/applications/") and location.endswith("?done=started")
        page = await client.get(location)
        assert page.status_code == 200
        one_language(page, lang)
        assert 'id="done"' in page.text
        application_id = location.split("/")[2].split("?")[0]
        listed = await client.get("/hr/applications", params={"q": "S001"})
        assert application_id in rows_of(listed)


def test_refusals_name_stages_as_words_of_the_readers_language() -> None:
    """The engine's refusals put the stage into the sentence as a word of the reader's
    language (as role_word does for roles), not its id: every stage has one."""
    from aggregates.promotion_rules import STAGE_WORDS, Stage, closed_refusal
    from aggregates.promotion_rules import manager_review_refusal as at_stage
    from words.catalogue import say

    assert set(STAGE_WORDS) == set(Stage)
    for stage in Stage:
        zh = say(STAGE_WORDS[stage], "zh")
        assert zh and not re.search(r"[A-Za-z_]{3,}", zh), (stage, zh)
    closed = closed_refusal(Stage.withdrawn)
    assert closed is not None
    assert say(closed, "zh") == "该申请已结束（已撤回）"
    assert say(closed, "en") == "the application is closed (withdrawn)"
    waiting = at_stage(Stage.hr_review)
    assert waiting is not None
    assert "HR 审核" in say(waiting, "zh") and "hr_review" not in say(waiting, "zh")
    assert say(waiting, "en") == "the application is at stage HR review, not manager review"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_dashboard_names_a_few_per_stage_and_pages_the_returned(
    api: ApiStack, arranged: dict[str, Any], lang: str
) -> None:
    """The dashboard lists no stage or return in full: a stage names its longest waiting
    and links to the filtered list; returned applications come a page at a time."""
    e1, e2 = arranged["E1"], arranged["E2"]
    async with signed_in(arranged["app"], api, "hr:H001", lang) as client:
        page = await client.get("/hr")
        assert page.status_code == 200
        one_language(page, lang)
        pipeline = page.text.split('id="pipeline"')[1].split("</section>")[0]
        assert f'href="/applications/{e1}"' in pipeline
        stage = api.services.promotion_queries.application(HR, e1)["stage"]  # as tests left it
        assert f'href="/hr/applications?stage={stage}"' in pipeline
        listed = await client.get(f"/hr/applications?stage={stage}")
        assert e1 in rows_of(listed)
        returned = page.text.split('id="returned"')[1].split("</section>")[0]
        assert f'href="/applications/{e2}"' in returned
        assert ("1 returned" if lang == "en" else "已退回 1 个") in returned
        assert 'rel="next"' not in returned  # one return: one page
        one = await client.get("/hr?returned_limit=1")
        assert f'href="/applications/{e2}"' in one.text and 'rel="next"' not in one.text
        bad = await client.get("/hr?returned_cursor=nonsense")
        assert bad.status_code == 422
        one_language(bad, lang)
