"""The authorization matrix's vocabulary. Each area's module (matrix_<area>.py) lists a
`Case` per request; test_matrix.py runs every case as every caller and checks that every
API route has at least one case, so a new endpoint cannot skip the matrix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

# What a caller gets: "ok" (2xx), "refused" (422: past access control, a business rule
# said no), "passed" (ok or refused), or an exact status (401, 403, 404).
Outcome = Literal["ok", "refused", "passed", 401, 403, 404]
CALLER_NAMES = (
    "none",
    "employee:E1",
    "employee:E2",
    "manager:S001",
    "manager:M001",
    "hr:H001",
    "auditor:A001",
    "integration:crm",
)


@dataclass
class Case:
    method: str
    path: str
    """A concrete path (ids filled in) under /api/v1."""
    route: str
    """The route template it exercises, as in the OpenAPI document."""
    expect: dict[str, Outcome]
    """Outcome per caller; callers not named get `default`."""
    default: Outcome = 403
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    forbidden_fields: dict[str, list[str]] = field(default_factory=dict)
    """Per caller, JSON keys that must not appear with a value in the response."""
    check: Callable[[str, Any], None] | None = None
    """Extra assertion on a 2xx body: check(caller, body)."""

    def outcome(self, who: str) -> Outcome:
        if who == "none":
            return self.expect.get("none", 401)
        return self.expect.get(who, self.default)


EVERYONE_OK: dict[str, Outcome] = {c: "ok" for c in CALLER_NAMES if c != "none"}


def paged(who: str, body: Any) -> None:
    """A list's answer is a page: its rows, the total, the page size and the next cursor."""
    assert set(body) >= {"items", "total", "limit", "next_cursor"}, (who, body)
    assert isinstance(body["items"], list) and len(body["items"]) <= body["limit"], who
    assert body["total"] >= len(body["items"]), who
    if body["next_cursor"] is not None:  # a next page only after a full one
        assert len(body["items"]) == body["limit"], who
