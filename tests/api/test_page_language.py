"""Every page each role reaches, in Chinese and in English, has no text of the other
language (tests/language.py): untranslated strings, English stored lines, ids where
names belong and raw identifiers all fail here. Names and other data are marked
translate="no" by the templates; the organisation's names are data too."""

from __future__ import annotations

import re

import pytest

from tests.api.test_pages import Site, site  # noqa: F401  (the module's stack)
from tests.browser.support import NAMES
from tests.language import other_language

pytestmark = pytest.mark.servers

DATA = list(NAMES.values())


def pages(who: str, application_id: str) -> list[str]:
    role = who.split(":")[0]
    if role == "employee":
        return ["/employee", f"/applications/{application_id}", "/week", "/pay", "/assessments"]
    if role == "manager":
        return [
            "/manager",
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
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("who", ["employee:E1", "manager:S001", "hr:H001", "auditor:A001"])
async def test_each_page_speaks_one_language(site: Site, who: str, lang: str) -> None:  # noqa: F811
    async with site.session(who, lang) as client:
        seen = {}
        for path in pages(who, site.application_id):
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
