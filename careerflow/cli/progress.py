"""Progress on standard error while a long command works (rich.progress).

Shown only on a terminal: a pipe, a log or CI (CI=true) gets plain lines or nothing, so
standard output stays the result and nothing redraws into a file."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from words.messages import Message


def live() -> bool:
    """Whether to draw: standard error is a terminal, and not CI."""
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return sys.stderr.isatty() and not ci


def _bar(lang: str) -> Any:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from careerflow.cli.tables import console

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}"),
        TimeElapsedColumn(),
        console=console(err=True),
        transient=True,
    )


@contextmanager
def counting(
    what: Message, lang: str, plain: Callable[[str, int], None] | None = None
) -> Iterator[Callable[[str, int], None]]:
    """A callback `(part, count)` that moves one bar per part (e.g. per application of
    the event store); off a terminal it calls `plain` (a line per report) instead."""
    if not live():
        yield plain or (lambda part, count: None)
        return
    from careerflow.api import i18n

    with _bar(lang) as bar:
        tasks: dict[str, Any] = {}

        def report(part: str, count: int) -> None:
            if part not in tasks:
                tasks[part] = bar.add_task(f"{i18n.say(what, lang)}: {part}", total=None)
            bar.update(tasks[part], completed=count)

        yield report


@contextmanager
def rated(what: Message, lang: str, unit: str = "events") -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` drawing one bar with the rate (`unit`/s) and the time
    left at that rate; nothing off a terminal."""
    if not live():
        yield lambda done, total: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from careerflow.api import i18n
    from careerflow.cli.tables import console

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} {unit}/s" if speed else f"– {unit}/s")

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console(err=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(i18n.say(what, lang), total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        yield report
