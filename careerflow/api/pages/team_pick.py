"""Whose team a team page shows (issue 18): a manager their own team; HR and auditors any
manager's, picked by a search of the people who manage someone (the people directory's
projections.people_queries.managers); everyone else is refused (403). Used by
/team/week and /team/assessments (`?manager=`)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from aggregates.base import PermissionDeniedError
from careerflow.api.pages.reads import _services
from careerflow.principal import AccessRole, Principal
from words.messages import Message


def team_manager(caller: Principal, asked: str) -> str:
    """The manager whose team is shown: the caller when a manager (another manager's id
    is refused), the one asked when HR or an auditor ("" until one is picked)."""
    asked = asked.strip()
    if caller.role == AccessRole.manager:
        if asked and asked != caller.person_id:
            raise PermissionDeniedError(
                "manager {person_id} may see only their own team, not {manager_id}'s",
                person_id=caller.person_id,
                manager_id=asked,
            )
        return caller.person_id
    caller.require(AccessRole.hr, AccessRole.auditor, action=Message("see a manager's team"))
    return asked


def picker(request: Request, caller: Principal, manager_id: str) -> dict[str, Any]:
    """The picker's context for HR and auditors (empty for a manager): the search, the
    managers it found and the one shown, by name."""
    if caller.role == AccessRole.manager:
        return {"picker": None}
    q = request.query_params.get("q", "").strip()
    queries = _services(request).people_queries
    found = queries.managers(caller, q, limit=20)
    shown = next((m for m in found if m.employee_id == manager_id), None)
    if manager_id and shown is None:
        shown = next(iter(queries.managers(caller, manager_id, limit=1)), None)
    return {
        "picker": {"q": q, "found": found, "manager_id": manager_id, "shown": shown},
    }
