"""Running the engine: the whole stack, a worker, the API."""

from __future__ import annotations

from typing import Annotated

import typer

from careerflow.cli.common import _logging
from careerflow.runtime import load_settings

app = typer.Typer()  # its commands join the root's, unnamed


@app.command()
def start(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Don't load the demo org.")] = False,
) -> None:
    """Start the engine on its embedded default (PostgreSQL, Temporal, worker, projections)."""
    from careerflow.config import Settings
    from careerflow.stack import run_stack

    # Only the environment: a stale var/stack.json from a killed run must not make the
    # embedded PostgreSQL look external.
    settings = Settings.from_env()
    raise typer.Exit(run_stack(settings, load_demo=settings.load_demo and not no_demo))


@app.command()
def worker() -> None:
    """Run a Temporal worker (any number may run)."""
    import asyncio

    import worker as worker_module

    _logging()
    asyncio.run(worker_module.main(load_settings()))


@app.command()
def api() -> None:
    """Serve the HTTP API and dashboards (CAREERFLOW_API_HOST, CAREERFLOW_API_PORT)."""
    from careerflow.api.server import serve

    _logging()
    serve(load_settings())
