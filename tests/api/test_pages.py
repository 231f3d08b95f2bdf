"""The dashboards on the real stack (PostgreSQL, read models, the Temporal dev server and a
worker), called over ASGI like a browser would: sign in with a token (cookie), each
role's page with their data and without anyone else's, 401 → the login page, 403/404
pages with their reason, CSRF refusal, and the manager's decision from the dashboard."""

from __future__ import annotations

import html as markup
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from tests.api.conftest import ApiStack
from tests.browser.support import HR, NAMES, Arranged, arrange

BASE = "http://careerflow.test"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form[^>]*action="([^"]*)"')


@dataclass
class Site:
    api: ApiStack
    app: FastAPI
    arranged: Arranged

    @property
    def application_id(self) -> str:
        return self.arranged.application_id

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)

    @asynccontextmanager
    async def session(self, who: str) -> AsyncIterator[httpx.AsyncClient]:
        """A browser-like client signed in through the login form."""
        async with self.client() as client:
            login = await client.get("/login")
            response = await client.post(
                "/login",
                data={"token": self.api.tokens[who], "csrf": csrf_of(login), "next": "/"},
            )
            assert response.status_code == 303, response.text
            yield client


def text(page: httpx.Response) -> str:
    """The page's text as a person reads it (entities such as &#39; decoded)."""
    return markup.unescape(page.text)


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form token"
    return found.group(1)


@pytest.fixture(scope="module")
async def site(api: ApiStack) -> Site:
    async def connect() -> Client:
        return api.temporal

    arranged = await arrange(api.services, api.read_models, api.temporal, api.queue)
    app = create_app(ApiContext(api.services, connect, api.queue))
    return Site(api, app, arranged)


async def test_not_signed_in_goes_to_the_login_page(site: Site) -> None:
    async with site.client() as client:
        for path in ("/", "/employee", "/manager", "/hr", "/audit", "/employee/E1"):
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login"), path
        deep = await client.get("/employee/E1?week=2026-W01")
        assert deep.headers["location"] == "/login?next=%2Femployee%2FE1%3Fweek%3D2026-W01"
        page = await client.get(deep.headers["location"])
        assert page.status_code == 200
        assert 'name="next" value="/employee/E1?week=2026-W01"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        # A stale cookie is dropped and explained.
        client.cookies.set("careerflow_token", "cf_000000000000.not-a-real-secret-at-all")
        stale = await client.get("/employee")
        assert stale.headers["location"] == "/login?next=%2Femployee&reason=expired"
        assert "no longer accepted" in (await client.get(stale.headers["location"])).text


async def test_login_sets_a_strict_http_only_cookie_and_logout_clears_it(site: Site) -> None:
    async with site.client() as client:
        login = await client.get("/login")
        assert "careerflow_csrf" in login.headers["set-cookie"]
        token = site.api.tokens["employee:E1"]

        bad = await client.post("/login", data={"token": "nonsense", "csrf": csrf_of(login)})
        assert bad.status_code == 401 and "malformed token" in bad.text

        robot = await client.post(
            "/login", data={"token": site.api.tokens["integration:crm"], "csrf": csrf_of(login)}
        )
        assert robot.status_code == 403 and "tokens are for the API" in robot.text

        good = await client.post(
            "/login",
            data={"token": token, "csrf": csrf_of(login), "next": "https://evil.example/"},
        )
        assert good.status_code == 303
        assert good.headers["location"] == "/"  # never off the site
        cookies = good.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("careerflow_token="))
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        assert "careerflow_csrf=" in " ".join(cookies)  # a new form token for the session

        home = await client.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/employee"
        page = await client.get("/employee")
        assert page.status_code == 200 and NAMES["E1"] in page.text
        # The API reads the same cookie.
        me = await client.get("/api/v1/me")
        assert me.json() == {"person_id": "E1", "role": "employee"}

        out = await client.post("/logout", data={"csrf": csrf_of(page)})
        assert out.status_code == 303 and out.headers["location"] == "/login?reason=out"
        assert "careerflow_token" not in client.cookies
        again = await client.get("/employee")
        assert again.status_code == 303 and again.headers["location"].startswith("/login")


async def test_the_employee_sees_their_own_dashboard_and_nobody_else(site: Site) -> None:
    async with site.session("employee:E1") as client:
        page = await client.get("/employee")
        assert page.status_code == 200
        html = page.text
        assert NAMES["E1"] in html
        for other in ("E2", "E3"):
            assert NAMES[other] not in html, f"{other}'s name leaked onto E1's page"
        # Potential with each indicator's rank, drawn as a chart from the read model.
        assert 'data-chart="chart-indicators"' in html and "Rank 1 of" in html
        assert "1 of 4</td>" in html  # an indicator's rank among the team's four
        # Distance to the next role: criteria with ✓/✗.
        assert "sales supervisor" in html and "✓" in html
        # This week: plan vs actual (chart), the team rank, expected pay.
        assert 'data-chart="chart-week"' in html and site.arranged.week in html
        assert "defaulted" in html and "Team rank this month" in html
        assert 'class="amount"' in html  # the person sees their own pay
        # The application and its timeline; the inbox.
        assert f"/applications/{site.application_id}" in html
        assert "manager review" in html and "Submitted" in html
        assert 'id="inbox"' in html
        # Actions: only signing out.
        assert FORM_ACTION.findall(html) == ["/logout"]

        someone_else = await client.get("/employee/E2")
        assert someone_else.status_code == 404
        assert "no employee 'E2' that you can see" in text(someone_else)
        assert NAMES["E2"] not in someone_else.text

        manager_only = await client.get("/manager")
        assert manager_only.status_code == 403
        assert "employee E1 may not open the manager's dashboard" in text(manager_only)
        assert (await client.get("/hr")).status_code == 403
        assert (await client.get("/audit")).status_code == 403
        assert (await client.get(f"/applications/{site.application_id}")).status_code == 200


async def test_another_employee_does_not_see_e1(site: Site) -> None:
    async with site.session("employee:E2") as client:
        html = (await client.get("/employee")).text
        assert NAMES["E2"] in html and NAMES["E1"] not in html
        assert site.application_id not in html
        # Their criteria are not met: ✗ with the suggestion.
        assert "✗" in html and 'class="suggestion"' in html
        theirs = await client.get(f"/applications/{site.application_id}")
        assert theirs.status_code == 404 and NAMES["E1"] not in theirs.text


async def test_the_manager_sees_the_team_and_the_approval_waiting(site: Site) -> None:
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        assert page.status_code == 200
        html = page.text
        # Approvals with their SLA clock and a decide form for E1's application.
        row = html[html.index(f'data-application="{site.application_id}"') :]
        assert NAMES["E1"] in row[:2000] and "working days" in row[:2000]
        assert f'action="/applications/{site.application_id}/decide"' in html
        assert 'value="approve"' in html and 'value="reject"' in html
        # The board for the week, with a chart; the pool and plans sections.
        assert f"week {site.arranged.week}" in html
        assert 'data-chart="chart-board"' in html
        assert NAMES["E2"] in html and 'id="lagging"' in html
        assert 'id="pool"' in html and 'id="plans-at-risk"' in html
        # The manager may look at a report's page, pay included.
        report = await client.get("/employee/E1")
        assert report.status_code == 200 and 'class="amount"' in report.text
        assert 'id="inbox"' not in report.text  # not the report's inbox
        assert (await client.get("/hr")).status_code == 403

    async with site.session("manager:M001") as client:
        html = (await client.get("/manager")).text
        # Not M001's to decide: listed as waiting on S001, without a form.
        assert "Waiting on other managers" in html and "with S001" in html
        assert f"/applications/{site.application_id}/decide" not in html


async def test_hr_sees_pipeline_cycle_times_pool_and_criteria(site: Site) -> None:
    async with site.session("hr:H001") as client:
        page = await client.get("/hr")
        assert page.status_code == 200
        html = page.text
        assert 'data-chart="chart-pipeline"' in html
        # manager review: one open application, E1's.
        assert re.search(r"manager review</span></td><td>1</td>", html)
        assert "No application has been decided yet." in html
        assert 'id="pool"' in html and 'id="returned"' in html
        # Criteria versions from the read model's policy table.
        assert "sales supervisor</td><td>v1</td>" in html
        assert FORM_ACTION.findall(html) == ["/logout"]
        assert (await client.get("/manager")).status_code == 403


async def test_the_auditor_reads_every_history_and_can_change_nothing(site: Site) -> None:
    async with site.session("auditor:A001") as client:
        home = await client.get("/")
        assert home.headers["location"] == "/audit"
        listing = await client.get("/audit")
        assert listing.status_code == 200
        assert f"/audit/application/{site.application_id}" in listing.text
        cycle = re.search(r'href="(/audit/cycle/[^"]+)"', listing.text)
        assert cycle, "the weekly cycles are listed"

        history = await client.get(f"/audit/application/{site.application_id}")
        assert history.status_code == 200
        html = history.text
        assert 'id="timeline"' in html and "Submitted" in html
        assert 'id="events"' in html and "<strong>Started</strong>" in html
        assert "promotion-E1-sales_supervisor" in html  # the workflow, to replay
        cycle_history = await client.get(cycle.group(1))
        assert cycle_history.status_code == 200 and "Plan Defaulted" in cycle_history.text

        pages = [listing, history, cycle_history]
        pages.append(await client.get(f"/applications/{site.application_id}"))
        pages.append(await client.get("/employee/E1"))
        for page in pages:
            assert page.status_code == 200
            assert FORM_ACTION.findall(page.text) == ["/logout"], page.url
        # Pay is not for auditors.
        assert "Pay figures are shown to the person" in pages[-1].text
        assert 'class="amount"' not in pages[-1].text

        assert (await client.get("/audit/ledger/x")).status_code == 404
        unknown = await client.get("/audit/application/nope")
        assert unknown.status_code == 404 and "no application 'nope'" in text(unknown)


async def test_a_decision_without_the_form_token_is_refused(site: Site) -> None:
    path = f"/applications/{site.application_id}/decide"
    async with site.session("manager:S001") as client:
        forged = await client.post(path, data={"decision": "approve", "csrf": "x" * 43})
        assert forged.status_code == 403 and "nothing was done" in forged.text
        missing = await client.post(path, data={"decision": "approve"})
        assert missing.status_code == 403
    async with site.client() as anonymous:
        response = await anonymous.post(path, data={"decision": "approve", "csrf": "x" * 43})
        assert response.status_code == 303 and response.headers["location"] == "/login"
    async with site.session("employee:E1") as client:
        page = await client.get("/employee")
        own = await client.post(path, data={"decision": "approve", "csrf": csrf_of(page)})
        assert own.status_code == 422 and "not E1's manager" in text(own)
    record = site.api.services.promotion_queries.application(HR, site.application_id)
    assert record["stage"] == "manager_review"


async def test_a_rejection_needs_a_comment(site: Site) -> None:
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        response = await client.post(
            f"/applications/{site.application_id}/decide",
            data={"decision": "reject", "comment": " ", "csrf": csrf_of(page)},
        )
        assert response.status_code == 422
        assert "a rejection needs a comment" in response.text
    record = site.api.services.promotion_queries.application(HR, site.application_id)
    assert record["stage"] == "manager_review"


async def test_static_assets_ship_with_the_package(site: Site) -> None:
    async with site.client() as client:
        library = await client.get("/static/vendor/chart.umd.min.js")
        assert library.status_code == 200 and "Chart.js v4.6.1" in library.text[:200]
        assert (await client.get("/static/dashboard.js")).status_code == 200
        assert (await client.get("/static/careerflow.css")).status_code == 200


async def test_the_manager_approves_from_the_dashboard(site: Site) -> None:
    """Last in the module: the decision moves the application on."""
    async with site.session("manager:S001") as client:
        page = await client.get("/manager")
        decided = await client.post(
            f"/applications/{site.application_id}/decide",
            data={"decision": "approve", "comment": "ready to lead", "csrf": csrf_of(page)},
        )
        assert decided.status_code == 303, decided.text
        assert decided.headers["location"] == (
            f"/applications/{site.application_id}?decided=approve"
        )
        shown = await client.get(decided.headers["location"])
        html = shown.text
        assert "Your decision was recorded (approved)" in html
        assert "now at <strong>hr review</strong>" in html
        assert "Manager Decided" in html and "ready to lead" in html and "by S001" in html
        assert f"/applications/{site.application_id}/decide" not in html
        board = (await client.get("/manager")).text
        assert f'data-application="{site.application_id}"' not in board

    async with site.session("employee:E1") as client:
        html = (await client.get("/employee")).text
        assert "hr review" in html and "ready to lead" in html
