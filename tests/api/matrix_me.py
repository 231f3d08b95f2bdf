"""The caller's own endpoints: anyone with a token, nobody without; a profile language
for people with an employee profile (HR's H001 has none: 404; auditors and integrations
change nothing: 403). The language set is the one they have: nothing changes."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import EVERYONE_OK, Case, Outcome, paged


def _is_self(who: str, body: Any) -> None:
    role, person = who.split(":")
    assert (body["role"], body["person_id"]) == (role, person)


HAVE_A_PROFILE: dict[str, Outcome] = {
    "employee:E1": "ok",
    "employee:E2": "ok",
    "manager:S001": "ok",
    "manager:M001": "ok",
    "hr:H001": 404,
}


def _unchanged(who: str, body: Any) -> None:
    assert (body["language"], body["changed"]) == ("zh", False), who


CASES = [
    Case(
        "PUT",
        "/me/language",
        "/me/language",
        HAVE_A_PROFILE,
        json={"language": "zh"},
        check=_unchanged,
    ),
    Case(
        "PUT",
        "/me/language",
        "/me/language",
        {c: "refused" for c in EVERYONE_OK},
        json={"language": "fr"},
    ),
    Case("GET", "/me", "/me", EVERYONE_OK, check=_is_self),
    Case("GET", "/me/inbox", "/me/inbox", EVERYONE_OK, check=paged),
    Case(
        "GET", "/me/inbox?unread_only=true&kind=plan&limit=1", "/me/inbox", EVERYONE_OK, check=paged
    ),
    Case(
        "POST",
        "/me/inbox/00000000-0000-0000-0000-000000000000/read",
        "/me/inbox/{notification_id}/read",
        {},
        default=404,
    ),
]
