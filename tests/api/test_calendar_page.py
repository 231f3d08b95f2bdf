"""HR's dashboard warns, in Chinese and English, while the current or next year's working
days would be guessed (no official schedule in the calendar library, nothing published),
and stops once HR publishes the year's extra days in the promotion_process document. On
the real stack, called over ASGI like a browser (tests/api/conftest.py)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from careerflow.demo_loader import DEMO_HR
from careerflow.workdays import coverage
from tests.api.conftest import ApiStack
from tests.api.site import signed_in, web_app


async def test_the_hr_page_warns_about_a_year_the_calendar_does_not_cover(api: ApiStack) -> None:
    this_year = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).year
    gaps = [y for y in (this_year, this_year + 1) if not coverage(y, "CN").covered]
    # chinese-calendar's installed release knows up to 2026 (pinned in test_workdays).
    assert gaps, "the calendar library covers this and next year: nothing to warn about"

    for who in ("hr:H001", "auditor:A001"):
        async with signed_in(web_app(api), api, who, "en") as client:
            page = await client.get("/hr")
            assert page.status_code == 200
            text = html.unescape(page.text)
            for year in gaps:
                assert f'id="calendar-gap-{year}"' in text
                assert f"The working-day calendar does not cover {year} (CN)" in text
                assert f"careerflow calendar check {year}" in text
    async with signed_in(web_app(api), api, "hr:H001", "zh") as client:
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
    async with signed_in(web_app(api), api, "hr:H001", "en") as client:
        text = html.unescape((await client.get("/hr")).text)
        assert "calendar-gap-" not in text
        assert "does not cover" not in text
