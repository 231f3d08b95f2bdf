"""HR's dashboard warns, in Chinese and English, while the current or next year's working
days would be guessed (no official schedule in the calendar library, nothing published),
and stops once HR publishes the year's extra days in the promotion_process document. On
the real stack, called over ASGI like a browser (tests/api/conftest.py)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from temporalio.client import Client

from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.api.pages import LANG_COOKIE
from careerflow.demo_loader import DEMO_HR
from careerflow.workdays import coverage
from tests.api.conftest import ApiStack

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@asynccontextmanager
async def signed_in(api: ApiStack, who: str, lang: str) -> AsyncIterator[httpx.AsyncClient]:
    async def connect() -> Client:
        return api.temporal

    app = create_app(ApiContext(api.services, connect, api.queue))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://careerflow.test"
    ) as client:
        client.cookies.set(LANG_COOKIE, lang)
        login = await client.get("/login")
        found = CSRF.search(login.text)
        assert found
        response = await client.post(
            "/login", data={"token": api.tokens[who], "csrf": found.group(1), "next": "/"}
        )
        assert response.status_code == 303, response.text
        yield client


async def test_the_hr_page_warns_about_a_year_the_calendar_does_not_cover(api: ApiStack) -> None:
    this_year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    gaps = [y for y in (this_year, this_year + 1) if not coverage(y, "CN").covered]
    # chinese-calendar's installed release knows up to 2026 (pinned in test_workdays).
    assert gaps, "the calendar library covers this and next year: nothing to warn about"

    for who in ("hr:H001", "auditor:A001"):
        async with signed_in(api, who, "en") as client:
            page = await client.get("/hr")
            assert page.status_code == 200
            text = html.unescape(page.text)
            for year in gaps:
                assert f'id="calendar-gap-{year}"' in text
                assert f"The working-day calendar does not cover {year} (CN)" in text
                assert f"careerflow calendar check {year}" in text
    async with signed_in(api, "hr:H001", "zh") as client:
        text = html.unescape((await client.get("/hr")).text)
        for year in gaps:
            assert f"工作日日历未覆盖 {year} 年（CN）" in text
        assert "The working-day calendar does not cover" not in text

    # HR publishes the notice's days (a National Day week for each year): no warning.
    document = api.services.policies.current("promotion_process", "default").document
    published = {
        **document,
        "extra_holidays": [f"{y}-10-0{d}" for y in gaps for d in range(1, 8)],
        "extra_working_days": [f"{y}-10-09" for y in gaps],
    }
    api.services.policies.publish(DEMO_HR, "promotion_process", "default", published, "notice")
    async with signed_in(api, "hr:H001", "en") as client:
        text = html.unescape((await client.get("/hr")).text)
        assert "calendar-gap-" not in text
        assert "does not cover" not in text
