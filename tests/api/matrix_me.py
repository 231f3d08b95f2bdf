"""The caller's own endpoints: anyone with a token, nobody without."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import EVERYONE_OK, Case


def _is_self(who: str, body: Any) -> None:
    role, person = who.split(":")
    assert (body["role"], body["person_id"]) == (role, person)


CASES = [
    Case("GET", "/me", "/me", EVERYONE_OK, check=_is_self),
    Case("GET", "/me/inbox", "/me/inbox", EVERYONE_OK),
    Case(
        "POST",
        "/me/inbox/00000000-0000-0000-0000-000000000000/read",
        "/me/inbox/{notification_id}/read",
        {},
        default=404,
    ),
]
