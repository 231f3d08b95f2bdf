"""What every command shares: who it acts as, the language it speaks, how it
says no, and how it prints."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aggregates.base import DomainError
from careerflow.cli.auth import ExitCode, exit_code
from careerflow.principal import Principal
from careerflow.runtime import load_settings
from words.messages import Message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from aggregates.calendar_periods import PeriodKind
    from careerflow.cli.tables import Speaker
    from careerflow.config import Settings
    from careerflow.engine import Engine


TokenOption = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="CAREERFLOW_TOKEN",
        show_envvar=True,
        help="Your API token (cf_...); default: the one `careerflow login` saved.",
    ),
]
# Only the local operator's stack commands (direct database access) say who they are.
OperatorOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Who is recorded as acting, as ROLE:ID; default: you at this shell, as the "
        "engine's own role (system). Local operator commands only.",
    ),
]


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the full result as JSON instead of text.")
]


_acting: Principal | None = None  # who the command acts as: its profile says the language
_zone: str | None = None  # the company's time zone, read by the command's call
_metrics: dict[str, dict[str, str]] = {}  # each metric's label by language, read with it
_people: dict[str, str] = {}  # the names of the people a statement names, by id


def _remember_zone(services: Engine) -> None:
    """Reads the company's time zone and metric labels while the services are open (for
    `_spoken`)."""
    from careerflow.cli.tables import company_words

    global _zone, _metrics
    _zone, _metrics = company_words(services)


def _remember_people(services: Engine, person_ids: list[str]) -> None:
    """Reads the names of the people the command's statement names (the employee
    directory's), for `Speaker.person`; after the command was allowed, so the caller
    may see them."""
    from projections.people import employee_name

    with services.read_pool.connection() as conn:
        for person_id in person_ids:
            name = employee_name(conn, person_id)
            if name:
                _people[person_id] = name


def _authenticated(services: Engine, token: str) -> Principal:
    """The token's principal, checked like the API's bearer tokens."""
    from careerflow.cli import auth as cli_auth

    global _acting
    _acting = _run(lambda: cli_auth.authenticate(services, token))
    return _acting


def _operator(text: str) -> Principal:
    """A stack command's principal: --as ROLE:ID, else the local operator."""
    from careerflow.cli.auth import local_operator

    global _acting
    if not text:
        return local_operator()
    try:
        _acting = Principal.parse(text)
    except ValueError as exc:
        _fail(_said(exc), ExitCode.USAGE)
        raise  # unreachable; for type checkers
    return _acting


def _lang() -> str:
    """The language of the CLI's messages, chosen per person: CAREERFLOW_LANG (the
    switch), then the acting person's profile locale, then the terminal's locale (LC_ALL,
    LC_MESSAGES, LANG), then Chinese."""
    from careerflow.api import i18n

    lang = i18n.normalise(os.environ.get("CAREERFLOW_LANG"))
    if lang is None and _acting is not None:
        lang = i18n.normalise(_profile_locale(_acting.person_id))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        lang = lang or i18n.normalise(os.environ.get(name))
    return lang or i18n.DEFAULT_LANG


def _profile_locale(person_id: str) -> str | None:
    """The person's profile locale from the read model of the engine the CLI talks to;
    None when there is none or the database can't be reached (an error is still said)."""
    import psycopg

    from projections.people import profile_locale

    pg = load_settings().postgres
    if pg is None:
        return None
    try:
        with psycopg.connect(pg.conninfo(), connect_timeout=3, autocommit=True) as conn:
            return profile_locale(conn, person_id)
    except psycopg.Error:
        return None


def _said(exc: BaseException) -> Message:
    """An error's message: the engine's own (translatable), or the text of another."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, Message) else Message.verbatim(str(exc))


def _fail(message: Message, code: int = ExitCode.INVALID) -> None:
    from careerflow.api import i18n

    typer.echo(f"error: {i18n.say(message, _lang())}", err=True)
    raise typer.Exit(code)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _moment(text: str) -> Any:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail(
            Message(
                "{text!r} is not a moment; use ISO 8601 with a zone, e.g. 2026-11-01T00:00:00Z",
                text=text,
            )
        )
        raise
    if moment.tzinfo is None:
        _fail(
            Message("{text!r} has no time zone; add one, e.g. 2026-11-01T08:00:00+08:00", text=text)
        )
    return moment


def _items(values: list[str], option: str) -> dict[str, float]:
    """`["customer_visits=10", ...]` → {"customer_visits": 10.0, ...}; which items a plan
    needs and which numbers are sane is the cycle's own check."""
    items: dict[str, float] = {}
    for raw in values:
        name, sep, number = raw.partition("=")
        name = name.strip()
        try:
            if not sep or not name:
                raise ValueError
            value = float(number.strip())
        except ValueError:
            _fail(
                Message(
                    "{option} {raw!r} is not NAME=NUMBER (e.g. {option} customer_visits=10)",
                    option=option,
                    raw=raw,
                )
            )
        if name in items:
            _fail(Message("{option} {name} is given twice", option=option, name=name))
        items[name] = value
    return items


def _period_arg(value: str, kind: PeriodKind, example: str) -> str:
    """The API's parse of a period (aggregates.documents.period_problem), said here."""
    from aggregates.calendar_periods import period_problem

    problem = period_problem(value, kind, example)
    if problem is not None:
        _fail(problem)
    return value


def _output(result: Any, as_json: bool, text: Callable[[Any], list[str]]) -> None:
    if as_json:
        _echo_json(_plain(result))
    else:
        typer.echo("\n".join(text(result)))


def _spoken(result: Any, as_json: bool, text: Callable[[Speaker, Any], list[str]]) -> None:
    """As `_output`, the lines said by a Speaker (careerflow.cli.tables): in the CLI's
    language, times in the company's time zone (read while the command ran)."""
    from careerflow.cli.tables import Speaker

    if as_json:
        _echo_json(_plain(result))
        return
    say = Speaker(_lang(), _zone or "UTC", _metrics, _people)
    typer.echo("\n".join(text(say, result)))


def _stated(result: Any, as_json: bool, text: Callable[[Speaker, Any], list[str]]) -> None:
    """As `_spoken`, the lines said from the result as plain data (what --json prints)."""
    _spoken(_plain(result), as_json, text)


def _act(
    token: str,
    call: Callable[[Engine, Principal], Any],
    as_json: bool,
    text: Callable[[Speaker, Any], list[str]],
) -> None:
    """Runs `call` as the token's principal on freshly opened services; says the result
    (`text` of its plain data), or prints it as JSON with --json."""
    _stated(_call(token, call), as_json, text)


def _call(token: str, call: Callable[[Engine, Principal], Any]) -> Any:
    """Runs `call` as the token's principal on freshly opened services; returns the result."""
    from careerflow.engine import Engine

    with Engine.open(load_settings()) as services:
        principal = _authenticated(services, token)
        result = _run(lambda: call(services, principal))
        _remember_zone(services)
        return result


def _view(
    token: str,
    call: Callable[[Engine, Principal], Any],
    as_json: bool,
    draw: Callable[[Any, Any], list[Any]],
) -> None:
    """Runs `call` as the token's principal; prints its result as tables in the CLI's
    language (times in the company's zone), or as JSON with --json."""
    from careerflow.cli import tables
    from careerflow.engine import Engine

    with Engine.open(load_settings()) as services:
        principal = _authenticated(services, token)
        result = _run(lambda: call(services, principal))
        if as_json:
            _echo_json(_plain(result))
        else:
            tables.render(_plain(result), services, _lang(), draw)


def _act_on_temporal(
    token: str,
    call: Callable[[Engine, Client, Settings, Principal], Awaitable[Any]],
    as_json: bool,
    text: Callable[[Speaker, Any], list[str]],
) -> None:
    """As `_act`, for commands that start or steer workflows."""
    _stated(_call_on_temporal(token, call), as_json, text)


def _call_on_temporal(
    token: str, call: Callable[[Engine, Client, Settings, Principal], Awaitable[Any]]
) -> Any:
    """As `_call`, for commands that start or steer workflows; the token is checked
    before Temporal is reached, so a refused caller starts nothing."""
    import asyncio

    from careerflow.engine import Engine, connect

    settings = load_settings()

    async def go(services: Engine, principal: Principal) -> Any:
        client = await connect(settings)
        return await call(services, client, settings, principal)

    with Engine.open(settings) as services:
        principal = _authenticated(services, token)
        result = _run(lambda: asyncio.run(go(services, principal)))
        _remember_zone(services)
        return result


def _plain(result: Any) -> Any:
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json")
    if isinstance(result, list | tuple):
        return [_plain(x) for x in result]
    if isinstance(result, dict):
        return {k: _plain(v) for k, v in result.items()}
    return result


def _run(fn: Any) -> Any:
    """Runs `fn`; a refusal is said and exits with the code of its kind."""
    try:
        return fn()
    except DomainError as exc:
        _fail(exc.message, exit_code(exc))


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def unreachable(exc: BaseException) -> bool:
    """Whether `exc` says there is no stack to talk to: no database configured (no
    var/stack.json, no POSTGRES_HOST), or the database or Temporal not answering."""
    import psycopg

    if isinstance(exc, psycopg.OperationalError | ConnectionError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        text.startswith("No PostgreSQL configured") or text.startswith("Failed client connect")
    )


def stack_unreachable() -> None:
    """One line in the CLI's language, no traceback, and its own exit code."""
    from careerflow.api import i18n

    message = Message(
        "no careerflow stack to talk to: start one with `python3 run.py start` (or set "
        "POSTGRES_HOST and TEMPORAL_ADDRESS to a running one)"
    )
    typer.echo(f"error: {i18n.say(message, _lang())}", err=True)
    raise SystemExit(ExitCode.UNAVAILABLE)
