"""360° assessments on the pages (issue 18, S4), over ASGI on the real stack: a rater sees
their tasks, rates a person from the form (a level and a comment per competency) through
the round's workflow, and the sent rating is final; refusals (not a rater, no task,
already rated, the round closed, a level missing) come back in the page's language, a
business refusal with 422 on the same form. A closed round's profile (made by the round's
own commands, as tests/api/test_api_assessments.py does) shows the radar's spec, the
figures with hidden groups said, and the courses; its readers are the person and their
manager chain. Every page is checked to hold no text of the other language."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus

from activities.assessments import RoundRequest
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.test_api_assessments import _closed_round
from tests.api.test_pages_support import COMMAND, FORM_ACTION, Site, csrf_of, one_language, text
from workflows.assessment_round import assessment_workflow_id

HR = Principal(person_id="H001", role=AccessRole.hr)
E2 = Principal(person_id="E2", role=AccessRole.employee)
CLOSED, LIVE = "2026-p4-closed", "2026-p4-live"
LEVELS = {"customer_insight": "4", "relationship_maintenance": "3", "resource_coordination": "2"}

SAYS = {
    "en": {
        "title": "360° assessments",
        "rate": "Rate",
        "competency": "customer insight",
        "sent": "Your rating was sent. Ratings are final.",
        "final": "You have rated this person in this round.",
        "already": "already rated",
        "missing": "Choose a level for each competency",
        "closed": "This round is closed",
        "hidden": "hidden: fewer than 3 raters",
        "course": "Prospecting",
    },
    "zh": {
        "title": "360° 评估",
        "rate": "评价",
        "competency": "客户洞察",
        "sent": "您的评价已提交。评价提交后不可更改。",
        "final": "您已在本轮评价过此人。",
        "already": "评价",
        "missing": "请为每项能力选择一个等级",
        "closed": "本轮已结束",
        "hidden": "已隐藏：评价人少于3人",
        "course": "课程",
    },
}


@dataclass
class Arranged:
    site: Site


@pytest.fixture(scope="module")
async def arranged(api: ApiStack) -> AsyncIterator[Arranged]:
    """E4 and E5 join E1's team; a closed round (E1, S001) and a live one (E1, E3)."""
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
    token = api.services.tokens.issue(DEMO_HR, "E5", AccessRole.employee, "pages")
    api.tokens["employee:E5"] = token.token
    await asyncio.to_thread(api.caught_up)
    _closed_round(api, CLOSED)
    process = api.services.assessment_process(api.temporal, api.queue)
    deadline = datetime.now(UTC) + timedelta(days=2)
    await process.start_round(
        HR,
        RoundRequest(round_id=LIVE, title="P4 live", employee_ids=["E1", "E3"], deadline=deadline),
    )
    queries = api.services.assessment_queries
    for _ in range(300):
        if any(t.round_id == LIVE for t in queries.my_tasks(E2).tasks):
            break
        await asyncio.sleep(0.2)
    await asyncio.to_thread(api.caught_up)
    try:
        yield Arranged(Site(api))
    finally:
        handle = api.temporal.get_workflow_handle(assessment_workflow_id(LIVE))
        with contextlib.suppress(Exception):
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test over")


def _form(page: httpx.Response, **levels: str) -> dict[str, str]:
    command = COMMAND.search(page.text)
    assert command, "the rating form has no command id"
    data = {"csrf": csrf_of(page), "command_id": command.group(1)}
    for competency, level in levels.items():
        data[f"level_{competency}"] = level
        data[f"comment_{competency}"] = f"note on {competency}"
    return data


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_rater_rates_from_the_form(arranged: Arranged, lang: str) -> None:
    site, says = arranged.site, SAYS[lang]
    ratee = "E1" if lang == "en" else "E3"
    path = f"/assessments/{LIVE}/rate/{ratee}"
    async with site.session("employee:E2", lang) as rep:
        home = await rep.get("/assessments")
        assert home.status_code == 200 and says["title"] in text(home)
        assert f'href="{path}"' in home.text  # an open task, with its deadline
        assert 'href="/assessments"' in home.text  # the nav entry
        one_language(home, lang, "/assessments")
        form = await rep.get(path)
        assert form.status_code == 200
        assert says["competency"] in text(form) and 'customer_insight"' in form.text
        assert path in FORM_ACTION.findall(form.text)
        assert len(re.findall(r'type="radio" name="level_customer_insight"', form.text)) == 5
        one_language(form, lang, "rating form")
        # A level missing: said by the form, nothing sent.
        partial = await rep.post(path, data=_form(form, customer_insight="4"))
        assert partial.status_code == 422 and says["missing"] in text(partial)
        assert 'value="4" required checked' in partial.text  # the choice kept
        one_language(partial, lang, "rating refused")
        sent = await rep.post(path, data=_form(form, **LEVELS))
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"{path}?done=rated"
        done = await rep.get(sent.headers["location"])
        assert says["sent"] in text(done) and says["final"] in text(done)
        assert path not in FORM_ACTION.findall(done.text)  # read-only now
        one_language(done, lang, "rated")
        # Sent again (the old form): final, said on the page with 422.
        again = await rep.post(path, data=_form(form, **LEVELS))
        assert again.status_code == 422 and says["already"] in text(again)
        one_language(again, lang, "already rated")
    tasks = site.api.services.assessment_queries.my_tasks(E2).tasks
    assert [t.rated for t in tasks if t.round_id == LIVE and t.ratee_id == ratee] == [True]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_refusals_on_the_rating_pages(arranged: Arranged, lang: str) -> None:
    site, says = arranged.site, SAYS[lang]
    async with site.session("hr:H001", lang) as hr:
        refused = await hr.get(f"/assessments/{LIVE}/rate/E1")
        assert refused.status_code == 403  # not a rater: the service's rule
        one_language(refused, lang, "hr refused")
    async with site.session("employee:E1", lang) as rep:
        page = await rep.get(f"/assessments/{LIVE}/rate/E2")  # E2 is not assessed
        assert page.status_code == 404
        one_language(page, lang, "no task")
    async with site.session("employee:E5", lang) as late:
        path = f"/assessments/{CLOSED}/rate/E1"
        page = await late.get(path)
        assert page.status_code == 200 and says["closed"] in text(page)
        assert path not in FORM_ACTION.findall(page.text)
        one_language(page, lang, "closed round's form")
        token = csrf_of(page)
        data = {"csrf": token, **{f"level_{c}": v for c, v in LEVELS.items()}}
        posted = await late.post(path, data=data)  # a stale form: the round's rule says no
        assert posted.status_code == 422, posted.text
        one_language(posted, lang, "closed round refused")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_profiles_of_a_closed_round(arranged: Arranged, lang: str) -> None:
    site, says = arranged.site, SAYS[lang]
    async with site.session("employee:E1", lang) as rep:
        home = await rep.get("/assessments")
        assert f'href="/assessments/{CLOSED}/profile"' in home.text
        page = await rep.get(f"/assessments/{CLOSED}/profile")
        assert page.status_code == 200, page.text
        spec = json.loads(
            re.search(r'id="chart-radar">(.*?)</script>', page.text, re.S).group(1)  # type: ignore[union-attr]
        )
        assert spec["kind"] == "radar" and spec["max"] == 5 and len(spec["labels"]) == 3
        assert len(spec["datasets"]) == 4  # self, manager, peers, target
        one_language(page, lang, "E1's profile")
        other = await rep.get(f"/assessments/{CLOSED}/profile?employee=S001")
        assert other.status_code == 404  # not E1's to see
    async with site.session("manager:S001", lang) as boss:
        own = await boss.get(f"/assessments/{CLOSED}/profile")
        assert own.status_code == 200 and says["hidden"] in text(own)  # two of five reports
        assert "only-two-reports secret" not in own.text
        one_language(own, lang, "S001's profile")
        report = await boss.get(f"/assessments/{CLOSED}/profile?employee=E1")
        assert report.status_code == 200
        one_language(report, lang, "E1's profile to the manager")
        live = await boss.get(f"/assessments/{LIVE}/profile?employee=E1")
        assert live.status_code == 422  # results wait for the close
        one_language(live, lang, "open round's profile")


async def test_profiles_of_is_paged(arranged: Arranged) -> None:
    queries = arranged.site.api.services.assessment_queries
    rep = Principal(person_id="E1", role=AccessRole.employee)
    first = queries.profiles_of(rep, "E1", limit=1)
    assert first.total == 1 and [r.round_id for r in first.items] == [CLOSED]
    assert first.next_cursor is None
    with pytest.raises(Exception, match="E1"):
        queries.profiles_of(Principal(person_id="E2", role=AccessRole.employee), "E1")
