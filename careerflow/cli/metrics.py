"""Metric exports into the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from careerflow.cli import statements
from careerflow.cli.common import JsonOption, TokenOption, _call, _lang, _stated
from words.messages import Message

app = typer.Typer()  # its commands join the root's, unnamed


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    batch: Annotated[str, typer.Option(help="Batch id; default: the file's hash.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Ingest a metric export (CSV in UTF-8 or GBK, XLSX, or JSON lines): all rows or none."""
    from careerflow.api import i18n
    from careerflow.applications.files import detect_format
    from careerflow.cli.progress import rated

    what, people = Message("ingesting {file}", file=file.name), i18n.say(Message("people"), _lang())
    with rated(what, _lang(), people) as progress:
        result = _call(
            token,
            lambda s, p: s.ingest.ingest(
                p,
                file.read_bytes(),
                detect_format(file.name),
                s.catalog(),
                source_name=str(file),
                batch_id=batch or None,
                progress=progress,
            ),
        )
    _stated(result, as_json, statements.ingested)
