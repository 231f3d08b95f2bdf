"""Versioned policy documents: publish, show, seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from careerflow.cli.common import (
    OperatorOption,
    TokenOption,
    _call,
    _echo_json,
    _fail,
    _operator,
    _run,
)
from careerflow.runtime import load_settings
from words.messages import Message

policy_app = typer.Typer(no_args_is_help=True, help="Versioned policy documents.")


@policy_app.command("publish")
def policy_publish(
    kind: str,
    key: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
) -> None:
    """Publish a new version of a policy document (JSON file)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        _fail(Message("{file}: not valid JSON: {error}", file=str(file), error=str(exc)))
    version = _call(token, lambda s, p: s.policies.publish(p, kind, key, document, note))
    typer.echo(f"{kind}/{key} version {version} is in force")


@policy_app.command("show")
def policy_show(
    kind: str,
    key: str,
    version: Annotated[int, typer.Option(help="A past version; default: current.")] = 0,
    token: TokenOption = "",
) -> None:
    """Print a policy document (anyone with a token, as in the API)."""
    found = _call(
        token,
        lambda s, p: (
            s.policies.version(kind, key, version) if version else s.policies.current(kind, key)
        ),
    )
    _echo_json(found.model_dump(mode="json"))


@policy_app.command("seed")
def policy_seed(as_: OperatorOption = "") -> None:
    """Operator: publish the version-1 documents of domain.md where none exists."""
    from careerflow.engine import Engine

    principal = _operator(as_)
    with Engine.open(load_settings()) as services:
        _echo_json(_run(lambda: services.policies.seed(principal)))
