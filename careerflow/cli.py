"""`careerflow` command line. Every command that changes or reads business data acts as
a principal given with `--as ROLE:ID` (or CAREERFLOW_AS)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aggregates.base import DomainError
from careerflow.principal import SYSTEM, Principal
from careerflow.runtime import load_settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.services.registry import Services

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
projections_app = typer.Typer(no_args_is_help=True, help="Read-model projections.")
demo_app = typer.Typer(no_args_is_help=True, help="The demo organisation.")
policy_app = typer.Typer(no_args_is_help=True, help="Versioned policy documents.")
app.add_typer(projections_app, name="projections")
app.add_typer(demo_app, name="demo")
app.add_typer(policy_app, name="policy")
promotion_app = typer.Typer(no_args_is_help=True, help="Promotion applications.")
app.add_typer(promotion_app, name="promotion")
plan_app = typer.Typer(no_args_is_help=True, help="Post-promotion development plans.")
app.add_typer(plan_app, name="plan")

AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="CAREERFLOW_AS",
        help="Who is acting, as ROLE:ID (employee, manager, hr, auditor, integration).",
    ),
]


def _principal(text: str) -> Principal:
    if not text:
        _fail("say who is acting: --as ROLE:ID (e.g. --as hr:H001) or set CAREERFLOW_AS")
    try:
        return Principal.parse(text)
    except ValueError as exc:
        _fail(str(exc))
        raise  # unreachable; for type checkers


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@app.command()
def start(
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Don't load the demo org.")] = False,
) -> None:
    """Start the engine on its embedded default (PostgreSQL, Temporal, worker, projections)."""
    from careerflow.config import Settings
    from careerflow.stack import run_stack

    # Only the environment: a stale var/stack.json from a killed run must not make the
    # embedded PostgreSQL look external.
    settings = Settings.from_env()
    raise typer.Exit(run_stack(settings, load_demo=settings.load_demo and not no_demo))


@app.command()
def worker() -> None:
    """Run a Temporal worker (any number may run)."""
    import asyncio

    import worker as worker_module

    _logging()
    asyncio.run(worker_module.main(load_settings()))


@projections_app.command("run")
def projections_run() -> None:
    """Follow the event store and keep every read model up to date."""
    from careerflow.projection_service import run_projection_service

    _logging()
    run_projection_service(load_settings())


@projections_app.command("rebuild")
def projections_rebuild(
    as_: AsOption = "",
) -> None:
    """Rebuild every read model from zero (waits until it has caught up)."""
    from careerflow.projection_service import rebuild_read_models

    principal = _principal(as_)
    _run(lambda: rebuild_read_models(load_settings(), principal))
    typer.echo("read models rebuilt")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_: AsOption = "",
    batch: Annotated[str, typer.Option(help="Batch id; default: the file's hash.")] = "",
) -> None:
    """Ingest a CSV or JSON-lines metric export: all rows or none."""
    from careerflow.services.ingest import detect_format

    _act(
        as_,
        lambda s, p: s.ingest.ingest(
            p,
            file.read_bytes(),
            detect_format(file.name),
            s.catalog(),
            source_name=str(file),
            batch_id=batch or None,
        ),
    )


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Skip if data exists.")] = False,
    reps: Annotated[int, typer.Option(help="Sales reps (without managers).")] = 0,
    teams: Annotated[int, typer.Option(help="Teams.")] = 0,
) -> None:
    """Load the deterministic demo organisation and 12 months of metrics."""
    from careerflow.demo_loader import load_demo

    settings = load_settings()
    summary = _run(
        lambda: load_demo(
            settings,
            reps=reps or settings.demo_size,
            teams=teams or settings.demo_teams,
            if_empty=if_empty,
        )
    )
    _echo_json(summary)


@demo_app.command("export")
def demo_export(
    out: Annotated[Path, typer.Argument(dir_okay=False)],
    reps: int = 500,
    teams: int = 50,
) -> None:
    """Write the demo metrics as a CSV export (to try `careerflow ingest`)."""
    from careerflow.demo import generate, write_csv

    org = generate(reps=reps, teams=teams)
    write_csv(org.measurements, out)
    typer.echo(f"wrote {len(org.measurements)} rows to {out}")


@policy_app.command("publish")
def policy_publish(
    kind: str,
    key: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_: AsOption = "",
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
) -> None:
    """Publish a new version of a policy document (JSON file)."""
    from careerflow.services.registry import Services

    principal = _principal(as_)
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        _fail(f"{file}: not valid JSON: {exc}")
    with Services.open(load_settings()) as services:
        version = _run(lambda: services.policies.publish(principal, kind, key, document, note))
    typer.echo(f"{kind}/{key} version {version} is in force")


@policy_app.command("show")
def policy_show(
    kind: str,
    key: str,
    version: Annotated[int, typer.Option(help="A past version; default: current.")] = 0,
) -> None:
    """Print a policy document."""
    from careerflow.services.registry import Services

    with Services.open(load_settings()) as services:
        found = _run(
            lambda: (
                services.policies.version(kind, key, version)
                if version
                else services.policies.current(kind, key)
            )
        )
    _echo_json(found.model_dump(mode="json"))


@policy_app.command("seed")
def policy_seed(as_: AsOption = "hr:careerflow") -> None:
    """Publish the version-1 documents of domain.md where none exists."""
    _act(as_, lambda services, principal: services.policies.seed(principal))


@app.command()
def readiness(
    employee_id: str,
    as_: AsOption = "",
) -> None:
    """Potential score and distance to the next role, from the read model."""
    _act(as_, lambda services, principal: services.queries.readiness(principal, employee_id))


TargetOption = Annotated[
    str, typer.Option("--target", help="Target role; default: the employee's next rung.")
]


def _promotion_call(as_: str, employee_id: str, target: str, call: Any) -> None:
    """Resolves the target role (default: the next rung) and runs `call` on the flow."""
    from aggregates.ladder import Role, next_role
    from careerflow.services.promotion_process import PromotionProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        if target:
            try:
                role = Role(target)
            except ValueError:
                _fail(f"unknown role {target!r}; use one of: {', '.join(r.value for r in Role)}")
        else:
            rung = next_role(services.people.get(employee_id).role)
            if rung is None:
                _fail(f"{employee_id} is on the top rung; there is no next role")
            role = rung  # type: ignore[assignment]
        flow = PromotionProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal, role)

    _act_on_temporal(as_, go)


@promotion_app.command("start")
def promotion_start(employee_id: str, as_: AsOption = "", target: TargetOption = "") -> None:
    """Start an application (HR for anyone, employees for themselves); idempotent."""
    _promotion_call(as_, employee_id, target, lambda f, p, r: f.start(p, employee_id, r))


@promotion_app.command("decide")
def promotion_decide(
    employee_id: str,
    as_: AsOption = "",
    target: TargetOption = "",
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The decision.")] = True,
    comment: Annotated[str, typer.Option(help="Required when rejecting.")] = "",
) -> None:
    """The manager's decision (or HR acting for the manager)."""
    _promotion_call(
        as_, employee_id, target, lambda f, p, r: f.decide(p, employee_id, r, approve, comment)
    )


@promotion_app.command("resubmit")
def promotion_resubmit(employee_id: str, as_: AsOption = "", target: TargetOption = "") -> None:
    """Resubmit a returned application; it is re-evaluated on fresh data."""
    _promotion_call(as_, employee_id, target, lambda f, p, r: f.resubmit(p, employee_id, r))


@promotion_app.command("withdraw")
def promotion_withdraw(
    employee_id: str,
    as_: AsOption = "",
    target: TargetOption = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
) -> None:
    """Withdraw an application (the applicant or HR)."""
    _promotion_call(as_, employee_id, target, lambda f, p, r: f.withdraw(p, employee_id, r, reason))


@promotion_app.command("review")
def promotion_review(
    employee_id: str,
    as_: AsOption = "",
    target: TargetOption = "",
    action: Annotated[
        str, typer.Option(help="confirm, override-approve or override-decline.")
    ] = "confirm",
    reason: Annotated[str, typer.Option(help="Required for an override.")] = "",
) -> None:
    """HR's review: confirm a pass, or override (with a reason)."""
    choices = {
        "confirm": ("confirm", True),
        "override-approve": ("override", True),
        "override-decline": ("override", False),
    }
    if action not in choices:
        _fail(f"unknown action {action!r}; use one of: {', '.join(choices)}")
    kind, approve = choices[action]
    _promotion_call(
        as_,
        employee_id,
        target,
        lambda f, p, r: f.hr_review(p, employee_id, r, kind, approve, reason),
    )


@promotion_app.command("list")
def promotion_list(
    as_: AsOption = "",
    stage: Annotated[str, typer.Option(help="Only this stage.")] = "",
) -> None:
    """Applications you may see, from the read model."""
    _act(
        as_,
        lambda services, principal: services.promotion_queries.applications(
            principal, stage or None
        ),
    )


@promotion_app.command("show")
def promotion_show(application_id: str, as_: AsOption = "") -> None:
    """An application's status and timeline."""
    _act(
        as_,
        lambda services, principal: services.promotion_queries.application(
            principal, application_id
        ),
    )


@promotion_app.command("pipeline")
def promotion_pipeline(as_: AsOption = "") -> None:
    """HR: open applications by stage and age; cycle time against the target."""
    _act(
        as_,
        lambda services, principal: {
            "pipeline": services.promotion_queries.pipeline(principal),
            "cycle_times": services.promotion_queries.cycle_times(principal),
            "returned": services.promotion_queries.returned(principal),
        },
    )


def _plan_call(as_: str, call: Any) -> None:
    from careerflow.services.plan_process import PlanProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        return await call(
            PlanProcessService(services, client, settings.temporal.task_queue), principal
        )

    _act_on_temporal(as_, go)


@plan_app.command("start")
def plan_start(
    employee_id: str,
    as_: AsOption = "",
    effective: Annotated[str, typer.Option(help="Start date, YYYY-MM-DD.")] = "",
    role: Annotated[str, typer.Option(help="Template role; default: the current role.")] = "",
) -> None:
    """HR starts a development plan for any employee."""
    from datetime import date

    from aggregates.ladder import Role

    try:
        day = date.fromisoformat(effective) if effective else date.today()
        plan_role = Role(role) if role else None
    except ValueError as exc:
        _fail(f"{exc}; --effective is YYYY-MM-DD, --role one of {', '.join(r.value for r in Role)}")
    _plan_call(as_, lambda f, p: f.start(p, employee_id, day, plan_role))


@plan_app.command("confirm")
def plan_confirm(
    plan_id: str,
    milestone_id: str,
    as_: AsOption = "",
    comment: Annotated[str, typer.Option(help="What was achieved.")] = "",
) -> None:
    """The manager (or HR) confirms a milestone of kind 'confirmed'."""
    _plan_call(as_, lambda f, p: f.confirm(p, plan_id, milestone_id, comment))


@plan_app.command("move")
def plan_move(
    plan_id: str,
    milestone_id: str,
    due_month: int,
    as_: AsOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
) -> None:
    """Move a milestone's due month (manager or HR, with a reason)."""
    _plan_call(
        as_,
        lambda f, p: f.adjust(
            p, plan_id, "move", reason, milestone_id=milestone_id, due_month=due_month
        ),
    )


@plan_app.command("add")
def plan_add(
    plan_id: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_: AsOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
) -> None:
    """Add a milestone (a JSON file in the plan template's milestone shape)."""
    from pydantic import ValidationError

    from aggregates.plan_template import Milestone

    try:
        milestone = Milestone.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        _fail(f"{file}: not a milestone: {problems}")
    _plan_call(as_, lambda f, p: f.adjust(p, plan_id, "add", reason, milestone=milestone))


@plan_app.command("drop")
def plan_drop(
    plan_id: str,
    milestone_id: str,
    as_: AsOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
) -> None:
    """Drop a milestone (manager or HR, with a reason)."""
    _plan_call(as_, lambda f, p: f.adjust(p, plan_id, "drop", reason, milestone_id=milestone_id))


@plan_app.command("show")
def plan_show(employee_id: str, as_: AsOption = "") -> None:
    """An employee's plans with live progress."""
    _act(as_, lambda services, principal: services.plan_queries.plans_of(principal, employee_id))


@plan_app.command("team")
def plan_team(as_: AsOption = "") -> None:
    """A manager's view of every plan in the team."""
    _act(as_, lambda services, principal: services.plan_queries.team(principal))


@plan_app.command("overview")
def plan_overview(as_: AsOption = "") -> None:
    """HR: plans on track, at risk and overdue."""
    _act(as_, lambda services, principal: services.plan_queries.overview(principal))


def _act(as_: str, call: Callable[[Services, Principal], Any]) -> None:
    """Runs `call` as the principal on freshly opened services; prints the result."""
    from careerflow.services.registry import Services

    principal = _principal(as_)
    with Services.open(load_settings()) as services:
        result = _run(lambda: call(services, principal))
    _echo_json(_plain(result))


def _act_on_temporal(
    as_: str, call: Callable[[Services, Client, Settings, Principal], Awaitable[Any]]
) -> None:
    """As `_act`, for commands that start or steer workflows."""
    import asyncio

    from careerflow.services.registry import Services
    from worker import connect

    principal = _principal(as_)
    settings = load_settings()

    async def go() -> Any:
        client = await connect(settings)
        with Services.open(settings) as services:
            return await call(services, client, settings, principal)

    _echo_json(_plain(_run(lambda: asyncio.run(go()))))


def _plain(result: Any) -> Any:
    return result.model_dump(mode="json") if hasattr(result, "model_dump") else result


def _run(fn: Any) -> Any:
    try:
        return fn()
    except DomainError as exc:
        _fail(str(exc))


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def main() -> None:
    app()


__all__ = ["SYSTEM", "app", "main"]
