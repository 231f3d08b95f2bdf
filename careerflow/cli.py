"""`careerflow` command line. Every command that changes or reads business data acts as
a principal given with `--as ROLE:ID` (or CAREERFLOW_AS)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aggregates.base import DomainError
from careerflow.messages import Message
from careerflow.principal import SYSTEM, Principal
from careerflow.runtime import load_settings

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.services.cycle_process import CycleProcessService, ScheduleState
    from careerflow.services.cycle_queries import (
        BonusStatement,
        Completion,
        CompletionRates,
        RepWeek,
        TeamBoard,
    )
    from careerflow.services.cycles import CycleInfo
    from careerflow.services.goal_queries import CascadeOverview
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
cycle_app = typer.Typer(
    no_args_is_help=True, help="The weekly performance cycle: plans, feedback, pay, schedules."
)
app.add_typer(cycle_app, name="cycle")
assessment_app = typer.Typer(
    no_args_is_help=True, help="360° competency assessments: rounds, ratings, profiles, gaps."
)
app.add_typer(assessment_app, name="assessment")
support_app = typer.Typer(
    no_args_is_help=True, help="Support requests: raise, acknowledge, answer, SLA compliance."
)
app.add_typer(support_app, name="support")
audit_app = typer.Typer(no_args_is_help=True, help="Audit: replay, verify, export.")
app.add_typer(audit_app, name="audit")
token_app = typer.Typer(no_args_is_help=True, help="API tokens (issued by HR).")
app.add_typer(token_app, name="token")

AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        envvar="CAREERFLOW_AS",
        help="Who is acting, as ROLE:ID (employee, manager, hr, auditor, integration).",
    ),
]


_acting: Principal | None = None  # who the command acts as: its profile says the language


def _principal(text: str) -> Principal:
    global _acting
    if not text:
        _fail(Message("say who is acting: --as ROLE:ID (e.g. --as hr:H001) or set CAREERFLOW_AS"))
    try:
        _acting = Principal.parse(text)
    except ValueError as exc:
        _fail(_said(exc))
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

    from careerflow.services.people import profile_locale

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


def _fail(message: Message, code: int = 2) -> None:
    from careerflow.api import i18n

    typer.echo(f"error: {i18n.say(message, _lang())}", err=True)
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


@app.command()
def api() -> None:
    """Serve the HTTP API and dashboards (CAREERFLOW_API_HOST, CAREERFLOW_API_PORT)."""
    from careerflow.api.server import serve

    _logging()
    serve(load_settings())


@token_app.command("issue")
def token_issue(
    person_id: str,
    role: Annotated[str, typer.Option(help="employee, manager, hr, auditor or integration")],
    as_: AsOption = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int, typer.Option(help="Days until it expires (0: never).")] = 90,
) -> None:
    """HR: issue an API token for a person and role; the token is shown once."""
    from careerflow.principal import AccessRole

    try:
        access = AccessRole(role)
    except ValueError:
        _fail(
            Message(
                "unknown role {role!r}; use employee, manager, hr, auditor or integration",
                role=role,
            )
        )
        raise
    _act(as_, lambda s, p: s.tokens.issue(p, person_id, access, label, days or None))


@token_app.command("revoke")
def token_revoke(
    token_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
    as_: AsOption = "",
) -> None:
    """HR: revoke an API token (by its id, the part after cf_ and before the dot)."""
    _act(as_, lambda s, p: {"token_id": token_id, "revoked": s.tokens.revoke(p, token_id, reason)})


@token_app.command("list")
def token_list(as_: AsOption = "") -> None:
    """HR and auditors: who holds which tokens (never the secrets)."""
    _act(as_, lambda s, p: s.tokens.list_tokens(p))


@audit_app.command("history")
def audit_history(
    kind: Annotated[str, typer.Argument(help="application, cycle, month, plan, employee, policy")],
    ident: Annotated[
        str,
        typer.Argument(help="e.g. an application id, E00001/2026-W48, policy kind/key"),
    ],
    as_: AsOption = "",
    fmt: Annotated[str, typer.Option("--format", help="json, jsonl or html")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead.")] = None,
) -> None:
    """The ordered events of one subject with who, when, command, workflow and the
    policy versions used (auditors and HR; the read is itself recorded)."""
    from careerflow.services.history import to_html, to_jsonl

    if fmt not in ("json", "jsonl", "html"):
        _fail(Message("unknown --format {fmt!r}; use json, jsonl or html", fmt=fmt))
    history = _call(as_, lambda s, p: s.history.history(p, kind, ident))
    if fmt == "json":
        data = json.dumps(_plain(history), indent=2, ensure_ascii=False).encode()
    elif fmt == "jsonl":
        data = to_jsonl(history)
    else:
        data = to_html(history).encode()
    if out is not None:
        out.write_bytes(data)
        typer.echo(f"wrote {len(history.entries)} events to {out}")
    else:
        typer.echo(data.decode())


@audit_app.command("verify")
def audit_verify(
    as_: AsOption = "",
    anchors: Annotated[
        Path | None,
        typer.Option(help="Heads kept from an earlier run (JSON): also catch a rewritten chain."),
    ] = None,
    save_anchors: Annotated[
        Path | None, typer.Option(help="Write this run's heads here, to keep elsewhere.")
    ] = None,
) -> None:
    """Walk the event store's hash chains and name the first event that was edited,
    deleted, inserted or reordered; exits 1 if any was. Progress goes to stderr."""
    from careerflow.services.integrity import verify_store

    kept: dict[str, tuple[int, str]] = {}
    if anchors is not None:
        try:
            kept = {k: (int(v[0]), str(v[1])) for k, v in json.loads(anchors.read_text()).items()}
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            _fail(
                Message(
                    "{anchors}: not an anchors file written by --save-anchors ({error})",
                    anchors=str(anchors),
                    error=str(exc),
                )
            )

    def progress(app_name: str, count: int) -> None:
        typer.echo(f"verify: {app_name}: {count} events", err=True)

    report = _call(as_, lambda s, p: verify_store(s, p, kept, progress))
    if save_anchors is not None:
        heads = {a.application: [a.head_position, a.head] for a in report.applications}
        save_anchors.write_text(json.dumps(heads, indent=2))
    _echo_json(_plain(report))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("reevaluate")
def audit_reevaluate(
    kind: Annotated[str, typer.Argument(help="application or month")],
    ident: Annotated[str, typer.Argument(help="an application id, or EMPLOYEE/YYYY-MM")],
    as_: AsOption = "",
) -> None:
    """Re-run a recorded decision from its recorded inputs and policy versions; exits 1
    and lists the differing fields if the outcome is not identical."""
    result = _call(as_, lambda s, p: s.reevaluation.reevaluate(p, kind, ident))
    _echo_json(_plain(result))
    if not result.identical:
        raise typer.Exit(1)


@audit_app.command("what-if")
def audit_what_if(
    kind: Annotated[str, typer.Argument(help="promotion_criteria or potential_weights")],
    key: Annotated[str, typer.Argument(help="the target role, or default for weights")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    as_: AsOption = "",
) -> None:
    """Evaluate a draft document against every employee before publishing it: who would
    become (in)eligible, who joins or leaves the candidate pool."""
    from careerflow.services.what_if import what_if

    try:
        draft = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(Message("{file}: not a JSON document ({error})", file=str(file), error=str(exc)))
    _act(as_, lambda s, p: what_if(s, p, kind, key, draft))


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


@audit_app.command("state")
def audit_state(
    kind: Annotated[str, typer.Argument(help="application, cycle, month, plan, employee, policy")],
    ident: str,
    as_: AsOption = "",
    version: Annotated[int, typer.Option(help="This version (0: latest).")] = 0,
    at: Annotated[str, typer.Option(help="As of this moment (ISO 8601 with a zone).")] = "",
) -> None:
    """An aggregate's state at a version or as of a moment."""
    moment = _moment(at) if at else None
    _act(
        as_,
        lambda s, p: s.time_travel.aggregate(p, kind, ident, version or None, moment),
    )


@audit_app.command("readiness-at")
def audit_readiness_at(employee_id: str, at: str, as_: AsOption = "") -> None:
    """One employee's readiness as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(as_, lambda s, p: s.time_travel.readiness_at(p, employee_id, moment))


@audit_app.command("pool-at")
def audit_pool_at(at: str, as_: AsOption = "") -> None:
    """The candidate pool as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(as_, lambda s, p: s.time_travel.candidate_pool_at(p, moment))


@audit_app.command("check-projections")
def audit_check_projections(as_: AsOption = "") -> None:
    """Rebuild every read model into a scratch schema and diff it against the live one,
    row by row; exits 1 on any difference."""
    from careerflow.services.projection_check import check_projections

    report = _call(as_, lambda s, p: check_projections(s, p))
    _echo_json(_plain(report))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("replay-workflows")
def audit_replay_workflows(
    as_: AsOption = "",
    days: Annotated[int, typer.Option(help="Also workflows closed in the last N days.")] = 7,
    limit: Annotated[int, typer.Option(help="At most this many histories (0: all).")] = 0,
) -> None:
    """Replay running and recently closed workflows against this code (before a deploy);
    exits 1 when any history no longer replays."""
    from datetime import timedelta

    from careerflow.services.workflow_replay import replay_workflows

    async def replay(s: Services, client: Client, settings: Settings, p: Principal) -> Any:
        report = await replay_workflows(p, client, timedelta(days=days), limit=limit or None)
        s.history.record(p, "replay-workflows", f"{report.replayed} histories")
        return report

    report = _call_on_temporal(as_, replay)
    _echo_json(_plain(report))
    if report.failures:
        raise typer.Exit(1)


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
        _fail(Message("{file}: not valid JSON: {error}", file=str(file), error=str(exc)))
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


@app.command()
def language(
    language: Annotated[str, typer.Argument(help="zh (Simplified Chinese) or en (English)")],
    employee: Annotated[
        str, typer.Option("--employee", help="Whose profile (HR); default: your own.")
    ] = "",
    as_: AsOption = "",
) -> None:
    """Set a profile's language: notifications, and the pages, the API and these commands
    unless switched (CAREERFLOW_LANG), follow it. People set their own, HR anyone's."""
    _act(
        as_,
        lambda services, principal: services.people.set_language(
            principal, employee or principal.person_id, language
        ),
    )


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
                _fail(
                    Message(
                        "unknown role {role!r}; use one of: {valid}",
                        role=target,
                        valid=", ".join(r.value for r in Role),
                    )
                )
        else:
            rung = next_role(services.people.get(employee_id).role)
            if rung is None:
                _fail(
                    Message(
                        "{employee_id} is on the top rung; there is no next role",
                        employee_id=employee_id,
                    )
                )
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
        _fail(
            Message(
                "unknown action {action!r}; use one of: {choices}",
                action=action,
                choices=", ".join(choices),
            )
        )
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
        _fail(
            Message(
                "{error}; --effective is YYYY-MM-DD, --role one of {roles}",
                error=_said(exc),
                roles=", ".join(r.value for r in Role),
            )
        )
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
        from careerflow.validation import error_message, field_of

        problems = [
            Message("{field}: {problem}", field=field_of(e, drop=()), problem=error_message(e))
            for e in exc.errors()
        ]
        _fail(Message("{file}: not a milestone: {problems}", file=str(file), problems=problems))
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


# -- the weekly performance cycle ------------------------------------------------------
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the full result as JSON instead of text.")
]
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


def _period_arg(value: str, kind: str, example: str) -> str:
    from aggregates.documents import period_kind

    try:
        actual = period_kind(value)
    except ValueError as exc:
        _fail(
            Message(
                "{error}; expected a {kind} like {example!r}",
                error=_said(exc),
                kind=kind,
                example=example,
            )
        )
    if actual != kind:
        _fail(
            Message(
                "expected a {kind} like {example!r}, got {value!r}",
                kind=kind,
                example=example,
                value=value,
            )
        )
    return value


def _cycle_call(as_: str, call: Callable[[CycleProcessService, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the cycle process service (the workflows on Temporal)."""
    from careerflow.services.cycle_process import CycleProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = CycleProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(as_, go)


def _output(result: Any, as_json: bool, text: Callable[[Any], list[str]]) -> None:
    if as_json:
        _echo_json(_plain(result))
    else:
        typer.echo("\n".join(text(result)))


@cycle_app.command("plan")
def cycle_plan(
    employee_id: str,
    week: str,
    as_: AsOption = "",
    item: ItemsOption = None,
    as_json: JsonOption = False,
) -> None:
    """The rep submits (or revises) the week's plan before Monday's deadline."""
    _period_arg(week, "week", "2026-W48")
    items = _items(item or [], "--item")
    info = _cycle_call(as_, lambda f, p: f.submit_plan(p, employee_id, week, items))
    _output(info, as_json, lambda i: _plan_text(i, "plan recorded"))


@cycle_app.command("feedback")
def cycle_feedback(
    employee_id: str,
    week: str,
    text: str,
    as_: AsOption = "",
    next_: NextOption = None,
    as_json: JsonOption = False,
) -> None:
    """The manager's feedback on a reported week, optionally agreeing next week's plan."""
    _period_arg(week, "week", "2026-W48")
    next_plan = _items(next_, "--next") if next_ else None
    info = _cycle_call(as_, lambda f, p: f.give_feedback(p, employee_id, week, text, next_plan))

    def lines(i: CycleInfo) -> list[str]:
        out = [f"feedback recorded for {i.employee_id}, week {i.week}"]
        if next_plan is not None:
            agreed = ", ".join(f"{k} {_num(v)}" for k, v in next_plan.items())
            out.append(f"next week's plan agreed: {agreed}")
        return out

    _output(info, as_json, lines)


@cycle_app.command("show")
def cycle_show(
    employee_id: str, week: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """A rep's week: plan vs actual, expected pay, rank in the team, feedback."""
    week_view = _call(as_, lambda s, p: s.cycle_queries.rep_week(p, employee_id, week))
    _output(week_view, as_json, _rep_week_text)


@cycle_app.command("board")
def cycle_board(
    manager_id: str, week: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team board for a week: who planned, who lags, feedback."""
    board = _call(as_, lambda s, p: s.cycle_queries.team_board(p, manager_id, week))
    _output(board, as_json, _board_text)


@cycle_app.command("completion")
def cycle_completion(week: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """HR: plans, reports and feedback per team for a week."""
    rates = _call(as_, lambda s, p: s.cycle_queries.completion_rates(p, week))
    _output(rates, as_json, _completion_text)


@cycle_app.command("statement")
def cycle_statement(
    employee_id: str, month: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """A closed month's bonus and commission with their derivation, and training."""
    statement = _call(as_, lambda s, p: s.cycle_queries.bonus_statement(p, employee_id, month))
    _output(statement, as_json, _statement_text)


@cycle_app.command("goals")
def cycle_goals(year: int, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """The goal cascade for a year: company, team and individual targets."""
    overview = _call(as_, lambda s, p: s.goal_queries.cascade(p, year))
    _output(overview, as_json, _goals_text)


@cycle_app.command("launch")
def cycle_launch(
    as_: AsOption = "",
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
) -> None:
    """HR: start the week's cycles (or a month close) for every rep now."""
    kind = "month" if month else "week"
    if period:
        _period_arg(period, kind, "2026-11" if month else "2026-W48")
    workflow_id = _cycle_call(as_, lambda f, p: f.launch(p, kind, period or None))
    result = {"workflow_id": workflow_id, "kind": kind, "period": period or None}
    default = "the current week" if kind == "week" else "the previous month"
    _output(
        result,
        as_json,
        lambda r: [f"launched {kind} {period or default}: workflow {r['workflow_id']}"],
    )


@cycle_app.command("schedules")
def cycle_schedules(as_: AsOption = "", as_json: JsonOption = False) -> None:
    """HR: create or update the weekly and month-close schedules; prints their next runs.

    Run again after publishing a new weekly_cycle document to move them."""
    states = _cycle_call(as_, lambda f, p: f.ensure_schedules(p))
    _output(states, as_json, _schedules_text)


# -- support requests ------------------------------------------------------------------
def _support_call(as_: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the support process service (the request workflows on Temporal)."""
    from careerflow.services.support_process import SupportProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = SupportProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(as_, go)


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
    as_: AsOption = "",
    customer: Annotated[str, typer.Option(help="The customer it is about.")] = "",
    request_id: Annotated[
        str, typer.Option("--id", help="A client key: raising again returns the same request.")
    ] = "",
    as_json: JsonOption = False,
) -> None:
    """A rep asks the responsible team for help; prints the team and the SLA due time."""
    info = _support_call(
        as_,
        lambda f, p: f.raise_request(p, category, text, customer or None, request_id or None),
    )
    _output(info, as_json, lambda i: _support_text(i, "raised"))


@support_app.command("ack")
def support_ack(request_id: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """A support-team member takes a request (response time and SLA are recorded)."""
    info = _support_call(as_, lambda f, p: f.acknowledge(p, request_id))
    _output(info, as_json, lambda i: _support_text(i, "acknowledged"))


@support_app.command("answer")
def support_answer(
    request_id: str, text: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """The team's answer to the rep (after acknowledging; again after a reopen)."""
    info = _support_call(as_, lambda f, p: f.answer(p, request_id, text))
    _output(info, as_json, lambda i: _support_text(i, "answered"))


@support_app.command("confirm")
def support_confirm(request_id: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """The rep confirms the answer resolved the request."""
    info = _support_call(as_, lambda f, p: f.confirm(p, request_id))
    _output(info, as_json, lambda i: _support_text(i, "confirmed"))


@support_app.command("reopen")
def support_reopen(
    request_id: str,
    reason: Annotated[str, typer.Option(help="What the answer left open.")],
    as_: AsOption = "",
    as_json: JsonOption = False,
) -> None:
    """The rep says the answer did not resolve it; the team answers again."""
    info = _support_call(as_, lambda f, p: f.reopen(p, request_id, reason))
    _output(info, as_json, lambda i: _support_text(i, "reopened"))


@support_app.command("mine")
def support_mine(as_: AsOption = "", as_json: JsonOption = False) -> None:
    """A rep's requests with their clocks: time waited, SLA due, minutes left, breached."""
    mine = _call(as_, lambda s, p: s.support_queries.mine(p))
    _output(
        mine,
        as_json,
        lambda m: [
            f"{m.employee_id}: {len(m.requests)} requests, {m.open} open, {m.breached} breached",
            *_support_rows(m.requests, who=False),
        ],
    )


@support_app.command("queue")
def support_queue(team: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """A team's open requests, oldest first, with their SLA clocks."""
    queue = _call(as_, lambda s, p: s.support_queries.queue(p, team))
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
    as_: AsOption = "",
    since: Annotated[str, typer.Option(help="From this ISO week (YYYY-Www).")] = "",
    until: Annotated[str, typer.Option(help="Up to this ISO week (YYYY-Www).")] = "",
    team: Annotated[str, typer.Option(help="Only this team.")] = "",
    as_json: JsonOption = False,
) -> None:
    """SLA compliance per team and week: requests, met, breached, median response."""
    report = _call(
        as_,
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


# -- text output -----------------------------------------------------------------------
def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _when(moment: Any) -> str:
    from datetime import UTC

    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _met(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "not met")


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _plan_text(info: CycleInfo, title: str) -> list[str]:
    plan = info.plan or {}
    rows = [
        [item, _num(plan.get(item)), _num(info.targets.get(item))]
        for item in dict.fromkeys([*info.plan_items, *plan])
    ]
    return [
        f"{title}: {info.employee_id}, week {info.week} ({info.plan_source or 'no plan'})",
        *(f"  {x}" for x in _table(["item", "planned", "target"], rows)),
        f"plan deadline: {info.deadline_labels.get('plan_deadline', '-')} ({info.time_zone}); "
        "a new plan before then replaces this one",
    ]


def _rep_week_text(w: RepWeek) -> list[str]:
    who = f"{w.employee_id} {w.name}" if w.name else w.employee_id
    out = [
        f"{who} · week {w.week} (month {w.month}) · team {w.team_id} · "
        f"manager {w.manager_id or '-'}"
    ]
    if w.plan_source is None:
        out.append(
            f"plan: not submitted yet; due {_when(w.deadlines.plan_deadline)} "
            "(then the targets become the plan)"
        )
    else:
        late = " (late)" if w.plan_late else ""
        revised = f" (version {w.plan_revisions})" if w.plan_revisions > 1 else ""
        out.append(f"plan: {w.plan_source} {_when(w.plan_at)}{late}{revised}")
    rows = []
    for line in w.lines:
        result = _met(line.met)
        if line.reported_met is not None:
            result += f" (report: {_num(line.reported_actual)}, {_met(line.reported_met)})"
        rows.append([line.item, _num(line.target), _num(line.planned), _num(line.actual), result])
    out += [f"  {x}" for x in _table(["item", "target", "planned", "actual", "result"], rows)]
    if w.total:
        out.append(f"{w.met} of {w.total} planned items met{'; lagging' if w.lagging else ''}")
    out.append(
        f"report: built {_when(w.reported_at)}"
        if w.reported
        else f"report: due {_when(w.deadlines.report_at)}"
    )
    pay = w.expected
    if pay.redacted:
        bonus = commission = "hidden"
    else:
        bonus = f"{_num(pay.bonus.amount)} {pay.bonus.currency}" if pay.bonus else "-"
        commission = (
            f"{_num(pay.commission.amount)} {pay.commission.currency}" if pay.commission else "-"
        )
    out.append(
        f"expected for {pay.month} so far: sales {_num(pay.month_sales)} of target "
        f"{_num(pay.sales_target)}; bonus {bonus}; commission {commission}"
    )
    out.append(f"rank in team {w.rank.team_id}: {w.rank.text['en']}")
    fb = w.feedback
    if fb.status == "given":
        out.append(f"feedback: given by {fb.by} {_when(fb.at)}: {fb.text}")
        if fb.next_plan:
            agreed = ", ".join(f"{k} {_num(v)}" for k, v in fb.next_plan.items())
            out.append(f"next week's plan agreed: {agreed}")
    elif fb.status == "pending":
        out.append(f"feedback: pending (due {_when(w.deadlines.feedback_deadline)})")
    else:
        out.append("feedback: missed")
    return out


def _board_text(b: TeamBoard) -> list[str]:
    rows = [
        [
            r.employee_id,
            r.name or "",
            "yes" if r.has_cycle else "no",
            r.plan_source or ("not planned" if r.has_cycle else "-"),
            f"{r.met}/{r.total}" if r.total is not None else "-",
            ", ".join(r.behind) or "-",
            r.feedback or "-",
        ]
        for r in b.rows
    ]
    t = b.totals
    return [
        f"team of {b.manager_id} · week {b.week}",
        *_table(["employee", "name", "cycle", "plan", "met", "behind", "feedback"], rows),
        f"reps {t.reps} · with a cycle {t.with_cycle} · planned {t.planned} (submitted "
        f"{t.submitted}, agreed {t.agreed}, defaulted {t.defaulted}) · not planned "
        f"{t.not_planned} · reported {t.reported} · lagging {t.lagging} · feedback given "
        f"{t.feedback_given}, missed {t.feedback_missed}, pending {t.feedback_pending}",
    ]


def _completion_text(c: CompletionRates) -> list[str]:
    def cells(x: Completion) -> list[str]:
        return [
            str(x.cycles),
            f"{x.plans_submitted} ({_share(x.submitted_share)})",
            f"{x.plans_agreed} ({_share(x.agreed_share)})",
            f"{x.plans_defaulted} ({_share(x.defaulted_share)})",
            str(x.plans_missing),
            f"{x.reports_built} ({_share(x.reported_share)})",
            f"{x.feedback_given} ({_share(x.feedback_given_share)})",
            f"{x.feedback_missed} ({_share(x.feedback_missed_share)})",
            f"{x.feedback_pending} ({_share(x.feedback_pending_share)})",
        ]

    headers = ["team", "name", "cycles", "submitted", "agreed", "defaulted", "no plan"]
    headers += ["reported", "fb given", "fb missed", "fb pending"]
    rows = [[t.team_id, t.team_name or "", *cells(t)] for t in c.teams]
    rows.append(["all", "", *cells(c.overall)])
    return [f"completion · week {c.week}", *_table(headers, rows)]


def _goals_text(c: CascadeOverview) -> list[str]:
    money = "{:,.0f}".format
    out = [
        f"goal cascade {c.year} (version {c.cascade_version}) · company: last year "
        f"{money(c.company.previous_year_sales)}, +{c.company.growth_percent:g}% -> "
        f"{money(c.company.annual_target)}"
    ]
    rows = [
        [
            t.team_id,
            t.name,
            str(t.members),
            money(t.team.previous_year_sales),
            money(t.team.annual_target),
            money(t.individual_targets),
            money(t.gap),
        ]
        for t in c.teams
    ]
    out += _table(
        ["team", "name", "people", "last year", "team target", "individual sum", "gap"], rows
    )
    people = [
        [p.employee_id, p.team_id, f"+{p.growth_percent:g}%", p.baseline_source,
         money(p.monthly_sales_target), money(p.annual_target)]
        for p in c.people
    ]  # fmt: skip
    out += _table(["employee", "team", "growth", "baseline", "monthly", "annual"], people)
    return out


def _statement_text(s: BonusStatement) -> list[str]:
    who = f"{s.employee_id} {s.name}" if s.name else s.employee_id
    out = [
        f"statement {s.statement_id}: {who} · {s.month} · team {s.team_id} · "
        f"manager {s.manager_id or '-'}",
        f"closed {_when(s.closed_at)} (ledger version {s.ledger_version})",
        f"targets: monthly sales {_num(s.targets.monthly_sales_target)}; retention "
        f"{_num(s.targets.retention_target_percent)}% (goal cascade v{s.targets.cascade_version})",
    ]
    for title, figures, met in (
        ("bonus", s.bonus, s.bonus.target_met),
        ("commission", s.commission, None),
    ):
        version = f" (rules v{figures.rules_version})" if figures.rules_version else ""
        if s.redacted:
            out.append(f"{title}{version}: hidden")
            continue
        out.append(f"{title}{version}:")
        for line in figures.lines or []:
            out.append(f"  {line.text.get('en', line.key)}: {_num(line.amount)}")
        target = "" if met is None else (" (sales target met)" if met else " (target not met)")
        out.append(f"  total {_num(figures.amount)} {figures.currency or ''}".rstrip() + target)
    if s.recommendations:
        out.append("training:")
        for r in s.recommendations:
            alert = " (manager alerted)" if r.alert_manager else ""
            out.append(f"  {r.course}: {r.reason.get('en', r.rule_id)}{alert}")
    else:
        out.append("training: no recommendation")
    return out


def _schedules_text(states: list[ScheduleState]) -> list[str]:
    from zoneinfo import ZoneInfo

    out = []
    for state in states:
        out.append(f"{state.schedule_id} (time zone {state.time_zone})")
        zone = ZoneInfo(state.time_zone)
        for run in state.next_runs:
            local = run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
            out.append(f"  next run: {local} = {_when(run)}")
        if not state.next_runs:
            out.append("  no next run")
    return out


def _act(as_: str, call: Callable[[Services, Principal], Any]) -> None:
    """Runs `call` as the principal on freshly opened services; prints the result."""
    _echo_json(_plain(_call(as_, call)))


def _call(as_: str, call: Callable[[Services, Principal], Any]) -> Any:
    """Runs `call` as the principal on freshly opened services; returns the result."""
    from careerflow.services.registry import Services

    principal = _principal(as_)
    with Services.open(load_settings()) as services:
        return _run(lambda: call(services, principal))


def _act_on_temporal(
    as_: str, call: Callable[[Services, Client, Settings, Principal], Awaitable[Any]]
) -> None:
    """As `_act`, for commands that start or steer workflows."""
    _echo_json(_plain(_call_on_temporal(as_, call)))


def _call_on_temporal(
    as_: str, call: Callable[[Services, Client, Settings, Principal], Awaitable[Any]]
) -> Any:
    """As `_call`, for commands that start or steer workflows."""
    import asyncio

    from careerflow.services.registry import Services
    from worker import connect

    principal = _principal(as_)
    settings = load_settings()

    async def go() -> Any:
        client = await connect(settings)
        with Services.open(settings) as services:
            return await call(services, client, settings, principal)

    return _run(lambda: asyncio.run(go()))


def _plain(result: Any) -> Any:
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json")
    if isinstance(result, list | tuple):
        return [_plain(x) for x in result]
    if isinstance(result, dict):
        return {k: _plain(v) for k, v in result.items()}
    return result


def _run(fn: Any) -> Any:
    try:
        return fn()
    except DomainError as exc:
        _fail(exc.message)


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# -- 360° competency assessments ----------------------------------------------------------
def _assessment_call(as_: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the assessment process service (the round workflows on Temporal)."""
    from careerflow.services.assessment_process import AssessmentProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = AssessmentProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(as_, go)


@assessment_app.command("start")
def assessment_start(
    round_id: str,
    deadline: Annotated[
        str, typer.Option(help="ISO 8601 with its zone, e.g. 2026-12-15T18:00+08:00")
    ],
    as_: AsOption = "",
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

    from careerflow.services.assessments import ANONYMOUS_DEFAULT, RoundRequest

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
    started = _assessment_call(as_, lambda f, p: f.start_round(p, request))
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
    as_: AsOption = "",
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
    receipt = _assessment_call(as_, lambda f, p: f.rate(p, round_id, employee_id, ratings))
    _output(
        receipt,
        as_json,
        lambda r: [
            f"rating of {r.ratee_id} taken ({r.group}{', anonymous' if r.anonymous else ''}"
            f"{', late' if r.late else ''}); {r.remaining} still to rate in round {r.round_id}"
        ],
    )


@assessment_app.command("tasks")
def assessment_tasks(as_: AsOption = "", as_json: JsonOption = False) -> None:
    """The ratings you are asked to give, and which are done."""
    tasks = _call(as_, lambda s, p: s.assessment_queries.my_tasks(p))
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
def assessment_rounds(as_: AsOption = "", as_json: JsonOption = False) -> None:
    """HR: every round with its status and counts."""
    found = _call(as_, lambda s, p: s.assessment_queries.rounds(p))
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
def assessment_progress(round_id: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """HR: who has rated (counts only for anonymous groups)."""
    progress = _call(as_, lambda s, p: s.assessment_queries.progress(p, round_id))

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
    round_id: str, employee_id: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """A person's competency profile of a closed round."""
    profile = _call(as_, lambda s, p: s.assessment_queries.profile(p, round_id, employee_id))
    _output(profile, as_json, _profile_lines)


@assessment_app.command("team")
def assessment_team(
    round_id: str, manager_id: str, as_: AsOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team profiles of a closed round, with the team's gaps."""
    team = _call(as_, lambda s, p: s.assessment_queries.team(p, round_id, manager_id))
    _output(
        team,
        as_json,
        lambda t: [
            *(line for p in t.profiles for line in _profile_lines(p)),
            *(g.text["en"] for g in t.gaps),
        ],
    )


@assessment_app.command("gaps")
def assessment_gaps(round_id: str, as_: AsOption = "", as_json: JsonOption = False) -> None:
    """HR: per competency the share below target and the courses it recommends."""
    report = _call(as_, lambda s, p: s.assessment_queries.gaps(p, round_id))
    _output(
        report,
        as_json,
        lambda r: [
            f"round {r.round_id}: {r.assessed} people assessed",
            *(f"  {g.text['en']}; courses: {', '.join(g.courses) or '-'}" for g in r.competencies),
        ],
    )


def main() -> None:
    app()


__all__ = ["SYSTEM", "app", "main"]
