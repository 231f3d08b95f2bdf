"""Every page each role reaches, in Chinese and in English, has no text of the other
language (tests/language.py): untranslated strings, English stored lines, ids where
names belong and raw identifiers all fail here. Names and other data are marked
translate="no" by the templates; the organisation's names are data too."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aggregates.calendar_periods import shift_month
from careerflow.api.pages import router
from tests.api.test_pages import Site, site  # noqa: F401  (the module's stack)
from tests.api.test_pages_inbox_plans import start_plan
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

DATA = list(NAMES.values())
ROOT = Path(__file__).resolve().parent.parent.parent

# Page routes not walked here, each with the test module that checks its language on
# data of its own (a request, a round, a rating task, a verification), or why none can.
ELSEWHERE: dict[str, str] = {
    "/support/{request_id}": "tests/api/test_pages_support.py",
    "/support/queue/{team}": "tests/api/test_pages_support.py",
    "/assessments/{round_id}/profile": "tests/api/test_pages_assessments.py",
    "/assessments/{round_id}/rate/{ratee_id}": "tests/api/test_pages_assessments.py",
    "/hr/assessments/{round_id}": "tests/api/test_pages_rounds.py",
    "/audit/verify/{verify_id}": "tests/api/test_api_audit.py",
    "/hr/cycles/launch/{week}": "tests/api/test_pages_cycle_launch.py",  # a launch's progress
}
NOT_PAGES: dict[str, str] = {
    "/": "a redirect to the person's home page",
    "/lang/{code}": "the language switch: a redirect",
    "/login": "test_the_login_page_speaks_one_language, signed out",
    "/manifest.webmanifest": "JSON for the installable app",
    "/sw.js": "the service worker's script",
}


class Visited:
    """Ids of the data the pages are about, made once for the module."""

    def __init__(self, application_id: str, plan_id: str, week: str, month: str) -> None:
        self.application_id = application_id
        self.plan_id = plan_id
        self.week = week
        self.month = month


@pytest.fixture(scope="module")
async def visited(site: Site) -> Visited:  # noqa: F811
    zone = ZoneInfo(site.api.services.policies.promotion_process()[0].time_zone)
    month = shift_month(datetime.now(zone).strftime("%Y-%m"), -1)
    plan_id = await start_plan(site.api, "E1")
    return Visited(site.application_id, plan_id, site.arranged.week, month)


def pages(who: str, ids: Visited) -> list[str]:
    role = who.split(":")[0]
    application_id = ids.application_id
    plan = f"/plans/{ids.plan_id}"
    if role == "employee":
        return [
            "/employee",
            f"/applications/{application_id}",
            "/week",
            "/pay",
            "/assessments",
            "/promotion",
            "/inbox",
            "/support",
            "/support/new",
            plan,
            "/offline",
            "/problems",
            "/problems/refused",
        ]
    if role == "manager":
        return [
            "/manager",
            "/inbox",
            "/team/support",
            "/week/E1",
            plan,
            "/employee/E1",
            f"/applications/{application_id}",
            "/people",
            "/team/assessments",
            "/team/plans",
            "/assessments",
            "/team/week",
            "/team/week/E1",
            "/team/alerts",
            "/team/week?manager=S001",
        ]
    hr_pages = ["/hr/applications/new", "/hr/applications/new?q=E"] if role == "hr" else []
    hr_pages += ["/hr/metrics", f"/hr/months/{ids.month}/close"] if role == "hr" else []
    # HR launches a week (the preview of a week far ahead changes nothing).
    hr_pages += ["/hr/cycles/launch", "/hr/cycles/launch?week=2099-W10"] if role == "hr" else []
    return [
        "/hr",
        "/hr/applications",
        "/hr/applications?stage=manager_review",
        *hr_pages,
        f"/applications/{application_id}",
        "/people",
        "/hr/pool",
        "/team/plans",
        *(["/hr/plans/new?q=E", "/hr/plans/new?employee_id=E3"] if role == "hr" else []),
        "/hr/tokens",
        "/hr/assessments",
        "/audit",
        f"/audit/application/{application_id}",
        "/employee/E1",  # the person page's charts
        *(["/hr/import"] if role == "hr" else []),
        f"/audit/application/{application_id}?version=1",
        "/audit/tools",
        "/audit/readiness/E1?at=2099-01-01T00:00",
        "/hr/cycles",
        "/team/week",  # the manager picker
        "/team/week?manager=S001&q=S",
        "/team/assessments?manager=S001&q=S",
        "/hr/policies",
        "/hr/policies/promotion_criteria/sales_supervisor",
        "/hr/support",
        "/hr/goals",
        "/hr/months",
        f"/hr/months/{ids.month}",
        "/audit/pool",
        "/audit/readiness",
        "/audit/verify",
        "/week/E1",
        "/pay/E1",
        plan,
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("who", ["employee:E1", "manager:S001", "hr:H001", "auditor:A001"])
async def test_each_page_speaks_one_language(
    site: Site,  # noqa: F811
    visited: Visited,
    who: str,
    lang: str,
) -> None:
    async with site.session(who, lang) as client:
        seen = {}
        for path in pages(who, visited):
            page = await client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert re.search(rf'<html lang="{"zh-CN" if lang == "zh" else "en"}', page.text)
            seen[path] = other_language(page.text, lang, DATA)
        mixed = {p: sorted(set(found)) for p, found in seen.items() if found}
        assert not mixed, f"{lang} pages with text of the other language: {mixed}"


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_login_page_speaks_one_language(site: Site, lang: str) -> None:  # noqa: F811
    async with site.client(lang) as client:
        page = await client.get("/login")
        assert sorted(set(other_language(page.text, lang))) == []
        refused = await client.post("/login", data={"token": "cf_nope.nope", "csrf": "x"})
        assert sorted(set(other_language(refused.text, lang))) == []


def _matches(route: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[^}]*\\\}", "[^/?]+", re.escape(route))
    return re.fullmatch(pattern + r"(\?.*)?", path) is not None


def test_every_page_route_is_walked_or_checked_elsewhere() -> None:
    """A new page is walked here, in both languages for each role that reaches it, or
    named in ELSEWHERE with the test that checks its language on its own data."""
    ids = Visited("A", "P", "2026-W10", "2026-01")
    walked = [p for who in ("employee:E1", "manager:S001", "hr:H001", "auditor:A001")
              for p in pages(who, ids)]  # fmt: skip
    routes = sorted({r.path for r in router.routes if "GET" in (getattr(r, "methods", None) or ())})
    missing = [
        r
        for r in routes
        if r not in ELSEWHERE and r not in NOT_PAGES and not any(_matches(r, p) for p in walked)
    ]
    assert not missing, f"page routes no language test visits: {missing}"
    for route, module in ELSEWHERE.items():
        assert route in routes, f"ELSEWHERE names a route that is gone: {route}"
        source = (ROOT / module).read_text()
        prefix = route.split("{")[0]
        assert prefix in source, (route, module)
        assert "one_language" in source or "other_language" in source, (route, module)
