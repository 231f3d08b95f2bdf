"""What several screens draw: the week asked for, the charts for static/dashboard.js and
the manager's SLA clock on an application."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from aggregates.base import DomainError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.process import PromotionProcess
from careerflow.api import i18n
from careerflow.api.pages.reads import _document
from careerflow.api.pages.rendering import _gettext
from careerflow.engine import Engine
from careerflow.workdays import add_working_days, working_days_between
from words.messages import Message

_WEEK = re.compile(r"^\d{4}-W\d{2}$")


def _week(services: Engine, request: Request) -> str:
    asked = request.query_params.get("week", "")
    if asked:
        if not _WEEK.match(asked):
            _ = _gettext(request)
            raise DomainError(
                Message.verbatim(  # already in the page's language
                    _("week: expected an ISO week like 2026-W48, got %(week)s") % {"week": asked}
                )
            )
        return asked
    doc = _document(services, "weekly_cycle")
    settings = WeeklyCycleSettings.model_validate(doc) if doc else WeeklyCycleSettings()
    return settings.week_of(datetime.now(UTC))


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _chart(
    lang: str, labels: list[str], datasets: list[dict[str, Any]], **options: Any
) -> dict[str, Any]:
    """A chart for static/dashboard.js: labels, datasets, the locale and a few options."""
    return {"labels": labels, "datasets": datasets, "locale": i18n.HTML_LANG[lang], **options}


def _sla(row: dict[str, Any], process: PromotionProcess, now: datetime) -> dict[str, Any]:
    """The manager's clock: working days waiting, when the reminder and escalation come."""
    since = row["stage_since"]
    age = working_days_between(since, now, process, process.time_zone)
    remind = process.remind_manager_after_working_days
    escalate = process.escalate_after_working_days
    state = "escalated" if age >= escalate else "reminded" if age >= remind else "on time"
    return {
        "age": round(age, 1),
        "remind_at": add_working_days(since, remind, process, process.time_zone),
        "escalate_at": add_working_days(since, escalate, process, process.time_zone),
        "escalate_after": escalate,
        "state": state,
    }
