"""The demo organisation: load it, or export its metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from careerflow.cli import statements
from careerflow.cli.common import JsonOption, _run, _stated
from careerflow.runtime import load_settings

demo_app = typer.Typer(no_args_is_help=True, help="The demo organisation.")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Skip if data exists.")] = False,
    reps: Annotated[int, typer.Option(help="Sales reps (without managers).")] = 0,
    teams: Annotated[int, typer.Option(help="Teams.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Load the deterministic demo organisation and 12 months of metrics."""
    from careerflow.demo_loader import load_demo

    settings = load_settings()
    summary = _run(
        lambda: load_demo(
            settings,
            reps=reps or settings.demo_size,
            teams=teams or settings.demo_teams,
            if_empty=if_empty,
        )
    )
    _stated(summary, as_json, statements.demo_loaded)


@demo_app.command("export")
def demo_export(
    out: Annotated[Path, typer.Argument(dir_okay=False)],
    reps: int = 500,
    teams: int = 50,
) -> None:
    """Write the demo metrics as a CSV export (to try `careerflow ingest`)."""
    from careerflow.demo import generate, write_csv

    org = generate(reps=reps, teams=teams)
    write_csv(org.measurements, out)
    from careerflow.api import i18n
    from careerflow.cli.common import _lang
    from words.messages import Message

    wrote = Message("wrote {rows} rows to {out}", rows=len(org.measurements), out=str(out))
    typer.echo(i18n.say(wrote, _lang()))
