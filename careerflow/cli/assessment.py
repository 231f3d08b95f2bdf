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
    _spoken,
)
from careerflow.cli.text import _noted, _num, _said_table, _when
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.cli.tables import Speaker
    from careerflow.config import Settings
    from careerflow.engine import Engine


assessment_app = typer.Typer(
    no_args_is_help=True, help="360° competency assessments: rounds, ratings, profiles, gaps."
)


# The rater groups' words (aggregates.competency.Group).
GROUPS = {
    "self": Message("self"),
    "manager": Message("manager"),
    "peers": Message("peers"),
    "reports": Message("direct reports"),
}


def _group(say: Speaker, group: str) -> str:
    return say.say(GROUPS[group]) if group in GROUPS else group


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
    _spoken(
        started,
        as_json,
        lambda say, r: [
            say.say(
                Message(
                    "round {round} started for {people} people: workflow {workflow_id}, "
                    "deadline {deadline}",
                    round=r.round_id,
                    people=r.ratees,
                    workflow_id=r.workflow_id,
                    deadline=_when(say, r.deadline),
                )
            )
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

    def taken(say: Speaker, r: Any) -> list[str]:
        notes = [_group(say, r.group)]
        notes += [say.say(Message("anonymous"))] if r.anonymous else []
        notes += [say.say(Message("late"))] if r.late else []
        return [
            say.say(
                Message(
                    "rating of {ratee} taken ({notes}); {remaining} still to rate in round {round}",
                    ratee=r.ratee_id,
                    notes=", ".join(notes),
                    remaining=r.remaining,
                    round=r.round_id,
                )
            )
        ]

    _spoken(receipt, as_json, taken)


@assessment_app.command("tasks")
def assessment_tasks(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The ratings you are asked to give, and which are done."""
    tasks = _call(token, lambda s, p: s.assessment_queries.my_tasks(p))
    _spoken(
        tasks,
        as_json,
        lambda say, t: [
            say.say(Message("{count} rating(s) to give", count=t.open)),
            *_said_table(
                say,
                [
                    Message("round"),
                    Message("person"),
                    Message("as"),
                    Message("done"),
                    Message("deadline"),
                ],
                [
                    [
                        x.round_id,
                        x.ratee_id,
                        _group(say, x.group),
                        say.cell(x.rated, "yes"),
                        _when(say, x.deadline),
                    ]
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
    _spoken(
        found,
        as_json,
        lambda say, rs: _said_table(
            say,
            [
                Message("round"),
                Message("status"),
                Message("people"),
                Message("rated"),
                Message("late"),
                Message("deadline"),
            ],
            [
                [
                    r.round_id,
                    say.cell(r.status, "term"),
                    str(r.ratees),
                    f"{r.rated}/{r.asked}",
                    str(r.late),
                    _when(say, r.deadline),
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

    def lines(say: Speaker, pr: Any) -> list[str]:
        out = [
            say.say(
                Message(
                    "round {round} ({status}): {rated} of {asked} ratings in, {late} late, "
                    "deadline {deadline}",
                    round=pr.round.round_id,
                    status=say.cell(pr.round.status, "term"),
                    rated=pr.round.rated,
                    asked=pr.round.asked,
                    late=pr.round.late,
                    deadline=_when(say, pr.round.deadline),
                )
            )
        ]
        pending = say.say(Message("not rated yet"))
        for r in pr.ratees:
            parts = []
            for g in r.groups:
                counted = f"{_group(say, g.group)} {g.rated}/{g.asked}"
                if g.raters is None:
                    parts.append(_noted(say, counted, say.say(Message("anonymous"))))
                else:
                    who = ", ".join(
                        x.employee_id if x.rated else _noted(say, x.employee_id, pending)
                        for x in g.raters
                    )
                    parts.append(f"{counted}: {who}")
            out.append(f"  {r.employee_id} {r.name}: " + "; ".join(parts))
        return out

    _spoken(progress, as_json, lines)


def _profile_lines(say: Speaker, p: Any) -> list[str]:
    out = [
        say.say(
            Message(
                "{who} · round {round} · levels of {top}",
                who=" ".join([p.employee_id, p.name]),
                round=p.round_id,
                top=p.scale_top,
            )
        )
    ]
    hidden = say.say(Message("hidden"))
    for c in p.competencies:
        groups = ", ".join(
            f"{_group(say, g.group)} "
            + (_noted(say, hidden, say.cell(g.note, "label")) if g.hidden else _num(g.average))
            for g in c.groups
        )
        mark = "-"
        if c.below_target is not None:
            mark = say.say(Message("below target") if c.below_target else Message("met"))
        said = Message(
            "{competency}: overall {overall} (target {target}, {mark}); {groups}",
            competency=say.cell(c.label, "label"),
            overall=_num(c.overall),
            target=_num(c.target),
            mark=mark,
            groups=groups,
        )
        out.append(f"  {say.say(said)}")
    if p.courses:
        courses = ", ".join(say.cell(c.title, "label") for c in p.courses)
        out.append(say.say(Message("recommended: {courses}", courses=courses)))
    return out


@assessment_app.command("profile")
def assessment_profile(
    round_id: str, employee_id: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A person's competency profile of a closed round."""
    profile = _call(token, lambda s, p: s.assessment_queries.profile(p, round_id, employee_id))
    _spoken(profile, as_json, _profile_lines)


@assessment_app.command("team")
def assessment_team(
    round_id: str, manager_id: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team profiles of a closed round, with the team's gaps."""
    team = _call(token, lambda s, p: s.assessment_queries.team(p, round_id, manager_id))
    _spoken(
        team,
        as_json,
        lambda say, t: [
            *(line for p in t.profiles for line in _profile_lines(say, p)),
            *(say.cell(g.text, "label") for g in t.gaps),
        ],
    )


@assessment_app.command("gaps")
def assessment_gaps(round_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: per competency the share below target and the courses it recommends."""
    report = _call(token, lambda s, p: s.assessment_queries.gaps(p, round_id))

    def lines(say: Speaker, r: Any) -> list[str]:
        out = [
            say.say(
                Message(
                    "round {round}: {count} people assessed", round=r.round_id, count=r.assessed
                )
            )
        ]
        for g in r.competencies:
            titles = [say.cell(r.courses.get(c, {"en": c, "zh": c}), "label") for c in g.courses]
            courses = say.say(Message("courses: {courses}", courses=", ".join(titles) or "-"))
            out.append(f"  {say.cell(g.text, 'label')}; {courses}")
        return out

    _spoken(report, as_json, lines)
