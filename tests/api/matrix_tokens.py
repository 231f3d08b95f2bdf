"""Tokens: only HR issues and revokes them; HR and auditors list them, and no listing
ever carries a secret or its hash."""

from __future__ import annotations

from typing import Any

from tests.api.matrix import CALLER_NAMES, Case, paged

SECRETS = {who: ["token", "secret", "secret_hash"] for who in CALLER_NAMES}


def _shown_once(who: str, body: Any) -> None:
    assert body["token"].startswith(f"cf_{body['token_id']}."), who


CASES = [
    Case(
        "POST",
        "/tokens",
        "/tokens",
        {"hr:H001": "ok"},
        json={"person_id": "E3", "role": "employee", "label": "matrix", "days": 1},
        check=_shown_once,
    ),
    Case(
        "GET",
        "/tokens",
        "/tokens",
        {"hr:H001": "ok", "auditor:A001": "ok"},
        forbidden_fields=SECRETS,
        check=paged,
    ),
    Case(
        "GET",
        "/tokens?limit=2&status=active&role=employee&q=E",
        "/tokens",
        {"hr:H001": "ok", "auditor:A001": "ok"},
        forbidden_fields=SECRETS,
        check=paged,
    ),
    # An unknown token is 404 for HR; everyone else is refused before any lookup.
    Case(
        "POST",
        "/tokens/000000000000/revoke",
        "/tokens/{token_id}/revoke",
        {"hr:H001": 404},
        json={"reason": "matrix"},
    ),
]
