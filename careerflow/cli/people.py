"""A person's readiness and profile language."""

from __future__ import annotations

from typing import Annotated

import typer

from careerflow.cli import statements, tables
from careerflow.cli.common import JsonOption, TokenOption, _act, _view

app = typer.Typer()  # its commands join the root's, unnamed


@app.command()
def readiness(
    employee_id: str,
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Potential score and distance to the next role, from the read model."""
    _view(
        token,
        lambda services, principal: services.queries.readiness(principal, employee_id),
        as_json,
        tables.readiness,
    )


@app.command()
def language(
    language: Annotated[str, typer.Argument(help="zh (Simplified Chinese) or en (English)")],
    employee: Annotated[
        str, typer.Option("--employee", help="Whose profile (HR); default: your own.")
    ] = "",
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Set a profile's language: notifications, and the pages, the API and these commands
    unless switched (CAREERFLOW_LANG), follow it. People set their own, HR anyone's."""
    _act(
        token,
        lambda services, principal: services.people.set_language(
            principal, employee or principal.person_id, language
        ),
        as_json,
        statements.language_set,
    )
