"""The inbox and development-plan pages over ASGI on the real stack: a rep's notices
newest first, filtered and paged, read and unread shown apart, marked read one by one or
all at once (the API's NotificationService.mark_read), a notice's link marks it read and
opens the page about it; the plan page (its employee, their manager, HR; nobody else)
lists the milestones and carries the timeline chart; Chinese and English, each without
words of the other."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from markupsafe import escape

from aggregates.plan_template import add_months
from careerflow.principal import SYSTEM, AccessRole, Principal
from projections.notifications import inbox_page
from tests.api.conftest import ApiStack
from tests.api.test_pages import Site, csrf_of, site, text  # noqa: F401
from tests.language import other_language
from words.messages import Message

TITLES = {
    "promotion": {"en": "Your application moved on", "zh": "您的晋升申请有了进展"},
    "plan": {"en": "A milestone is due soon", "zh": "有一个里程碑即将到期"},
    "plain": {"en": "Welcome to the inbox", "zh": "欢迎使用消息箱"},
}
BODY = {"en": "Open it to see more.", "zh": "打开查看详情。"}


def notify(api: ApiStack, recipient: str, kind: str, title: str, ref: Any) -> uuid.UUID:
    made = api.services.notifications.create(
        SYSTEM,
        f"test-pages-inbox/{uuid.uuid4()}",
        recipient,
        kind,
        TITLES[title],
        BODY,
        ref,
    )
    return made.notification_id


def one_language(page: httpx.Response, lang: str) -> None:
    assert page.status_code == 200, page.text[:2000]
    found = other_language(page.text, lang)
    assert not found, f"{page.request.url} ({lang}) says {found[:20]}"


def read_at(api: ApiStack, notification_id: uuid.UUID) -> Any:
    with api.services.read_pool.connection() as conn:
        row: Any = conn.execute(
            "SELECT read_at FROM rm_inbox WHERE notification_id = %s", (notification_id,)
        ).fetchone()
    return row["read_at"]


async def start_plan(api: ApiStack, employee_id: str) -> str:
    zone = ZoneInfo(api.services.policies.promotion_process()[0].time_zone)
    today = datetime.now(zone).date()
    effective = add_months(date(today.year, today.month, 1), -1)  # a month under way
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
    for _ in range(150):
        rows = api.services.plan_queries.plans_of(SYSTEM_HR, employee_id)
        if any(p["plan_id"] == plan_id for p in rows):
            return plan_id
        await asyncio.sleep(0.2)
    raise AssertionError("the plan never reached the read model")


SYSTEM_HR = Principal(person_id="H001", role=AccessRole.hr)


@pytest.fixture(scope="module")
async def plan_id(site: Site) -> str:  # noqa: F811
    return await start_plan(site.api, "E1")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_inbox_marks_read_and_opens_what_a_notice_is_about(
    site: Site,  # noqa: F811
    plan_id: str,
    lang: str,
) -> None:
    api = site.api
    promotion = notify(
        api,
        "E1",
        "promotion.hr_review",
        "promotion",
        {"type": "promotion", "id": site.application_id},
    )
    plan = notify(api, "E1", "plan.reminder", "plan", {"type": "plan", "id": plan_id})
    plain = notify(api, "E1", "training.recommended", "plain", None)
    await asyncio.to_thread(api.caught_up)

    async with site.session("employee:E1", lang) as client:
        page = await client.get("/inbox")
        one_language(page, lang)
        shown = text(page)
        for key in ("promotion", "plan", "plain"):
            assert TITLES[key][lang] in shown
        assert f'id="n-{promotion}"' in page.text
        assert page.text.count('class="notice-item unread"') >= 3
        assert 'href="/inbox"' in page.text  # the nav link

        # Only the unread promotion notices.
        only = await client.get("/inbox?unread=1&kind=promotion")
        one_language(only, lang)
        assert TITLES["promotion"][lang] in text(only)
        assert TITLES["plan"][lang] not in text(only)

        # Opening the promotion notice: read, and the application's page.
        opened = await client.post(f"/inbox/{promotion}/open", data={"csrf": csrf_of(page)})
        assert opened.status_code == 303
        assert opened.headers["location"] == f"/applications/{site.application_id}"
        assert read_at(api, promotion) is not None
        assert (await client.get(opened.headers["location"])).status_code == 200
        after = await client.get("/inbox")
        assert 'class="notice-item read" id="n-' + str(promotion) in after.text

        # The plan notice goes to the plan page.
        to_plan = await client.post(f"/inbox/{plan}/open", data={"csrf": csrf_of(page)})
        assert to_plan.headers["location"] == f"/plans/{plan_id}"

        # Mark one read, then all: nothing unread is left.
        marked = await client.post(
            f"/inbox/{plain}/read", data={"csrf": csrf_of(page), "unread": "1", "kind": ""}
        )
        assert (
            marked.status_code == 303 and marked.headers["location"] == "/inbox?unread=1&done=read"
        )
        assert read_at(api, plain) is not None
        notify(api, "E1", "plan.overdue", "plan", {"type": "plan", "id": plan_id})
        await asyncio.to_thread(api.caught_up)
        everything = await client.post("/inbox/read", data={"csrf": csrf_of(page)})
        assert everything.headers["location"] == "/inbox?done=all"
        done = await client.get(everything.headers["location"])
        one_language(done, lang)
        assert 'class="notice-item unread"' not in done.text
        # Without the form token nothing happens.
        refused = await client.post(f"/inbox/{plain}/read", data={"csrf": "forged"})
        assert refused.status_code == 403

    # Someone else's notice can't be marked or opened.
    async with site.session("employee:E2", lang) as other:
        page = await other.get("/inbox")
        one_language(page, lang)
        assert TITLES["promotion"][lang] not in text(page)
        stranger = await other.post(f"/inbox/{promotion}/open", data={"csrf": csrf_of(page)})
        assert stranger.status_code in (403, 404)


# What people typed, in both languages at once: words of the other language on any page
# unless the page shows them as data.
TYPED = "Bring the signed 合同 by Friday"
ROUND = "Q4 复盘 review"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_typed_text_in_a_notice_is_shown_as_data(
    site: Site,  # noqa: F811
    lang: str,
) -> None:
    """A notice stores what a person typed apart from its sentence (Message.quote): the
    inbox and the home page say the sentence in the reader's language and show the typed
    text as typed, in an element marked translate="no", so the page passes the language
    check with no list of exempt strings; the API says it in every language."""
    api = site.api
    made = api.services.notifications.create(
        SYSTEM,
        f"test-pages-inbox/typed/{uuid.uuid4()}",
        "E2",
        "promotion.rejected",
        Message("360° assessment: {title}", title=Message.quote(ROUND)),
        Message("{text}", text=Message.quote(TYPED)),
        {"type": "promotion", "id": site.application_id},
    )
    await asyncio.to_thread(api.caught_up)
    assert other_language(f"<p>{TYPED}</p>", lang) and other_language(f"<p>{ROUND}</p>", lang)
    async with site.session("employee:E2", lang) as client:
        for path in ("/inbox", "/employee"):
            page = await client.get(path)
            assert page.status_code == 200, page.text[:2000]
            # The home page's <title> names its person (E2, 复购不足): data, not a notice.
            assert not other_language(page.text, lang, ["复购不足"]), path
            assert f'<q class="typed" translate="no">{escape(TYPED)}</q>' in page.text, path
            assert f'<q class="typed" translate="no">{escape(ROUND)}</q>' in page.text, path
            assert ("360°评估：" if lang == "zh" else "360° assessment: ") in text(page)
    listed = await api.call("employee:E2", "GET", "/api/v1/me/inbox", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    (item,) = [
        i for i in listed.json()["items"] if i["notification_id"] == str(made.notification_id)
    ]
    assert item["title"] == {"en": f"360° assessment: {ROUND}", "zh": f"360°评估：{ROUND}"}
    assert item["body"] == {"en": TYPED, "zh": TYPED}


def test_inbox_pages_are_keyset_paged(site: Site) -> None:  # noqa: F811
    api = site.api
    made = [
        notify(api, "E3", "cycle.report", "plain", {"type": "cycle", "id": "E3/2026-W49"})
        for _ in range(5)
    ]
    api.caught_up()
    seen: list[Any] = []
    cursor = None
    with api.services.read_pool.connection() as conn:
        while True:
            found = inbox_page(conn, "E3", kind="cycle", limit=2, cursor=cursor)  # type: ignore[arg-type]
            assert found.total == 5 and len(found.items) <= 2
            seen.extend(n["notification_id"] for n in found.items)
            cursor = found.next_cursor
            if cursor is None:
                break
        assert inbox_page(conn, "E3", kind="promotion").total == 0  # type: ignore[arg-type]
        assert inbox_page(conn, "E3", cursor="not-a-cursor").total == 5  # type: ignore[arg-type]
    assert sorted(seen) == sorted(made) and len(seen) == 5


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_plan_page_lists_milestones_and_draws_a_timeline(
    site: Site,  # noqa: F811
    plan_id: str,
    lang: str,
) -> None:
    for who in ("employee:E1", "manager:S001", "hr:H001"):
        async with site.session(who, lang) as client:
            page = await client.get(f"/plans/{plan_id}")
            one_language(page, lang)
            assert 'id="chart-timeline"' in page.text and '"kind": "timeline"' in page.text
            assert 'id="milestones"' in page.text and "<details" in page.text
    async with site.session("employee:E1", lang) as client:
        mine = await client.get("/employee")
        assert f'href="/plans/{plan_id}"' in mine.text
    async with site.session("employee:E2", lang) as client:
        assert (await client.get(f"/plans/{plan_id}")).status_code == 404
        assert (await client.get("/plans/plan-nobody")).status_code == 404
