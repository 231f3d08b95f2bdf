"""Data for the dashboard tests (server-side and browser): a year of metrics for E1 (who
meets the criteria) and E2 (who does not), this week's cycles for both with a few
actuals, and E1's application waiting for the manager (S001); and, for the plan form, a
week whose cycle workflow is running."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from activities.cycles import StartCycle, cycle_workflow_id
from aggregates.base import NotFoundError
from aggregates.ladder import Role
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from projections.policies import latest_document
from projections.runner import ReadModels
from tests.language import other_language
from tests.workflows.promotion_support import ingest, year_of_metrics
from workflows.weekly_cycle import WeeklyCycleWorkflow

if TYPE_CHECKING:
    from playwright.async_api import Page

    from tests.browser.conftest import Served
    from tests.browser.test_browser import Visit

HR = Principal(person_id="H001", role=AccessRole.hr)
# Names in tests/workflows/promotion_support.py's organisation.
NAMES = {"E1": "达标者", "E2": "复购不足", "E3": "新人", "S001": "主管一", "M001": "区域经理"}


@dataclass
class Arranged:
    application_id: str
    week: str


async def _until(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = await asyncio.to_thread(check)
        except NotFoundError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def arrange(
    services: Engine, read_models: ReadModels, client: Client, queue: str
) -> Arranged:
    now = datetime.now(UTC)
    # The reports evaluate the month before today.
    as_of = f"{now.year}-{now.month - 1:02d}" if now.month > 1 else f"{now.year - 1}-12"
    ingest(services, year_of_metrics("E1", as_of, {}, mentored=2))
    ingest(services, year_of_metrics("E2", as_of, {"repurchase_rate": 55.0}, mentored=1))

    commands = services.store.cycles
    week = commands.settings()[0].week_of(now)
    ingest(
        services,
        [("E1", week, "customer_visits", 7.0, ""), ("E2", week, "customer_visits", 3.0, "")],
    )
    for employee in ("E1", "E2"):
        # Named as its own workflow: a page test may start that workflow for the week.
        commands.open_week(employee, week, cycle_workflow_id(employee, week))
        commands.default_plan(employee, week)  # the week's targets stand as the plan

    flow = services.promotion_process(client, queue)
    started = await flow.start(HR, "E1", Role.sales_supervisor)
    application_id = started.application_id

    def waiting() -> bool:
        record = services.promotion_queries.application(HR, application_id)
        return bool(record["stage"] == "manager_review")

    await _until("E1's application to reach manager review", waiting)
    await _until("E1's readiness", lambda: services.queries.readiness(HR, "E1"))
    await _until("E1's weekly cycle", lambda: services.cycle_queries.rep_week(HR, "E1", week))
    await asyncio.to_thread(read_models.wait_caught_up, services.store.applications(), timeout=60)
    return Arranged(application_id=application_id, week=week)


def next_week(week: str) -> str:
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1) + timedelta(days=7)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


async def open_running_week(
    services: Engine, client: Client, queue: str, employee_id: str, week: str
) -> WorkflowHandle[Any, Any]:
    """A week whose cycle workflow runs and still takes a plan (next week's: its plan
    deadline is days ahead whatever today is), as the Monday schedule would start it.
    An earlier run's workflow of the same id is replaced. Terminate it when done."""
    handle = await client.start_workflow(
        WeeklyCycleWorkflow.run,
        StartCycle(employee_id=employee_id, week=week),
        id=cycle_workflow_id(employee_id, week),
        task_queue=queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )
    await _until(
        f"{employee_id}'s cycle for {week}",
        lambda: services.cycle_queries.rep_week(HR, employee_id, week),
    )
    return handle


async def follow_header(page: Page, path: str) -> None:
    """Follows the header's link to `path` as a person would: through the menu on a phone
    (tapped on a touch screen), through its group's dropdown on a desktop when it sits in
    one (pages/nav.py); then checks the page is in one language."""
    menu = page.locator("header details.menu")
    if await menu.is_visible():
        touch = await page.evaluate("() => navigator.maxTouchPoints > 0")
        if not await menu.evaluate("d => d.open"):
            summary = menu.locator("summary")
            await (summary.tap() if touch else summary.click())
        link = menu.locator(f'a[href="{path}"]')
        await (link.tap() if touch else link.click())
    else:
        group = page.locator("header nav.sections details.group").filter(
            has=page.locator(f'a[href="{path}"]')
        )
        if await group.count() and not await group.first.evaluate("d => d.open"):
            await group.first.locator("summary").click()
        await page.locator(f'header nav.sections a[href="{path}"]').first.click()
    await page.wait_for_url(f"**{path}")
    await one_language(page)


HTML_LANG = re.compile(r"<html[^>]*\slang=\"([^\"]+)\"")


def mixed(html: str) -> list[str]:
    """The texts of a served page in the other language than the one its html says (the
    organisation's names are data); empty for a page that says none."""
    said = HTML_LANG.search(html)
    if said is None:
        return []
    lang = "zh" if said.group(1).startswith("zh") else "en"
    return other_language(html, lang, list(NAMES.values()))


async def one_language(page: Page, lang: str | None = None) -> None:
    """No text (nor said attribute) of the other language on the page as it is now: of
    `lang`, or of the language its html says when not given. The organisation's names
    (NAMES) are data."""
    if lang is None:
        said = await page.locator("html").get_attribute("lang") or ""
        lang = "zh" if said.startswith("zh") else "en"
    found = other_language(await page.content(), lang, list(NAMES.values()))
    assert found == [], f"{page.url} ({lang}): text of the other language: {found[:20]}"


async def checked(visit: Visit, name: str) -> None:
    """What every page of a job passes: in the visit's language (the html's lang, and no
    text or said attribute of the other language; the organisation's names are data),
    nothing past the window's edge, thumb-sized controls on a phone; then a screenshot
    under var/browser/."""
    from tests.browser.test_browser import SMALL_CONTROLS

    await visit.in_language()
    await visit.fits(f"{name}, {visit.size}")
    if visit.size == "phone":  # desktop links are text-sized on purpose
        small = await visit.page.evaluate(SMALL_CONTROLS)
        assert small == [], f"{name}: small controls {small}"
    await visit.speaks()
    await visit.screenshot(name)


async def staff_support(served: Served) -> Served:
    """Support staffed: the support_process version the API tests publish (the product
    team's lead PD01 and member PD02, S001 on after-sales, the clock around the clock),
    and PD01's and PD02's tokens issued."""
    from tests.api.test_api_support import _process

    services = served.services
    services.policies.publish(DEMO_HR, "support_process", "default", _process(), "staff")
    for person in ("PD01", "PD02"):
        token = services.tokens.issue(DEMO_HR, person, AccessRole.employee, "browser test")
        served.tokens[f"employee:{person}"] = token.token

    def published() -> bool:
        with services.read_pool.connection() as conn:
            doc = latest_document(conn, "support_process")
        return bool(doc and doc["teams"]["product"]["lead_id"] == "PD01")

    await _until("the support_process version 2", published)
    return served
