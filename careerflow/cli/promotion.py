"""Promotion applications: start, the steps on them, and the views."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli import statements, tables
from careerflow.cli.common import (
    JsonOption,
    TokenOption,
    _act_on_temporal,
    _fail,
    _lang,
    _remember_people,
    _run,
    _view,
)
from careerflow.principal import Principal, unknown_role
from words.messages import Message

if TYPE_CHECKING:
    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine


promotion_app = typer.Typer(no_args_is_help=True, help="Promotion applications.")


TargetOption = Annotated[
    str, typer.Option("--target", help="Target role; default: the employee's next rung.")
]
ApplicationArg = Annotated[
    str, typer.Argument(help="The application's id (from `promotion start` or `promotion list`).")
]


def _promotion_call(token: str, call: Any, as_json: bool, text: Any) -> None:
    """Runs `call` on the promotion process service (the one the API calls: the same
    checks, the same refusals)."""

    async def go(services: Engine, client: Client, settings: Settings, principal: Principal) -> Any:
        import asyncio

        flow = services.promotion_process(client, settings.temporal.task_queue)
        result = await call(flow, principal)
        # The statement names the applicant by name too.
        await asyncio.to_thread(_remember_people, services, [result.employee_id])
        return result

    _act_on_temporal(token, go, as_json, text)


CommandIdOption = Annotated[
    str,
    typer.Option(
        "--command-id",
        help="This step's command id (default: a new one, in the answer). When an answer "
        "is lost (a timeout, a crash), run the same command with the same id: a step "
        "already recorded under it is answered with its outcome, not refused.",
    ),
]


def _promotion_step(token: str, command_id: str, call: Any, as_json: bool) -> None:
    """A step on an application under a command id (a fresh one unless given); when its
    answer is lost, says how to send the same command again safely."""
    from careerflow.api import i18n
    from careerflow.services.updates import command_id_or_new

    command_id = _run(lambda: command_id_or_new(command_id or None))
    try:
        _promotion_call(
            token, lambda f, p: call(f, p, command_id), as_json, statements.application_steered
        )
    except (typer.Exit, SystemExit):
        raise  # answered: done, or refused
    except BaseException:
        hint = Message(
            "no answer; the step may have been recorded. Run the same command again with "
            "--command-id {command_id}: it is recorded once",
            command_id=command_id,
        )
        try:
            said = i18n.say(hint, _lang())
        except Exception:
            said = str(hint)
        typer.echo(f"error: {said}", err=True)
        raise


@promotion_app.command("start")
def promotion_start(
    employee_id: str,
    token: TokenOption = "",
    target: TargetOption = "",
    as_json: JsonOption = False,
) -> None:
    """Start an application (HR for anyone, employees for themselves); idempotent."""
    from aggregates.ladder import Role

    try:
        role = Role(target) if target else None
    except ValueError:
        _fail(unknown_role(target, Role).message)
    _promotion_call(
        token, lambda f, p: f.start(p, employee_id, role), as_json, statements.application_started
    )


@promotion_app.command("decide")
def promotion_decide(
    application_id: ApplicationArg,
    token: TokenOption = "",
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The decision.")] = True,
    comment: Annotated[str, typer.Option(help="Required when rejecting.")] = "",
    command_id: CommandIdOption = "",
    as_json: JsonOption = False,
) -> None:
    """The manager's decision (or HR acting for the manager)."""
    _promotion_step(
        token,
        command_id,
        lambda f, p, c: f.decide_application(p, application_id, approve, comment, c),
        as_json,
    )


@promotion_app.command("resubmit")
def promotion_resubmit(
    application_id: ApplicationArg,
    token: TokenOption = "",
    command_id: CommandIdOption = "",
    as_json: JsonOption = False,
) -> None:
    """Resubmit a returned application; it is re-evaluated on fresh data."""
    _promotion_step(
        token, command_id, lambda f, p, c: f.resubmit_application(p, application_id, c), as_json
    )


@promotion_app.command("withdraw")
def promotion_withdraw(
    application_id: ApplicationArg,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    command_id: CommandIdOption = "",
    as_json: JsonOption = False,
) -> None:
    """Withdraw an application (the applicant or HR)."""
    _promotion_step(
        token,
        command_id,
        lambda f, p, c: f.withdraw_application(p, application_id, reason, c),
        as_json,
    )


@promotion_app.command("review")
def promotion_review(
    application_id: ApplicationArg,
    token: TokenOption = "",
    action: Annotated[
        str, typer.Option(help="confirm, override-approve or override-decline.")
    ] = "confirm",
    reason: Annotated[str, typer.Option(help="Required for an override.")] = "",
    command_id: CommandIdOption = "",
    as_json: JsonOption = False,
) -> None:
    """HR's review: confirm a pass, or override (with a reason)."""
    choices = {
        "confirm": ("confirm", True),
        "override-approve": ("override", True),
        "override-decline": ("override", False),
    }
    if action not in choices:
        _fail(
            Message(
                "unknown action {action!r}; use one of: {choices}",
                action=action,
                choices=", ".join(choices),
            )
        )
    kind, approve = choices[action]
    _promotion_step(
        token,
        command_id,
        lambda f, p, c: f.review_application(p, application_id, kind, approve, reason, c),
        as_json,
    )


@promotion_app.command("list")
def promotion_list(
    token: TokenOption = "",
    stage: Annotated[str, typer.Option(help="Only this stage.")] = "",
    person: Annotated[str, typer.Option(help="Only this applicant's.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Applications you may see, from the read model (every page, oldest first)."""
    from projections.paging import every

    _view(
        token,
        lambda services, principal: every(
            lambda page: services.promotion_queries.applications_paged(
                principal, page, stage or None, person or None
            )
        ),
        as_json,
        tables.applications,
    )


@promotion_app.command("show")
def promotion_show(
    application_id: Annotated[
        str,
        typer.Argument(
            help="The application's id, or an employee's id (E00001): their latest application."
        ),
    ],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """An application's status and timeline."""

    def shown(services: Engine, principal: Principal) -> Any:
        queries = services.promotion_queries
        found = application_id
        if not _is_application_id(application_id):
            found = queries.latest_application_id(principal, application_id)
        return queries.application(principal, found)

    _view(token, shown, as_json, tables.application)


def _is_application_id(text: str) -> bool:
    """Application ids are the workflow's run ids (UUIDs); anything else is an employee."""
    from uuid import UUID

    try:
        UUID(text)
    except ValueError:
        return False
    return True


@promotion_app.command("pipeline")
def promotion_pipeline(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: open applications by stage and age; cycle time against the target."""
    _view(
        token,
        lambda services, principal: {
            "pipeline": services.promotion_queries.pipeline(principal),
            "cycle_times": services.promotion_queries.cycle_times(principal),
            "returned": services.promotion_queries.returned(principal),
        },
        as_json,
        tables.pipeline,
    )
