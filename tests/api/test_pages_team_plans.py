"""Development plans for managers and HR over ASGI on the real stack: the team's plans
(paged, the ones needing attention first), the plan page's steering forms (confirm,
move, add, drop with a reason: PlanProcessService, the API's path), refusals said in the
page's language on the same page (422), HR starting a plan from the person picker; a rep
reads the plan without forms, a manager outside the chain gets 404 and a rep 403.
Chinese and English, each without words of the other."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import openpyxl
import pytest

from aggregates.base import DomainError
from aggregates.ladder import Role
from aggregates.plan_template import add_months
from careerflow.api import i18n
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole, Principal
from projections.plan_queries import PlanQueries
from tests.api.conftest import ApiStack
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401
from tests.browser.support import NAMES
from tests.language import other_language

HR = Principal(person_id="H001", role=AccessRole.hr)
DATA = [*NAMES.values(), "Stranger"]
COMMAND = re.compile(r'name="command_id" value="([^"]+)"')
# Each language steers its own plan (its own person), so the runs don't meet.
PERSON = {"en": "E1", "zh": "E2"}
SAYS = {
    "measured": {"en": "is measured", "zh": "根据指标台账度量"},
    "reason": {"en": "reason", "zh": "原因"},
    "names": {
        "en": "Give the milestone's name in English and in Chinese.",
        "zh": "请填写里程碑的英文名称和中文名称。",
    },
    "template": {"en": "development plan template", "zh": "发展计划模板"},
}


def one_language(page: httpx.Response, lang: str, status: int = 200) -> None:
    assert page.status_code == status, page.text[:3000]
    found = other_language(page.text, lang, DATA)
    assert not found, f"{page.request.url} ({lang}) says {found[:20]}"


def today(api: ApiStack) -> date:
    zone = ZoneInfo(api.services.policies.promotion_process()[0].time_zone)
    return datetime.now(zone).date()


def plan_row(api: ApiStack, plan_id: str) -> dict[str, Any]:
    return PlanQueries(api.services.read_pool).plan(HR, plan_id)


async def start_plan(api: ApiStack, employee_id: str) -> str:
    """A plan a month under way, started through the API as HR, once it is in the read
    model and its workflow answers (a manager's confirmation is not refused as 'being set
    up')."""
    now = today(api)
    effective = add_months(date(now.year, now.month, 1), -1)
    r = await api.call(
        "hr:H001",
        "POST",
        "/api/v1/plans",
        json={
            "employee_id": employee_id,
            "role": "sales_supervisor",
            "effective_date": str(effective),
        },
    )
    assert r.status_code == 200, r.text
    plan_id: str = r.json()["plan_id"]
    for _ in range(300):
        info = await api.temporal.get_workflow_handle(plan_id).describe()
        rows = PlanQueries(api.services.read_pool).plans_of(HR, employee_id)
        if info.status is not None and any(p["plan_id"] == plan_id for p in rows):
            await asyncio.sleep(0.5)  # its workflow's first task sets it up
            return plan_id
        await asyncio.sleep(0.2)
    raise AssertionError("the plan never reached the read model")


@pytest.fixture(scope="module")
async def plans(site: Site) -> dict[str, str]:  # noqa: F811
    api = site.api
    # A manager outside E1's chain: S002 leads another team under the same region.
    api.services.people.import_org(
        DEMO_HR,
        OrgImport(
            teams=[TeamIn(team_id="T002", name="Team 2", manager_id="S002", parent_team_id="R01")],
            employees=[
                EmployeeIn(
                    employee_id="S002",
                    name="Stranger",
                    role=Role.sales_supervisor,
                    team_id="T002",
                    manager_id="M001",
                    hire_date=date(2020, 1, 1),
                )
            ],
        ),
    )
    api.tokens["manager:S002"] = api.services.tokens.issue(
        DEMO_HR, "S002", AccessRole.manager, "tests"
    ).token
    made = {lang: await start_plan(api, person) for lang, person in PERSON.items()}
    await asyncio.to_thread(api.caught_up)
    return made


async def post(
    client: httpx.AsyncClient, page: httpx.Response, path: str, **fields: Any
) -> httpx.Response:
    command = COMMAND.search(page.text)
    data = {"csrf": csrf_of(page), "command_id": command.group(1) if command else "", **fields}
    return await client.post(path, data={k: str(v) for k, v in data.items()})


async def acted(
    client: httpx.AsyncClient, plan_id: str, step: str, **fields: Any
) -> httpx.Response:
    """The step from a fresh page (its own command id), followed to the page it leads to."""
    page = await client.get(f"/plans/{plan_id}")
    r = await post(client, page, f"/plans/{plan_id}/{step}", **fields)
    assert r.status_code == 303, r.text[:3000]
    assert r.headers["location"] == f"/plans/{plan_id}?done={step}#steer"
    return await client.get(r.headers["location"])


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_manager_steers_a_plan_from_the_team_list(
    site: Site,  # noqa: F811
    plans: dict[str, str],
    lang: str,
) -> None:
    api, plan_id = site.api, plans[lang]
    async with site.session("manager:S001", lang) as client:
        team = await client.get("/team/plans")
        one_language(team, lang)
        assert f'href="/plans/{plan_id}"' in team.text
        assert 'href="/team/plans"' in team.text  # the nav entry

        page = await client.get(f"/plans/{plan_id}")
        one_language(page, lang)
        assert 'id="steer"' in page.text
        for step in ("confirm", "move", "add", "drop"):
            assert f'action="/plans/{plan_id}/{step}"' in page.text

        # Confirm by hand; a measured milestone is refused on the same page.
        done = await acted(client, plan_id, "confirm", milestone_id="team_meetings", comment="ok")
        one_language(done, lang)
        assert 'role="status"' in done.text
        assert "team_meetings" in plan_row(api, plan_id)["confirmed"]
        refused = await post(
            client, page, f"/plans/{plan_id}/confirm", milestone_id="mentoring", comment=""
        )
        one_language(refused, lang, 422)
        assert 'role="alert"' in refused.text and SAYS["measured"][lang] in text(refused)

        # Move a due month; without a reason it is refused.
        refused = await post(
            client, page, f"/plans/{plan_id}/move", milestone_id="team_goal", due_month=8
        )
        one_language(refused, lang, 422)
        assert SAYS["reason"][lang] in text(refused)
        done = await acted(
            client, plan_id, "move", milestone_id="team_goal", due_month=8, reason="reorg"
        )
        one_language(done, lang)
        goal = next(m for m in plan_row(api, plan_id)["milestones"] if m["id"] == "team_goal")
        assert goal["due_month"] == 8

        # Add a milestone from the form's fields; without its Chinese name it is refused.
        fields = {"label_en": "Shadow a manager", "start_month": 2, "due_month": 3}
        refused = await post(client, page, f"/plans/{plan_id}/add", **fields, reason="new")
        one_language(refused, lang, 422)
        assert SAYS["names"][lang] in text(refused)
        assert 'value="Shadow a manager"' in refused.text  # the form keeps what was typed
        done = await acted(client, plan_id, "add", **fields, label_zh="跟岗经理", reason="new")
        one_language(done, lang)
        added = [m for m in plan_row(api, plan_id)["milestones"] if m["id"].startswith("added_")]
        assert [m["label"] for m in added] == [{"en": "Shadow a manager", "zh": "跟岗经理"}]
        assert {"en": "Shadow a manager", "zh": "跟岗经理"}[lang] in text(done)

        # Drop one: the reason is required.
        refused = await post(
            client, page, f"/plans/{plan_id}/drop", milestone_id="team_sales", reason=" "
        )
        one_language(refused, lang, 422)
        fresh = await client.get(f"/plans/{plan_id}")
        first = await post(
            client, fresh, f"/plans/{plan_id}/drop", milestone_id="team_sales", reason="merged"
        )
        assert first.status_code == 303, first.text[:3000]
        assert all(m["id"] != "team_sales" for m in plan_row(api, plan_id)["milestones"])
        # The same form sent again (its command id): answered once, not refused.
        again = await post(
            client, fresh, f"/plans/{plan_id}/drop", milestone_id="team_sales", reason="merged"
        )
        assert again.status_code == 303, again.text[:3000]
        one_language(await client.get(again.headers["location"]), lang)

        # Without the form token nothing happens.
        forged = await client.post(
            f"/plans/{plan_id}/drop",
            data={"csrf": "forged", "milestone_id": "courses", "reason": "x"},
        )
        assert forged.status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_rep_reads_and_another_manager_sees_nothing(
    site: Site,  # noqa: F811
    plans: dict[str, str],
    lang: str,
) -> None:
    plan_id = plans[lang]
    async with site.session(f"employee:{PERSON[lang]}", lang) as client:
        page = await client.get(f"/plans/{plan_id}")
        one_language(page, lang)
        assert 'id="steer"' not in page.text and f'action="/plans/{plan_id}/' not in page.text
        r = await post(client, page, f"/plans/{plan_id}/confirm", milestone_id="team_goal")
        assert r.status_code == 403
        assert (await client.get("/team/plans")).status_code == 403
        assert (await client.get("/hr/plans/new")).status_code == 403
    async with site.session("manager:S002", lang) as client:
        team = await client.get("/team/plans")
        one_language(team, lang)
        assert plan_id not in team.text
        assert (await client.get(f"/plans/{plan_id}")).status_code == 404
        mine = await client.get("/team/plans")
        for step, fields in (
            ("confirm", {"milestone_id": "team_goal"}),
            ("drop", {"milestone_id": "courses", "reason": "x"}),
        ):
            r = await post(client, mine, f"/plans/{plan_id}/{step}", **fields)
            assert r.status_code == 404, (step, r.status_code)
        assert (await client.get("/hr/plans/new")).status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_starts_a_plan_from_the_person_picker(
    site: Site,  # noqa: F811
    plans: dict[str, str],
    lang: str,
) -> None:
    api = site.api
    effective = today(api) + timedelta(days=1 if lang == "en" else 2)
    async with site.session("hr:H001", lang) as client:
        empty = await client.get("/hr/plans/new")
        one_language(empty, lang)
        assert 'href="/hr/plans/new"' in empty.text  # the nav entry
        found = await client.get("/hr/plans/new", params={"q": "E3"})
        one_language(found, lang)
        assert 'href="/hr/plans/new?employee_id=E3"' in found.text
        form = await client.get("/hr/plans/new", params={"employee_id": "E3"})
        one_language(form, lang)
        assert 'value="sales_supervisor"' in form.text  # the template, shown by its name

        # No template for a rep's own role: refused on the same form.
        refused = await client.post(
            "/hr/plans",
            data={
                "csrf": csrf_of(form),
                "employee_id": "E3",
                "role": "",
                "effective_date": str(effective),
            },
        )
        one_language(refused, lang, 422)
        assert 'role="alert"' in refused.text and 'action="/hr/plans"' in refused.text
        assert SAYS["template"][lang] in text(refused)

        started = await client.post(
            "/hr/plans",
            data={
                "csrf": csrf_of(form),
                "employee_id": "E3",
                "role": "sales_supervisor",
                "effective_date": str(effective),
            },
        )
        assert started.status_code == 303, started.text[:3000]
        plan_id = f"plan-E3-{effective}"
        assert started.headers["location"] == f"/plans/{plan_id}?done=started"
        page = await client.get(started.headers["location"])
        one_language(page, lang)
        assert 'role="status"' in page.text and 'id="steer"' in page.text
        assert plan_row(api, plan_id)["employee_id"] == "E3"

        everyone = await client.get("/team/plans")
        one_language(everyone, lang)
        assert f'href="/plans/{plan_id}"' in everyone.text


def test_the_team_list_is_keyset_paged_needing_attention_first(
    site: Site,  # noqa: F811
    plans: dict[str, str],
) -> None:
    queries = PlanQueries(site.api.services.read_pool)
    manager = Principal(person_id="S001", role=AccessRole.manager)
    whole = queries.team(manager)
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        found = queries.team_page(manager, limit=1, cursor=cursor)
        assert found.total == len(whole) and len(found.items) <= 1
        assert found.offset == len(seen)
        seen.extend(found.items)
        cursor = found.next_cursor
        if cursor is None:
            break
    assert sorted(p["plan_id"] for p in seen) == sorted(p["plan_id"] for p in whole)
    ranks = [(p["closed_rank"], p["status_rank"], p["name"], p["plan_id"]) for p in seen]
    assert ranks == sorted(ranks)
    assert {p["employee_id"] for p in seen} <= {"E1", "E2", "E3"}  # S001's reports only
    stranger = Principal(person_id="S002", role=AccessRole.manager)
    assert queries.team_page(stranger).total == 0
    with pytest.raises(DomainError):
        queries.team_page(manager, cursor="not-a-cursor")


def _table(got: httpx.Response) -> list[list[str]]:
    assert got.status_code == 200, got.text[:3000]
    assert "attachment" in got.headers["content-disposition"]
    if got.content.startswith(b"PK"):
        sheet = openpyxl.load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None
        return [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
    assert got.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_hr_downloads_every_plan_of_the_organisation(
    site: Site,  # noqa: F811
    plans: dict[str, str],
    lang: str,
) -> None:
    said = i18n.gettext_for(lang)
    whole = PlanQueries(site.api.services.read_pool).team(HR)
    async with site.session("hr:H001", lang) as client:
        page = await client.get("/team/plans")
        assert 'href="/team/plans?format=csv"' in page.text
        got = _table(await client.get("/team/plans?format=csv"))
        words = ("Person", "Employee id", "Plan", "Status", "Milestones done", "Overdue")
        assert got[0] == [said(w) for w in words]
        assert sorted(r[1] for r in got[1:]) == sorted(p["employee_id"] for p in whole)
        plan = plan_row(site.api, plans[lang])
        row = next(r for r in got[1:] if r[1] == plan["employee_id"])
        assert row[0] == NAMES[plan["employee_id"]]
        assert i18n.role_label(plan["role"], lang) in row[2]
        assert row[4] == said("%(done)s of %(total)s") % {
            "done": plan["done"],
            "total": plan["total"],
        }
        assert _table(await client.get("/team/plans?format=xlsx")) == got
    async with site.session(f"employee:{PERSON[lang]}", lang) as rep:
        assert (await rep.get("/team/plans?format=csv")).status_code == 403
