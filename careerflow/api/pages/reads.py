"""The request's services, the read-model documents the query services do not expose
(published policies, through projections.policies), and the wait after an action."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from aggregates.base import NotFoundError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.process import PromotionProcess
from careerflow.api.context import ApiContext
from careerflow.engine import Engine
from projections.policies import latest_document


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def _services(request: Request) -> Engine:
    return _context(request).services


def _optional(call: Callable[[], Any]) -> Any:
    """A section whose read model has nothing yet shows as empty, not as an error."""
    try:
        return call()
    except NotFoundError:
        return None


# -- read-model documents the query services do not expose -----------------------------
def _document(services: Engine, kind: str) -> dict[str, Any] | None:
    with services.read_pool.connection() as conn:
        return latest_document(conn, kind)


def _process(services: Engine) -> PromotionProcess:
    doc = _document(services, "promotion_process")
    return PromotionProcess.model_validate(doc) if doc else PromotionProcess()


def _cycle_settings(services: Engine) -> WeeklyCycleSettings:
    doc = _document(services, "weekly_cycle")
    return WeeklyCycleSettings.model_validate(doc) if doc else WeeklyCycleSettings()


def _week_opens(services: Engine, week: str) -> datetime | None:
    """When `week`'s cycles open (the weekly-cycle document's start, in its zone)."""
    try:
        year, number = (int(part) for part in week.split("-W"))
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        return None
    settings = _cycle_settings(services)
    local = datetime.combine(monday, clock(0), ZoneInfo(settings.time_zone))
    return local + settings.week_starts.offset


def _metric_labels(services: Engine) -> dict[str, Any]:
    """Each metric's bilingual label from the metric catalogue in force."""
    doc = _document(services, "metric_catalog") or {}
    return {name: m.get("label") for name, m in (doc.get("metrics") or {}).items()}


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Read-your-writes for the person who acted: the page after an action shows it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await run_in_threadpool(check):
            return
        await asyncio.sleep(0.1)
