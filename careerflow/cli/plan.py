"""Post-promotion development plans."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli import statements, tables
from careerflow.cli.common import (
    JsonOption,
    TokenOption,
    _act_on_temporal,
    _fail,
    _remember_people,
    _said,
    _view,
)
from careerflow.principal import Principal
from words.messages import Message

if TYPE_CHECKING:
    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine


plan_app = typer.Typer(no_args_is_help=True, help="Post-promotion development plans.")


def _plan_call(token: str, call: Any, as_json: bool) -> None:
    """A step on a running plan; its statement names the employee and the milestones by
    their titles (read from the plan the step left)."""
    titles: dict[str, dict[str, str]] = {}

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        import asyncio

        flow = services.plan_process(client, settings.temporal.task_queue)
        info = await call(flow, principal)

        def words() -> None:
            plan = flow.plans.get(info.plan_id)
            titles.update({m.id: dict(m.label) for m in plan.milestones})
            _remember_people(services, [info.employee_id])

        await asyncio.to_thread(words)
        return info

    _act_on_temporal(token, go, as_json, lambda say, p: statements.plan_changed(say, p, titles))


@plan_app.command("start")
def plan_start(
    employee_id: str,
    token: TokenOption = "",
    effective: Annotated[str, typer.Option(help="Start date, YYYY-MM-DD.")] = "",
    role: Annotated[str, typer.Option(help="Template role; default: the current role.")] = "",
    as_json: JsonOption = False,
) -> None:
    """HR starts a development plan for any employee."""
    from datetime import date

    from aggregates.ladder import Role

    try:
        day = date.fromisoformat(effective) if effective else date.today()
        plan_role = Role(role) if role else None
    except ValueError as exc:
        _fail(
            Message(
                "{error}; --effective is YYYY-MM-DD, --role one of {roles}",
                error=_said(exc),
                roles=", ".join(r.value for r in Role),
            )
        )

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        import asyncio

        flow = services.plan_process(client, settings.temporal.task_queue)
        plan_id = await flow.start(principal, employee_id, day, plan_role)
        await asyncio.to_thread(_remember_people, services, [employee_id])
        return plan_id

    _act_on_temporal(
        token, go, as_json, lambda say, plan_id: statements.plan_started(say, plan_id, employee_id)
    )


@plan_app.command("confirm")
def plan_confirm(
    plan_id: str,
    milestone_id: str,
    token: TokenOption = "",
    comment: Annotated[str, typer.Option(help="What was achieved.")] = "",
    as_json: JsonOption = False,
) -> None:
    """The manager (or HR) confirms a milestone of kind 'confirmed'."""
    _plan_call(token, lambda f, p: f.confirm(p, plan_id, milestone_id, comment), as_json)


@plan_app.command("move")
def plan_move(
    plan_id: str,
    milestone_id: str,
    due_month: int,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Move a milestone's due month (manager or HR, with a reason)."""
    _plan_call(
        token,
        lambda f, p: f.adjust(
            p, plan_id, "move", reason, milestone_id=milestone_id, due_month=due_month
        ),
        as_json,
    )


@plan_app.command("add")
def plan_add(
    plan_id: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Add a milestone (a JSON file in the plan template's milestone shape)."""
    from pydantic import ValidationError

    from aggregates.plan_template import Milestone

    try:
        milestone = Milestone.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        from careerflow.validation import error_message, field_of

        problems = [
            Message("{field}: {problem}", field=field_of(e, drop=()), problem=error_message(e))
            for e in exc.errors()
        ]
        _fail(Message("{file}: not a milestone: {problems}", file=str(file), problems=problems))
    _plan_call(
        token, lambda f, p: f.adjust(p, plan_id, "add", reason, milestone=milestone), as_json
    )


@plan_app.command("drop")
def plan_drop(
    plan_id: str,
    milestone_id: str,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Drop a milestone (manager or HR, with a reason)."""
    _plan_call(
        token,
        lambda f, p: f.adjust(p, plan_id, "drop", reason, milestone_id=milestone_id),
        as_json,
    )


@plan_app.command("show")
def plan_show(employee_id: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """An employee's development plans, newest first (every page)."""
    from projections.paging import every

    _view(
        token,
        lambda services, principal: every(
            lambda page: services.plan_queries.plans_of_paged(principal, employee_id, page)
        ),
        as_json,
        tables.plans,
    )


@plan_app.command("team")
def plan_team(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """A manager's team plans (HR and auditors: everyone's), every page."""
    from projections.paging import every

    _view(
        token,
        lambda services, principal: every(
            lambda page: services.plan_queries.team_paged(principal, page)
        ),
        as_json,
        tables.plans,
    )


@plan_app.command("overview")
def plan_overview(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: plans by status, open and closed."""
    _view(
        token,
        lambda services, principal: services.plan_queries.overview(principal),
        as_json,
        tables.plan_overview,
    )
