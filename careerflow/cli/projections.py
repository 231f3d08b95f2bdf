"""The read-model projections: follow the event store, or rebuild."""

from __future__ import annotations

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
    as_: OperatorOption = "",
) -> None:
    """Operator: rebuild every read model from zero (waits until it has caught up)."""
    from careerflow.cli.common import _lang
    from careerflow.cli.progress import working
    from careerflow.projection_service import rebuild_read_models
    from words.messages import Message

    principal = _operator(as_)
    with working(Message("rebuilding the read models"), _lang()):
        _run(lambda: rebuild_read_models(load_settings(), principal))
    typer.echo("read models rebuilt")
