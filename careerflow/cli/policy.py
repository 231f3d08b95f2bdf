"""Versioned policy documents: publish, show, seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli.common import (
    JsonOption,
    OperatorOption,
    TokenOption,
    _call,
    _fail,
    _operator,
    _run,
    _stated,
    _view,
)
from careerflow.runtime import load_settings
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.engine import Engine
    from careerflow.principal import Principal

policy_app = typer.Typer(no_args_is_help=True, help="Versioned policy documents.")


@policy_app.command("publish")
def policy_publish(
    kind: str,
    key: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Publish a new version of a policy document (JSON file)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        _fail(Message("{file}: not valid JSON: {error}", file=str(file), error=str(exc)))
    version = _call(token, lambda s, p: s.policies.publish(p, kind, key, document, note))
    result = {"kind": kind, "key": key, "version": version}
    _stated(
        result,
        as_json,
        lambda say, r: [
            say.say(
                Message(
                    "{kind}/{key} version {version} is in force",
                    kind=kind,
                    key=key,
                    version=version,
                )
            )
        ],
    )


@policy_app.command("show")
def policy_show(
    kind: str,
    key: str,
    version: Annotated[int, typer.Option(help="A past version; default: current.")] = 0,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Print a policy document (anyone with a token, as in the API)."""
    from careerflow.cli import tables

    _view(
        token,
        lambda s, p: (
            s.policies.version(kind, key, version) if version else s.policies.current(kind, key)
        ),
        as_json,
        lambda say, data: tables.policy(say, data, kind, key),
    )


@policy_app.command("versions")
def policy_versions(
    kind: str, key: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """Every published version of a document, oldest first (as the API's /versions)."""
    from aggregates.not_found import unpublished_policy
    from careerflow.cli import tables
    from projections.policies import document_versions

    def versions(services: Engine, principal: Principal) -> list[dict[str, Any]]:
        with services.read_pool.connection() as conn:
            rows = [dict(r) for r in document_versions(conn, kind, key)]
        if not rows:
            raise unpublished_policy(kind, key)
        return rows

    _view(token, versions, as_json, tables.policy_versions)


@policy_app.command("seed")
def policy_seed(as_: OperatorOption = "", as_json: JsonOption = False) -> None:
    """Operator: publish the version-1 documents of domain.md where none exists."""
    from careerflow.cli import statements
    from careerflow.engine import Engine

    principal = _operator(as_)
    with Engine.open(load_settings()) as services:
        published = _run(lambda: services.policies.seed(principal))
    _stated(published, as_json, statements.seeded)
