"""The company's working-day calendar."""

from __future__ import annotations

import typer

from careerflow.cli.auth import ExitCode
from careerflow.cli.common import JsonOption, TokenOption, _call, _lang, _output

calendar_app = typer.Typer(no_args_is_help=True, help="The company's working-day calendar.")


@calendar_app.command("check")
def calendar_check(year: int, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR, auditors: is YEAR's working-day calendar known (exit 0) or would it be
    guessed (exit 1)? Says from what, and the extra days published for it."""
    from careerflow.api import i18n
    from careerflow.services.calendar import CalendarService

    found = _call(token, lambda s, p: CalendarService(s.policies).check(p, year))
    lang = _lang()
    _output(found, as_json, lambda c: [i18n.say(line, lang) for line in c.lines()])
    if not found.covered:
        raise typer.Exit(ExitCode.CHECK_FAILED)
