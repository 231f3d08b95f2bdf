"""The read-model projections: follow the event store, or rebuild."""

from __future__ import annotations

from typing import Annotated

import typer

from careerflow.cli.common import OperatorOption, _logging, _operator, _run
from careerflow.runtime import load_settings

projections_app = typer.Typer(no_args_is_help=True, help="Read-model projections.")


@projections_app.command("run")
def projections_run() -> None:
    """Follow the event store and keep every read model up to date."""
    from careerflow.projection_service import run_projection_service

    _logging()
    run_projection_service(load_settings())


@projections_app.command("rebuild")
def projections_rebuild(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Projections to rebuild (e.g. cycles people); default: every one.",
            show_default=False,
        ),
    ] = None,
    as_: OperatorOption = "",
) -> None:
    """Operator: rebuild read models without downtime: built aside while the old ones
    keep serving (the runner may keep running), then switched in at once."""
    from careerflow.cli.common import _lang
    from careerflow.cli.progress import rated
    from careerflow.projection_service import rebuild_read_models
    from words.messages import Message

    principal = _operator(as_)
    with rated(Message("rebuilding the read models"), _lang()) as progress:
        result = _run(
            lambda: rebuild_read_models(load_settings(), principal, names or [], progress)
        )
    rate = result.events / result.seconds if result.seconds else 0.0
    typer.echo(
        f"read models rebuilt: {', '.join(result.projections)}; "
        f"{result.events:,} events in {result.seconds:.1f} s ({rate:,.0f} events/s)"
    )
