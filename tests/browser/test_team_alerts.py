"""A manager works through their alerts in a real headless Chromium (issue 18), in Chinese
and in English, on a 360 px phone and on a desktop: S001 has a training alert about E1's
week and a reminder about E1's promotion application waiting (and an ordinary notice,
which is no alert). From the team week's "unread alerts" notice S001 opens the unread
alerts, marks the training alert read (it leaves the unread list, and shows as read
among all alerts), then opens the reminder, which leads to the application and marks it
read too; after a reload nothing of the two is unread (the read model says so). Every
page fits the window, has thumb-sized controls on a phone and no text of the other
language; screenshots are kept under var/browser/."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from careerflow.principal import SYSTEM
from projections.notifications import inbox_page
from tests.browser.conftest import Served
from tests.browser.support import _until, checked, follow_header
from tests.browser.test_browser import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    browser,
    chromium,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.async_api import Browser

RUNS = [("zh", "phone"), ("en", "desktop"), ("en", "phone"), ("zh", "desktop")]
KINDS = ["training.alert", "promotion.reminder", "promotion.approval_waiting"]
SAYS = {
    "en": {
        "alerts": "Alerts",
        "mark read": "Mark read",
        "marked": "The alert was marked read.",
        "all": "All alerts",
        "training": "Retention below target two months running",
        "reminder": "A promotion decision is due",
        "ordinary": "An application waits",
    },
    "zh": {
        "alerts": "提醒",
        "mark read": "标为已读",
        "marked": "该提醒已标为已读。",
        "all": "全部提醒",
        "training": "客户留存率连续两个月未达标",
        "reminder": "晋升申请待你审批，即将到期",
        "ordinary": "有申请在等待",
    },
}
EN, ZH = SAYS["en"], SAYS["zh"]


def unread_of_s001(served: Served) -> set[str]:
    with served.services.read_pool.connection() as conn:
        found = inbox_page(conn, "S001", unread_only=True, limit=100, cursor=None)
    return {str(n["notification_id"]) for n in found.items}


@pytest.mark.parametrize(("lang", "size"), RUNS)
async def test_the_manager_reads_and_opens_alerts(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: Served,
    tmp_path: Path,
    lang: str,
    size: str,
) -> None:
    from playwright.async_api import expect

    say = SAYS[lang]
    notifications = served.services.notifications
    week, application_id = served.arranged.week, served.arranged.application_id
    refs = [
        {"type": "cycle", "id": f"E1/{week}"},
        {"type": "promotion", "id": application_id},
        {"type": "promotion", "id": application_id},
    ]
    bodies = [
        {"en": "Customer Relationship Management is pushed.", "zh": "已推送客户关系管理课程。"},
        {"en": "Decide it before it escalates.", "zh": "请在升级前审批。"},
        {"en": "Decide it.", "zh": "请审批。"},
    ]
    titles = [{"en": EN[k], "zh": ZH[k]} for k in ("training", "reminder", "ordinary")]
    training, reminder, ordinary = (
        str(
            notifications.create(
                SYSTEM, f"browser-alerts/{uuid.uuid4()}", "S001", kind, title, body, ref
            ).notification_id
        )
        for kind, title, body, ref in zip(KINDS, titles, bodies, refs, strict=True)
    )
    await _until(
        "the notices in S001's inbox",
        lambda: {training, reminder, ordinary} <= unread_of_s001(served),
    )
    problems: list[str] = []
    viewport = PHONE if size == "phone" else DESKTOP
    manager = await sign_in(browser, served, "manager:S001", lang, viewport, tmp_path, problems)
    page = manager.page
    try:
        # -- from the team week's notice to the unread alerts -------------------------
        await follow_header(page, "/team/week")
        await page.locator('#alerts-waiting a[href="/team/alerts?unread=1"]').click()
        await manager.arrive("**/team/alerts?unread=1")
        await expect(page.locator("h1")).to_have_text(say["alerts"])
        first, second = page.locator(f"#n-{training}"), page.locator(f"#n-{reminder}")
        await expect(first).to_have_class("notice-item unread")
        await expect(first).to_contain_text(say["training"])
        await expect(second).to_contain_text(say["reminder"])
        await expect(page.locator(f"#n-{ordinary}")).to_have_count(0)  # not an alert
        await checked(manager, "alerts-unread")

        # -- the training alert marked read -----------------------------------------
        await first.get_by_role("button", name=say["mark read"]).click()
        await manager.arrive("**/team/alerts?unread=1&done=read")
        await expect(page.locator("p.notice")).to_have_text(say["marked"])
        await expect(first).to_have_count(0)
        await expect(second).to_have_count(1)
        await checked(manager, "alert-marked-read")
        await page.get_by_role("link", name=say["all"]).click()
        await manager.arrive("**/team/alerts")
        await expect(first).to_have_class("notice-item read")
        await expect(first.get_by_role("button", name=say["mark read"])).to_have_count(0)
        await checked(manager, "alerts-all")

        # -- the reminder opened: the application it is about, and read ---------------
        await second.get_by_role("button", name=say["reminder"]).click()
        await manager.arrive(f"**/applications/{application_id}")
        await expect(page.locator("#decide")).to_be_visible()
        await checked(manager, "alert-opened")
        await manager.goto("/team/alerts?unread=1")
        await expect(page.locator(f"#n-{training}, #n-{reminder}")).to_have_count(0)
        await page.reload()
        await expect(page.locator(f"#n-{training}, #n-{reminder}")).to_have_count(0)
        await checked(manager, "alerts-done")
        unread = unread_of_s001(served)
        assert training not in unread and reminder not in unread and ordinary in unread
    finally:
        await manager.context.close()
    assert not problems, problems
