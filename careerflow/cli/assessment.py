"""360° competency assessments: rounds, ratings, profiles, gaps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli.common import (
    JsonOption,
    TokenOption,
    _call,
    _call_on_temporal,
    _fail,
    _items,
    _output,
)
from careerflow.cli.text import _num, _table, _when
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine


assessment_app = typer.Typer(
    no_args_is_help=True, help="360° competency assessments: rounds, ratings, profiles, gaps."
)


def _assessment_call(token: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the assessment process service (the round workflows on Temporal)."""

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        flow = services.assessment_process(client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(token, go)


@assessment_app.command("start")
def assessment_start(
    round_id: str,
    deadline: Annotated[
        str, typer.Option(help="ISO 8601 with its zone, e.g. 2026-12-15T18:00+08:00")
    ],
    token: TokenOption = "",
    employee: Annotated[
        list[str] | None, typer.Option("--employee", help="A person assessed (repeat).")
    ] = None,
    team: Annotated[str, typer.Option(help="Assess the team's active members.")] = "",
    title: Annotated[str, typer.Option(help="Shown to raters.")] = "",
    named: Annotated[
        list[str] | None,
        typer.Option("--named", help="peers or reports: rate with names (default: anonymous)."),
    ] = None,
    model: Annotated[str, typer.Option(help="The competency_model key.")] = "default",
    as_json: JsonOption = False,
) -> None:
    """HR: start a round; raters (self, manager, peers, reports) are told whom to rate."""
    from datetime import datetime

    from activities.assessments import ANONYMOUS_DEFAULT, RoundRequest

    try:
        when = datetime.fromisoformat(deadline)
    except ValueError:
        _fail(
            Message(
                "--deadline {deadline!r} is not ISO 8601 (e.g. 2026-12-15T18:00+08:00)",
                deadline=deadline,
            )
        )
        raise
    if when.tzinfo is None:
        _fail(Message("give the deadline with its time zone, e.g. 2026-12-15T18:00+08:00"))
    unknown = sorted(set(named or []) - {"peers", "reports"})
    if unknown:
        _fail(Message("--named takes peers or reports, not {unknown}", unknown=", ".join(unknown)))
    request = RoundRequest(
        round_id=round_id,
        title=title,
        employee_ids=employee or [],
        team_id=team or None,
        deadline=when,
        anonymous=[g for g in ANONYMOUS_DEFAULT if g not in (named or [])],
        model_key=model,
    )
    started = _assessment_call(token, lambda f, p: f.start_round(p, request))
    _output(
        started,
        as_json,
        lambda r: [
            f"round {r.round_id} started for {r.ratees} people: workflow {r.workflow_id}, "
            f"deadline {_when(r.deadline)}"
        ],
    )


@assessment_app.command("rate")
def assessment_rate(
    round_id: str,
    employee_id: str,
    token: TokenOption = "",
    level: Annotated[
        list[str] | None,
        typer.Option("--level", metavar="COMPETENCY=LEVEL", help="e.g. customer_insight=4."),
    ] = None,
    comment: Annotated[
        list[str] | None,
        typer.Option("--comment", metavar="COMPETENCY=TEXT", help="An optional comment."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """A rater rates a person on every competency (final once taken)."""
    from aggregates.competency import RatingItem

    levels = _items(level or [], "--level")
    notes: dict[str, str] = {}
    for raw in comment or []:
        name, sep, text = raw.partition("=")
        if not sep or not name.strip():
            _fail(Message("--comment {raw!r} is not COMPETENCY=TEXT", raw=raw))
        notes[name.strip()] = text
    stray = sorted(set(notes) - set(levels))
    if stray:
        _fail(Message("--comment for {stray} without a --level", stray=", ".join(stray)))
    if any(v != int(v) for v in levels.values()):
        _fail(Message("levels are whole numbers on the scale (e.g. --level customer_insight=4)"))
    ratings = {k: RatingItem(level=int(v), comment=notes.get(k)) for k, v in levels.items()}
    receipt = _assessment_call(token, lambda f, p: f.rate(p, round_id, employee_id, ratings))
    _output(
        receipt,
        as_json,
        lambda r: [
            f"rating of {r.ratee_id} taken ({r.group}{', anonymous' if r.anonymous else ''}"
            f"{', late' if r.late else ''}); {r.remaining} still to rate in round {r.round_id}"
        ],
    )


@assessment_app.command("tasks")
def assessment_tasks(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The ratings you are asked to give, and which are done."""
    tasks = _call(token, lambda s, p: s.assessment_queries.my_tasks(p))
    _output(
        tasks,
        as_json,
        lambda t: [
            f"{t.open} rating(s) to give",
            *_table(
                ["round", "person", "as", "done", "deadline"],
                [
                    [x.round_id, x.ratee_id, x.group, "yes" if x.rated else "no", _when(x.deadline)]
                    for x in t.tasks
                ],
            ),
        ],
    )


@assessment_app.command("rounds")
def assessment_rounds(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: every round with its status and counts."""
    from projections.paging import every

    found = _call(
        token, lambda s, p: every(lambda page: s.assessment_queries.rounds_paged(p, page))
    )
    _output(
        found,
        as_json,
        lambda rs: _table(
            ["round", "status", "people", "rated", "late", "deadline"],
            [
                [
                    r.round_id,
                    r.status,
                    str(r.ratees),
                    f"{r.rated}/{r.asked}",
                    str(r.late),
                    _when(r.deadline),
                ]
                for r in rs
            ],
        ),
    )


@assessment_app.command("progress")
def assessment_progress(
    round_id: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """HR: who has rated (counts only for anonymous groups)."""
    progress = _call(token, lambda s, p: s.assessment_queries.progress(p, round_id))

    def lines(pr: Any) -> list[str]:
        out = [
            f"round {pr.round.round_id} ({pr.round.status}): {pr.round.rated} of "
            f"{pr.round.asked} ratings in, {pr.round.late} late, "
            f"deadline {_when(pr.round.deadline)}"
        ]
        for r in pr.ratees:
            parts = []
            for g in r.groups:
                if g.raters is None:
                    parts.append(f"{g.group} {g.rated}/{g.asked} (anonymous)")
                else:
                    who = ", ".join(
                        f"{x.employee_id}{'' if x.rated else ' (pending)'}" for x in g.raters
                    )
                    parts.append(f"{g.group} {g.rated}/{g.asked}: {who}")
            out.append(f"  {r.employee_id} {r.name}: " + "; ".join(parts))
        return out

    _output(progress, as_json, lines)


def _profile_lines(p: Any) -> list[str]:
    out = [f"{p.employee_id} {p.name} · round {p.round_id} · levels of {p.scale_top}"]
    for c in p.competencies:
        groups = ", ".join(
            f"{g.group} {'hidden (' + g.note['en'] + ')' if g.hidden else _num(g.average)}"
            for g in c.groups
        )
        mark = "-" if c.below_target is None else ("below target" if c.below_target else "met")
        out.append(
            f"  {c.label['en']}: overall {_num(c.overall)} (target {_num(c.target)}, {mark}); "
            f"{groups}"
        )
    if p.courses:
        out.append("recommended: " + ", ".join(c.title["en"] for c in p.courses))
    return out


@assessment_app.command("profile")
def assessment_profile(
    round_id: str, employee_id: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A person's competency profile of a closed round."""
    profile = _call(token, lambda s, p: s.assessment_queries.profile(p, round_id, employee_id))
    _output(profile, as_json, _profile_lines)


@assessment_app.command("team")
def assessment_team(
    round_id: str, manager_id: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team profiles of a closed round, with the team's gaps."""
    team = _call(token, lambda s, p: s.assessment_queries.team(p, round_id, manager_id))
    _output(
        team,
        as_json,
        lambda t: [
            *(line for p in t.profiles for line in _profile_lines(p)),
            *(g.text["en"] for g in t.gaps),
        ],
    )


@assessment_app.command("gaps")
def assessment_gaps(round_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: per competency the share below target and the courses it recommends."""
    report = _call(token, lambda s, p: s.assessment_queries.gaps(p, round_id))
    _output(
        report,
        as_json,
        lambda r: [
            f"round {r.round_id}: {r.assessed} people assessed",
            *(f"  {g.text['en']}; courses: {', '.join(g.courses) or '-'}" for g in r.competencies),
        ],
    )
