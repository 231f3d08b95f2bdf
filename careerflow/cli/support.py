"""Support requests: raise, acknowledge, answer, SLA compliance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli.common import JsonOption, TokenOption, _call, _call_on_temporal, _spoken
from careerflow.cli.text import _num, _said_table, _share, _when
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.cli.tables import Speaker
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


def _support_text(say: Speaker, info: Any, title: Message) -> list[str]:
    out = [
        say.say(
            Message(
                "{title}: {request} ({category}) · {status}",
                title=title,
                request=info.request_id,
                category=say.cell(info.category_label, "label"),
                status=say.cell(info.status, "term"),
            )
        ),
        say.say(
            Message(
                "team {team} ({people}) · response SLA {minutes} min, due {due}",
                team=say.cell(info.team_label, "label") or info.team,
                people=", ".join(info.team_people()),
                minutes=info.response_minutes_allowed,
                due=_when(say, info.due_at),
            )
        ),
    ]
    if info.acknowledged_by:
        out.append(
            say.say(
                Message(
                    "acknowledged by {by} after {minutes} min: SLA {met}",
                    by=info.acknowledged_by,
                    minutes=_num(info.response_minutes),
                    met=Message("met") if info.sla_met else Message("missed"),
                )
            )
        )
    if info.answer:
        out.append(
            say.say(Message("answer ({by}): {text}", by=info.answered_by or "-", text=info.answer))
        )
    return out


def _support_rows(say: Speaker, rows: list[Any], who: bool) -> list[str]:
    def sla(r: Any) -> str:
        if r.clock.breached:
            return say.say(Message("BREACHED"))
        return say.say(Message("met")) if r.clock.sla_met else "-"

    table = [
        [
            r.request_id,
            *([r.employee_id] if who else []),
            say.cell(r.category_label, "label") or r.category,
            say.cell(r.status, "term"),
            _when(say, r.clock.raised_at),
            _when(say, r.clock.due_at),
            _num(r.clock.waited_minutes),
            "-" if r.clock.minutes_left is None else _num(r.clock.minutes_left),
            sla(r),
        ]
        for r in rows
    ]
    headers = [Message("request"), *([Message("rep")] if who else [])]
    headers += [Message("category"), Message("status"), Message("raised at"), Message("due")]
    headers += [Message("waited min"), Message("min left"), Message("SLA")]
    return _said_table(say, headers, table)


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
    _spoken(info, as_json, lambda say, i: _support_text(say, i, Message("raised")))


@support_app.command("ack")
def support_ack(request_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A support-team member takes a request (response time and SLA are recorded)."""
    info = _support_call(token, lambda f, p: f.acknowledge(p, request_id))
    _spoken(info, as_json, lambda say, i: _support_text(say, i, Message("acknowledged")))


@support_app.command("answer")
def support_answer(
    request_id: str, text: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """The team's answer to the rep (after acknowledging; again after a reopen)."""
    info = _support_call(token, lambda f, p: f.answer(p, request_id, text))
    _spoken(info, as_json, lambda say, i: _support_text(say, i, Message("answered")))


@support_app.command("confirm")
def support_confirm(request_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The rep confirms the answer resolved the request."""
    info = _support_call(token, lambda f, p: f.confirm(p, request_id))
    _spoken(info, as_json, lambda say, i: _support_text(say, i, Message("confirmed")))


@support_app.command("reopen")
def support_reopen(
    request_id: str,
    reason: Annotated[str, typer.Option(help="What the answer left open.")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """The rep says the answer did not resolve it; the team answers again."""
    info = _support_call(token, lambda f, p: f.reopen(p, request_id, reason))
    _spoken(info, as_json, lambda say, i: _support_text(say, i, Message("reopened")))


@support_app.command("mine")
def support_mine(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A rep's requests with their clocks: time waited, SLA due, minutes left, breached."""
    from projections.paging import whole

    mine = _call(token, lambda s, p: whole(lambda page: s.support_queries.mine_paged(p, page)))
    _spoken(
        mine,
        as_json,
        lambda say, m: [
            say.say(
                Message(
                    "{employee_id}: {count} requests, {open} open, {breached} breached",
                    employee_id=m.employee_id,
                    count=m.total,
                    open=m.open,
                    breached=m.breached,
                )
            ),
            *_support_rows(say, m.items, who=False),
        ],
    )


@support_app.command("queue")
def support_queue(team: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A team's open requests, oldest first, with their SLA clocks."""
    from projections.paging import whole

    queue = _call(
        token, lambda s, p: whole(lambda page: s.support_queries.queue_paged(p, team, page))
    )
    _spoken(
        queue,
        as_json,
        lambda say, q: [
            say.say(
                Message(
                    "{team}: {waiting} waiting, {breached} breached",
                    team=say.cell(q.team_label, "label") or q.team,
                    waiting=q.waiting,
                    breached=q.breached,
                )
            ),
            *_support_rows(say, q.items, who=True),
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

    def lines(say: Speaker, c: Any) -> list[str]:
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
        headers = [Message("week"), Message("team"), Message("requests"), Message("met")]
        headers += [Message("breached"), Message("pending"), Message("met %")]
        headers += [Message("median min")]
        if not rows:
            return [say.say(Message("no support requests"))]
        return _said_table(say, headers, rows)

    _spoken(report, as_json, lines)
