"""Support requests: raise, acknowledge, answer, SLA compliance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli.common import JsonOption, TokenOption, _call, _call_on_temporal, _output
from careerflow.cli.text import _num, _share, _table, _when
from careerflow.principal import Principal

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine


support_app = typer.Typer(
    no_args_is_help=True, help="Support requests: raise, acknowledge, answer, SLA compliance."
)


def _support_call(token: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the support process service (the request workflows on Temporal)."""

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        flow = services.support_process(client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(token, go)


def _support_text(info: Any, title: str) -> list[str]:
    out = [
        f"{title}: {info.request_id} ({info.category_label['en']}) · {info.status}",
        f"team {info.team} ({', '.join(info.team_people())}) · response SLA "
        f"{info.response_minutes_allowed} min, due {info.due_label}",
    ]
    if info.acknowledged_by:
        met = "met" if info.sla_met else "missed"
        out.append(
            f"acknowledged by {info.acknowledged_by} after {_num(info.response_minutes)} "
            f"min: SLA {met}"
        )
    if info.answer:
        out.append(f"answer ({info.answered_by}): {info.answer}")
    return out


def _support_rows(rows: list[Any], who: bool) -> list[str]:
    table = [
        [
            r.request_id,
            *([r.employee_id] if who else []),
            r.category,
            r.status,
            _when(r.clock.raised_at),
            r.clock.due_label,
            _num(r.clock.waited_minutes),
            "-" if r.clock.minutes_left is None else _num(r.clock.minutes_left),
            "BREACHED" if r.clock.breached else ("met" if r.clock.sla_met else "-"),
        ]
        for r in rows
    ]
    headers = ["request", *(["rep"] if who else []), "category", "status", "raised"]
    return _table([*headers, "due", "waited min", "min left", "SLA"], table)


@support_app.command("raise")
def support_raise(
    category: Annotated[str, typer.Argument(help="product, after_sales, finance, ...")],
    text: str,
    token: TokenOption = "",
    customer: Annotated[str, typer.Option(help="The customer it is about.")] = "",
    request_id: Annotated[
        str, typer.Option("--id", help="A client key: raising again returns the same request.")
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """A rep asks the responsible team for help; prints the team and the SLA due time."""
    info = _support_call(
        token,
        lambda f, p: f.raise_request(p, category, text, customer or None, request_id or None),
    )
    _output(info, as_json, lambda i: _support_text(i, "raised"))


@support_app.command("ack")
def support_ack(request_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A support-team member takes a request (response time and SLA are recorded)."""
    info = _support_call(token, lambda f, p: f.acknowledge(p, request_id))
    _output(info, as_json, lambda i: _support_text(i, "acknowledged"))


@support_app.command("answer")
def support_answer(
    request_id: str, text: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """The team's answer to the rep (after acknowledging; again after a reopen)."""
    info = _support_call(token, lambda f, p: f.answer(p, request_id, text))
    _output(info, as_json, lambda i: _support_text(i, "answered"))


@support_app.command("confirm")
def support_confirm(request_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The rep confirms the answer resolved the request."""
    info = _support_call(token, lambda f, p: f.confirm(p, request_id))
    _output(info, as_json, lambda i: _support_text(i, "confirmed"))


@support_app.command("reopen")
def support_reopen(
    request_id: str,
    reason: Annotated[str, typer.Option(help="What the answer left open.")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """The rep says the answer did not resolve it; the team answers again."""
    info = _support_call(token, lambda f, p: f.reopen(p, request_id, reason))
    _output(info, as_json, lambda i: _support_text(i, "reopened"))


@support_app.command("mine")
def support_mine(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A rep's requests with their clocks: time waited, SLA due, minutes left, breached."""
    mine = _call(token, lambda s, p: s.support_queries.mine(p))
    _output(
        mine,
        as_json,
        lambda m: [
            f"{m.employee_id}: {len(m.requests)} requests, {m.open} open, {m.breached} breached",
            *_support_rows(m.requests, who=False),
        ],
    )


@support_app.command("queue")
def support_queue(team: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A team's open requests, oldest first, with their SLA clocks."""
    queue = _call(token, lambda s, p: s.support_queries.queue(p, team))
    _output(
        queue,
        as_json,
        lambda q: [
            f"{q.team_label.get('en', q.team)}: {q.waiting} waiting, {q.breached} breached",
            *_support_rows(q.requests, who=True),
        ],
    )


@support_app.command("compliance")
def support_compliance(
    token: TokenOption = "",
    since: Annotated[str, typer.Option(help="From this ISO week (YYYY-Www).")] = "",
    until: Annotated[str, typer.Option(help="Up to this ISO week (YYYY-Www).")] = "",
    team: Annotated[str, typer.Option(help="Only this team.")] = "",
    as_json: JsonOption = False,
) -> None:
    """SLA compliance per team and week: requests, met, breached, median response."""
    report = _call(
        token,
        lambda s, p: s.support_queries.compliance(p, since or None, until or None, team or None),
    )

    def lines(c: Any) -> list[str]:
        rows = [
            [
                w.week,
                w.team,
                str(w.count),
                str(w.met),
                str(w.breached),
                str(w.pending),
                _share(w.met_share),
                _num(w.median_response_minutes),
            ]
            for w in c.weeks
        ]
        headers = ["week", "team", "requests", "met", "breached", "pending", "met %"]
        return _table([*headers, "median min"], rows) if rows else ["no support requests"]

    _output(report, as_json, lines)
