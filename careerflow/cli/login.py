"""Signing in at this shell: login, logout, whoami."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli import statements
from careerflow.cli.auth import ExitCode
from careerflow.cli.common import JsonOption, TokenOption, _act, _fail, _run, _stated
from careerflow.principal import Principal
from careerflow.runtime import load_settings
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.engine import Engine


app = typer.Typer()  # its commands join the root's, unnamed


def _whoami(principal: Principal, services: Engine) -> dict[str, Any]:
    from projections.people import employee_name

    with services.read_pool.connection() as conn:
        name = employee_name(conn, principal.person_id)
    return {"person_id": principal.person_id, "role": principal.role.value, "name": name}


@app.command()
def login(
    token: TokenOption = "",
    demo: Annotated[
        str,
        typer.Option(help="Use the demo's token of ROLE:ID (var/demo-tokens.json), e.g. hr:H001."),
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """Check a token against the engine and save it for the next commands (mode 0600,
    $XDG_CONFIG_HOME/careerflow/token); asks for it unless given. Prints who you are."""
    from careerflow.cli import auth as cli_auth
    from careerflow.engine import Engine

    settings = load_settings()
    if demo:
        token = _demo_token(settings.var_dir / "demo-tokens.json", demo)
    if not token:
        token = typer.prompt("API token", hide_input=True, err=True)
    with Engine.open(settings) as services:
        principal = _run(lambda: services.tokens.authenticate(token))
        who = _whoami(principal, services)
    path = cli_auth.save_token(token)
    _stated({**who, "saved_in": str(path)}, as_json, statements.who)


def _demo_token(path: Path, who: str) -> str:
    try:
        tokens: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(
            Message("{path} does not exist: load the demo first", path=str(path)),
            ExitCode.NOT_FOUND,
        )
        raise
    if who not in tokens:
        _fail(
            Message(
                "the demo has no token for {who!r}; it has: {held}",
                who=who,
                held=", ".join(sorted(tokens)),
            ),
            ExitCode.NOT_FOUND,
        )
    return tokens[who]


@app.command()
def logout(as_json: JsonOption = False) -> None:
    """Forget the token `careerflow login` saved (it stays valid: HR revokes tokens)."""
    from careerflow.cli import auth as cli_auth

    path = cli_auth.forget_token()
    result = {"logged_out": path is not None, "removed": str(path) if path else None}
    _stated(result, as_json, statements.logged_out)


@app.command()
def whoami(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Who the commands act as: the token's person and role."""
    _act(token, lambda s, p: _whoami(p, s), as_json, statements.who)
