"""API tokens: HR issues and revokes them; the operator bootstraps the first."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from careerflow.cli import statements
from careerflow.cli.auth import ExitCode
from careerflow.cli.common import (
    JsonOption,
    OperatorOption,
    TokenOption,
    _act,
    _fail,
    _operator,
    _remember_zone,
    _run,
    _stated,
    _view,
)
from careerflow.runtime import load_settings
from words.messages import Message

token_app = typer.Typer(no_args_is_help=True, help="API tokens (issued by HR).")


def _access_role(role: str) -> Any:
    from careerflow.principal import AccessRole

    try:
        return AccessRole(role)
    except ValueError:
        _fail(
            Message(
                "unknown role {role!r}; use employee, manager, hr, auditor or integration",
                role=role,
            )
        )


@token_app.command("issue")
def token_issue(
    person_id: str,
    role: Annotated[str, typer.Option(help="employee, manager, hr, auditor or integration")],
    token: TokenOption = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int, typer.Option(help="Days until it expires (0: never).")] = 90,
    as_json: JsonOption = False,
) -> None:
    """HR: issue an API token for a person and role; the token is shown once."""
    access = _access_role(role)
    _act(
        token,
        lambda s, p: s.tokens.issue(p, person_id, access, label, days or None),
        as_json,
        statements.token_issued,
    )


@token_app.command("bootstrap")
def token_bootstrap(
    person_id: str,
    role: Annotated[str, typer.Option(help="hr: the first HR token of an install.")] = "hr",
    as_: OperatorOption = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "bootstrap",
    days: Annotated[int, typer.Option(help="Days until it expires (0: never).")] = 90,
    as_json: JsonOption = False,
) -> None:
    """Operator: issue an HR token with direct database access, no token needed (the
    first one of an install; HR issues every other). Recorded as the operator's act."""
    from careerflow.engine import Engine
    from careerflow.principal import AccessRole

    if _access_role(role) != AccessRole.hr:
        _fail(
            Message(
                "bootstrap issues HR tokens only; HR issues every other token with "
                "`careerflow token issue`"
            ),
            ExitCode.USAGE,
        )
    operator = _operator(as_)
    with Engine.open(load_settings()) as services:
        issued = _run(
            lambda: services.tokens.issue(operator, person_id, AccessRole.hr, label, days or None)
        )
        _remember_zone(services)
    _stated(issued, as_json, statements.token_issued)


@token_app.command("revoke")
def token_revoke(
    token_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """HR: revoke an API token (by its id, the part after cf_ and before the dot)."""
    _act(
        token,
        lambda s, p: {"token_id": token_id, "revoked": s.tokens.revoke(p, token_id, reason)},
        as_json,
        statements.token_revoked,
    )


@token_app.command("list")
def token_list(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR and auditors: who holds which tokens (never the secrets), newest first: every
    page of the list the API pages."""
    from careerflow.applications.access import TokenInfo, TokenQuery
    from careerflow.cli import tables

    def every(s: Any, p: Any) -> list[TokenInfo]:
        found: list[TokenInfo] = []
        cursor = ""
        while True:
            page = s.tokens.browse(p, TokenQuery(limit=200, cursor=cursor))
            found += page.items
            if not page.next_cursor:
                return found
            cursor = page.next_cursor

    _view(token, every, as_json, tables.tokens)
