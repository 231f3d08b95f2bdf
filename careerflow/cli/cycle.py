"""The weekly performance cycle: plans, feedback, pay, schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from careerflow.cli.common import (
    JsonOption,
    TokenOption,
    _call,
    _call_on_temporal,
    _echo_json,
    _items,
    _lang,
    _period_arg,
    _plain,
    _spoken,
)
from careerflow.cli.text import (
    _board_text,
    _completion_text,
    _feedback_text,
    _goals_text,
    _launched_text,
    _plan_text,
    _rep_week_text,
    _schedules_text,
    _statement_text,
)
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine
    from careerflow.services.cycle_process import CycleProcessService


cycle_app = typer.Typer(
    no_args_is_help=True, help="The weekly performance cycle: plans, feedback, pay, schedules."
)


ItemsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--item",
        metavar="NAME=NUMBER",
        help="A plan item, e.g. --item customer_visits=10 (repeat for every item).",
    ),
]
NextOption = Annotated[
    list[str] | None,
    typer.Option(
        "--next",
        metavar="NAME=NUMBER",
        help="Next week's agreed plan, one item each, e.g. --next customer_visits=12.",
    ),
]


def _cycle_call(
    token: str, call: Callable[[CycleProcessService, Principal], Awaitable[Any]]
) -> Any:
    """Runs `call` on the cycle process service (the workflows on Temporal)."""

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        flow = services.cycle_process(client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(token, go)


@cycle_app.command("plan")
def cycle_plan(
    employee_id: str,
    week: str,
    token: TokenOption = "",
    item: ItemsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The rep submits (or revises) the week's plan before Monday's deadline."""
    _period_arg(week, "week", "2026-W48")
    items = _items(item or [], "--item")
    info = _cycle_call(token, lambda f, p: f.submit_plan(p, employee_id, week, items))
    _spoken(info, as_json, lambda say, i: _plan_text(say, i, Message("plan recorded")))


@cycle_app.command("feedback")
def cycle_feedback(
    employee_id: str,
    week: str,
    text: str,
    token: TokenOption = "",
    next_: NextOption = None,
    as_json: JsonOption = False,
) -> None:
    """The manager's feedback on a reported week, optionally agreeing next week's plan."""
    _period_arg(week, "week", "2026-W48")
    next_plan = _items(next_, "--next") if next_ else None
    info = _cycle_call(token, lambda f, p: f.give_feedback(p, employee_id, week, text, next_plan))
    _spoken(info, as_json, lambda say, i: _feedback_text(say, i, next_plan))


@cycle_app.command("show")
def cycle_show(
    employee_id: str, week: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A rep's week: plan vs actual, expected pay, rank in the team, feedback."""
    week_view = _call(token, lambda s, p: s.cycle_queries.rep_week(p, employee_id, week))
    _spoken(week_view, as_json, _rep_week_text)


@cycle_app.command("board")
def cycle_board(
    manager_id: str, week: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team board for a week: who planned, who lags, feedback."""
    board = _call(token, lambda s, p: s.cycle_queries.team_board(p, manager_id, week))
    _spoken(board, as_json, _board_text)


@cycle_app.command("completion")
def cycle_completion(week: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: plans, reports and feedback per team for a week."""
    rates = _call(token, lambda s, p: s.cycle_queries.completion_rates(p, week))
    _spoken(rates, as_json, _completion_text)


@cycle_app.command("statement")
def cycle_statement(
    employee_id: str, month: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A closed month's bonus and commission with their derivation, and training."""
    statement = _call(token, lambda s, p: s.cycle_queries.bonus_statement(p, employee_id, month))
    _spoken(statement, as_json, _statement_text)


@cycle_app.command("goals")
def cycle_goals(year: int, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The goal cascade for a year: company, team and individual targets."""
    overview = _call(token, lambda s, p: s.goal_queries.cascade(p, year))
    _spoken(overview, as_json, _goals_text)


@cycle_app.command("launch")
def cycle_launch(
    token: TokenOption = "",
    month: Annotated[
        bool, typer.Option("--month", help="Close a month instead of starting a week.")
    ] = False,
    period: Annotated[
        str,
        typer.Option(
            help="The week (YYYY-Www) or month (YYYY-MM); default: the current week / "
            "the previous month."
        ),
    ] = "",
    as_json: JsonOption = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List who would get a cycle (the launch's roster); change nothing."
        ),
    ] = False,
) -> None:
    """HR: start the week's cycles (or a month close) for every rep now."""
    kind: Literal["month", "week"] = "month" if month else "week"
    if period:
        _period_arg(period, kind, "2026-11" if month else "2026-W48")
    if dry_run:
        _launch_preview(token, kind, period, as_json)
        return
    from careerflow.cli.progress import live, rated

    with rated(Message("launching cycles"), _lang(), _said_reps()) as progress:
        workflow_id = _cycle_call(
            token, lambda f, p: _launching(f, p, kind, period, progress if live() else None)
        )
    result = {"workflow_id": workflow_id, "kind": kind, "period": period or None}
    _spoken(result, as_json, lambda say, r: _launched_text(say, kind, period, r["workflow_id"]))


def _said_reps() -> str:
    from careerflow.api import i18n

    return i18n.say(Message("reps"), _lang())


async def _launching(
    flow: CycleProcessService,
    principal: Principal,
    kind: str,
    period: str,
    progress: Callable[[int, int], None] | None,
) -> str:
    """Starts the launch; with `progress` (on a terminal), follows it until it is done:
    the reps it has started a cycle for (or skipped) of those the roster names."""
    import asyncio

    if progress is None:
        return await flow.launch(principal, kind, period or None)
    roster = flow.would_launch(principal, kind, period or None)
    workflow_id = await flow.launch(principal, kind, period or None)
    total, done, still = len(roster.employee_ids), -1, 0
    while still < 120:  # a minute without a step: left to run on, no longer followed
        status = await flow.launch_status(principal, kind, roster.period)
        if status.state != "running":
            break
        now = status.started + status.skipped
        still = still + 1 if now == done else 0
        done = now
        progress(done, total)
        await asyncio.sleep(0.5)
    return workflow_id


def _launch_preview(token: str, kind: str, period: str, as_json: bool) -> None:
    from aggregates.cycle_launch import already_launched
    from careerflow.cli import tables
    from careerflow.cli.common import _zone
    from careerflow.services.cycle_process import launch_preview

    found = _call(
        token, lambda s, p: launch_preview(s.store.cycles, p, kind, period or None, s.cycle_queries)
    )
    if as_json:
        _echo_json(_plain(found))
        return
    say = tables.Speaker(_lang(), _zone or "UTC")
    rows = [{"employee_id": e} for e in found.employee_ids]
    tables.print_tables(
        [
            say.table([tables.EMPLOYEE], rows),
            say.say(
                Message(
                    "dry run: {count} would get a cycle for {period}; nothing was started",
                    count=len(found.employee_ids),
                    period=found.period,
                )
            ),
            *([say.say(already_launched(found.period))] if found.launched else []),
        ]
    )


@cycle_app.command("schedules")
def cycle_schedules(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: create or update the weekly and month-close schedules; prints their next runs.

    Run again after publishing a new weekly_cycle document to move them."""
    states = _cycle_call(token, lambda f, p: f.ensure_schedules(p))
    _spoken(states, as_json, _schedules_text)
