"""`careerflow` command line. Every command that changes or reads business data acts as
the principal of an API token: --token, CAREERFLOW_TOKEN, or the one `careerflow login`
saved. Exit codes: 2 usage, 3 no usable token, 4 refused, 5 not found, 6 invalid."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aggregates.base import DomainError
from careerflow.cli_auth import ExitCode, exit_code
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


_acting: Principal | None = None  # who the command acts as: its profile says the language


def _authenticated(services: Services, token: str) -> Principal:
    """The token's principal, checked like the API's bearer tokens."""
    from careerflow import cli_auth

    global _acting
    _acting = _run(lambda: cli_auth.authenticate(services, token))
    return _acting


def _operator(text: str) -> Principal:
    """A stack command's principal: --as ROLE:ID, else the local operator."""
    from careerflow.cli_auth import local_operator

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


def _fail(message: Message, code: int = ExitCode.INVALID) -> None:
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


def _access_role(role: str) -> Any:
    from careerflow.principal import AccessRole

    try:
        return AccessRole(role)
    except ValueError:
        _fail(
            Message(
                "unknown role {role!r}; use employee, manager, hr, auditor or integration",
                role=role,
            )
        )


@token_app.command("issue")
def token_issue(
    person_id: str,
    role: Annotated[str, typer.Option(help="employee, manager, hr, auditor or integration")],
    token: TokenOption = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int, typer.Option(help="Days until it expires (0: never).")] = 90,
) -> None:
    """HR: issue an API token for a person and role; the token is shown once."""
    access = _access_role(role)
    _act(token, lambda s, p: s.tokens.issue(p, person_id, access, label, days or None))


@token_app.command("bootstrap")
def token_bootstrap(
    person_id: str,
    role: Annotated[str, typer.Option(help="hr: the first HR token of an install.")] = "hr",
    as_: OperatorOption = "",
    label: Annotated[str, typer.Option(help="What the token is for.")] = "bootstrap",
    days: Annotated[int, typer.Option(help="Days until it expires (0: never).")] = 90,
) -> None:
    """Operator: issue an HR token with direct database access, no token needed (the
    first one of an install; HR issues every other). Recorded as the operator's act."""
    from careerflow.principal import AccessRole
    from careerflow.services.registry import Services

    if _access_role(role) != AccessRole.hr:
        _fail(
            Message(
                "bootstrap issues HR tokens only; HR issues every other token with "
                "`careerflow token issue`"
            ),
            ExitCode.USAGE,
        )
    operator = _operator(as_)
    with Services.open(load_settings()) as services:
        issued = _run(
            lambda: services.tokens.issue(operator, person_id, AccessRole.hr, label, days or None)
        )
    _echo_json(_plain(issued))


@token_app.command("revoke")
def token_revoke(
    token_id: str,
    reason: Annotated[str, typer.Option(help="Why (recorded).")],
    token: TokenOption = "",
) -> None:
    """HR: revoke an API token (by its id, the part after cf_ and before the dot)."""
    _act(
        token, lambda s, p: {"token_id": token_id, "revoked": s.tokens.revoke(p, token_id, reason)}
    )


@token_app.command("list")
def token_list(token: TokenOption = "") -> None:
    """HR and auditors: who holds which tokens (never the secrets)."""
    _act(token, lambda s, p: s.tokens.list_tokens(p))


def _whoami(principal: Principal, services: Services) -> dict[str, Any]:
    with services.read_pool.connection() as conn:
        row: Any = conn.execute(
            "SELECT name FROM rm_employee WHERE employee_id = %s", (principal.person_id,)
        ).fetchone()
    name = row["name"] if row else None
    return {"person_id": principal.person_id, "role": principal.role.value, "name": name}


@app.command()
def login(
    token: TokenOption = "",
    demo: Annotated[
        str,
        typer.Option(help="Use the demo's token of ROLE:ID (var/demo-tokens.json), e.g. hr:H001."),
    ] = "",
) -> None:
    """Check a token against the engine and save it for the next commands (mode 0600,
    $XDG_CONFIG_HOME/careerflow/token); asks for it unless given. Prints who you are."""
    from careerflow import cli_auth
    from careerflow.services.registry import Services

    settings = load_settings()
    if demo:
        token = _demo_token(settings.var_dir / "demo-tokens.json", demo)
    if not token:
        token = typer.prompt("API token", hide_input=True, err=True)
    with Services.open(settings) as services:
        principal = _run(lambda: services.tokens.authenticate(token))
        who = _whoami(principal, services)
    path = cli_auth.save_token(token)
    _echo_json({**who, "saved_in": str(path)})


def _demo_token(path: Path, who: str) -> str:
    try:
        tokens: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(
            Message("{path} does not exist: load the demo first", path=str(path)),
            ExitCode.NOT_FOUND,
        )
        raise
    if who not in tokens:
        _fail(
            Message(
                "the demo has no token for {who!r}; it has: {held}",
                who=who,
                held=", ".join(sorted(tokens)),
            ),
            ExitCode.NOT_FOUND,
        )
    return tokens[who]


@app.command()
def logout() -> None:
    """Forget the token `careerflow login` saved (it stays valid: HR revokes tokens)."""
    from careerflow import cli_auth

    path = cli_auth.forget_token()
    _echo_json({"logged_out": path is not None, "removed": str(path) if path else None})


@app.command()
def whoami(token: TokenOption = "") -> None:
    """Who the commands act as: the token's person and role."""
    _act(token, lambda s, p: _whoami(p, s))


@audit_app.command("history")
def audit_history(
    kind: Annotated[
        str,
        typer.Argument(
            help="application, cycle, month, plan, employee, policy, support, assessment"
        ),
    ],
    ident: Annotated[
        str,
        typer.Argument(
            help="e.g. an application id, E00001/2026-W48, policy kind/key, a support "
            "request id, an assessment round id"
        ),
    ],
    token: TokenOption = "",
    fmt: Annotated[str, typer.Option("--format", help="json, jsonl or html")] = "json",
    out: Annotated[Path | None, typer.Option(help="Write to this file instead.")] = None,
) -> None:
    """The ordered events of one subject with who, when, command, workflow and the
    policy versions used (auditors and HR; the read is itself recorded)."""
    from careerflow.services.history import to_html, to_jsonl

    if fmt not in ("json", "jsonl", "html"):
        _fail(Message("unknown --format {fmt!r}; use json, jsonl or html", fmt=fmt))
    history = _call(token, lambda s, p: s.history.history(p, kind, ident))
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
    token: TokenOption = "",
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

    report = _call(token, lambda s, p: verify_store(s, p, kept, progress))
    if save_anchors is not None:
        heads = {a.application: [a.head_position, a.head] for a in report.applications}
        save_anchors.write_text(json.dumps(heads, indent=2))
    _echo_json(_plain(report))
    if not report.ok:
        finding = report.first_finding
        if finding is not None and finding.problem == "unchained":
            from careerflow.api import i18n

            hint = Message(
                "this store predates the hash chain: HR runs `careerflow audit "
                "backfill-chain` once, then verify passes"
            )
            typer.echo(f"hint: {i18n.say(hint, _lang())}", err=True)
        raise typer.Exit(1)


@audit_app.command("backfill-chain")
def audit_backfill_chain(token: TokenOption = "") -> None:
    """HR, once after upgrading an install from before the hash chain: chain the events
    that have none, so `audit verify` passes (refused, changing nothing, if the store
    shows anything else; recorded). Keep the new heads it prints."""
    from careerflow.services.chain_backfill import backfill_chain

    _act(token, lambda s, p: backfill_chain(s, p))


@audit_app.command("items")
def audit_items_command(
    token: TokenOption = "",
    kind: Annotated[
        str, typer.Option(help="application, cycle, month, plan, support or assessment")
    ] = "",
    person: Annotated[str, typer.Option(help="Whose (a round: a person assessed).")] = "",
    since: Annotated[str, typer.Option(help="From this day (YYYY-MM-DD).")] = "",
    until: Annotated[str, typer.Option(help="To this day, inclusive (YYYY-MM-DD).")] = "",
) -> None:
    """What there is to audit, newest first, each with the history that tells it."""
    from datetime import date

    from careerflow.services.audit_index import audit_items

    days: list[date | None] = []
    for name, text in (("--since", since), ("--until", until)):
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            _fail(Message("{option} {text!r} is not a day; use YYYY-MM-DD", option=name, text=text))
    _act(token, lambda s, p: audit_items(s, p, kind or None, person or None, days[0], days[1]))


@audit_app.command("reevaluate")
def audit_reevaluate(
    kind: Annotated[str, typer.Argument(help="application, month, support or assessment")],
    ident: Annotated[
        str,
        typer.Argument(
            help="an application id, EMPLOYEE/YYYY-MM, a support request id or a round id"
        ),
    ],
    token: TokenOption = "",
) -> None:
    """Re-run a recorded decision from its recorded inputs and policy versions; exits 1
    and lists the differing fields if the outcome is not identical."""
    result = _call(token, lambda s, p: s.reevaluation.reevaluate(p, kind, ident))
    _echo_json(_plain(result))
    if not result.identical:
        raise typer.Exit(1)


@audit_app.command("what-if")
def audit_what_if(
    kind: Annotated[str, typer.Argument(help="promotion_criteria or potential_weights")],
    key: Annotated[str, typer.Argument(help="the target role, or default for weights")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
) -> None:
    """Evaluate a draft document against every employee before publishing it: who would
    become (in)eligible, who joins or leaves the candidate pool."""
    from careerflow.services.what_if import what_if

    try:
        draft = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(Message("{file}: not a JSON document ({error})", file=str(file), error=str(exc)))
    _act(token, lambda s, p: what_if(s, p, kind, key, draft))


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
    kind: Annotated[
        str,
        typer.Argument(
            help="application, cycle, month, plan, employee, policy, support, assessment"
        ),
    ],
    ident: str,
    token: TokenOption = "",
    version: Annotated[int, typer.Option(help="This version (0: latest).")] = 0,
    at: Annotated[str, typer.Option(help="As of this moment (ISO 8601 with a zone).")] = "",
) -> None:
    """An aggregate's state at a version or as of a moment."""
    moment = _moment(at) if at else None
    _act(
        token,
        lambda s, p: s.time_travel.aggregate(p, kind, ident, version or None, moment),
    )


@audit_app.command("readiness-at")
def audit_readiness_at(employee_id: str, at: str, token: TokenOption = "") -> None:
    """One employee's readiness as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(token, lambda s, p: s.time_travel.readiness_at(p, employee_id, moment))


@audit_app.command("pool-at")
def audit_pool_at(at: str, token: TokenOption = "") -> None:
    """The candidate pool as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(token, lambda s, p: s.time_travel.candidate_pool_at(p, moment))


@audit_app.command("check-projections")
def audit_check_projections(token: TokenOption = "") -> None:
    """Rebuild every read model into a scratch schema and diff it against the live one,
    row by row; exits 1 on any difference."""
    from careerflow.services.projection_check import check_projections

    report = _call(token, lambda s, p: check_projections(s, p))
    _echo_json(_plain(report))
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("replay-workflows")
def audit_replay_workflows(
    token: TokenOption = "",
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

    report = _call_on_temporal(token, replay)
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
    as_: OperatorOption = "",
) -> None:
    """Operator: rebuild every read model from zero (waits until it has caught up)."""
    from careerflow.projection_service import rebuild_read_models

    principal = _operator(as_)
    _run(lambda: rebuild_read_models(load_settings(), principal))
    typer.echo("read models rebuilt")


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    batch: Annotated[str, typer.Option(help="Batch id; default: the file's hash.")] = "",
) -> None:
    """Ingest a CSV or JSON-lines metric export: all rows or none."""
    from careerflow.services.ingest import detect_format

    _act(
        token,
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
    token: TokenOption = "",
    note: Annotated[str, typer.Option(help="Why this version.")] = "",
) -> None:
    """Publish a new version of a policy document (JSON file)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        _fail(Message("{file}: not valid JSON: {error}", file=str(file), error=str(exc)))
    version = _call(token, lambda s, p: s.policies.publish(p, kind, key, document, note))
    typer.echo(f"{kind}/{key} version {version} is in force")


@policy_app.command("show")
def policy_show(
    kind: str,
    key: str,
    version: Annotated[int, typer.Option(help="A past version; default: current.")] = 0,
    token: TokenOption = "",
) -> None:
    """Print a policy document (anyone with a token, as in the API)."""
    found = _call(
        token,
        lambda s, p: (
            s.policies.version(kind, key, version) if version else s.policies.current(kind, key)
        ),
    )
    _echo_json(found.model_dump(mode="json"))


@policy_app.command("seed")
def policy_seed(as_: OperatorOption = "") -> None:
    """Operator: publish the version-1 documents of domain.md where none exists."""
    from careerflow.services.registry import Services

    principal = _operator(as_)
    with Services.open(load_settings()) as services:
        _echo_json(_run(lambda: services.policies.seed(principal)))


calendar_app = typer.Typer(no_args_is_help=True, help="The company's working-day calendar.")
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("check")
def calendar_check(year: int, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR, auditors: is YEAR's working-day calendar known (exit 0) or would it be
    guessed (exit 1)? Says from what, and the extra days published for it."""
    from careerflow.api import i18n
    from careerflow.services.calendar import CalendarService

    found = _call(token, lambda s, p: CalendarService(s.policies).check(p, year))
    lang = _lang()
    _output(found, as_json, lambda c: [i18n.say(line, lang) for line in c.lines()])
    if not found.covered:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command()
def readiness(
    employee_id: str,
    token: TokenOption = "",
) -> None:
    """Potential score and distance to the next role, from the read model."""
    _act(token, lambda services, principal: services.queries.readiness(principal, employee_id))


@app.command()
def language(
    language: Annotated[str, typer.Argument(help="zh (Simplified Chinese) or en (English)")],
    employee: Annotated[
        str, typer.Option("--employee", help="Whose profile (HR); default: your own.")
    ] = "",
    token: TokenOption = "",
) -> None:
    """Set a profile's language: notifications, and the pages, the API and these commands
    unless switched (CAREERFLOW_LANG), follow it. People set their own, HR anyone's."""
    _act(
        token,
        lambda services, principal: services.people.set_language(
            principal, employee or principal.person_id, language
        ),
    )


TargetOption = Annotated[
    str, typer.Option("--target", help="Target role; default: the employee's next rung.")
]
ApplicationArg = Annotated[
    str, typer.Argument(help="The application's id (from `promotion start` or `promotion list`).")
]


def _promotion_call(token: str, call: Any) -> None:
    """Runs `call` on the promotion process service (the one the API calls: the same
    checks, the same refusals)."""
    from careerflow.services.promotion_process import PromotionProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = PromotionProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal)

    _act_on_temporal(token, go)


CommandIdOption = Annotated[
    str,
    typer.Option(
        "--command-id",
        help="This step's command id (default: a new one, in the answer). When an answer "
        "is lost (a timeout, a crash), run the same command with the same id: a step "
        "already recorded under it is answered with its outcome, not refused.",
    ),
]


def _promotion_step(token: str, command_id: str, call: Any) -> None:
    """A step on an application under a command id (a fresh one unless given); when its
    answer is lost, says how to send the same command again safely."""
    from careerflow.api import i18n
    from careerflow.services.updates import command_id_or_new

    command_id = _run(lambda: command_id_or_new(command_id or None))
    try:
        _promotion_call(token, lambda f, p: call(f, p, command_id))
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
def promotion_start(employee_id: str, token: TokenOption = "", target: TargetOption = "") -> None:
    """Start an application (HR for anyone, employees for themselves); idempotent."""
    from aggregates.ladder import Role

    try:
        role = Role(target) if target else None
    except ValueError:
        _fail(
            Message(
                "unknown role {role!r}; use one of: {valid}",
                role=target,
                valid=", ".join(r.value for r in Role),
            )
        )
    _promotion_call(token, lambda f, p: f.start(p, employee_id, role))


@promotion_app.command("decide")
def promotion_decide(
    application_id: ApplicationArg,
    token: TokenOption = "",
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The decision.")] = True,
    comment: Annotated[str, typer.Option(help="Required when rejecting.")] = "",
    command_id: CommandIdOption = "",
) -> None:
    """The manager's decision (or HR acting for the manager)."""
    _promotion_step(
        token,
        command_id,
        lambda f, p, c: f.decide_application(p, application_id, approve, comment, c),
    )


@promotion_app.command("resubmit")
def promotion_resubmit(
    application_id: ApplicationArg, token: TokenOption = "", command_id: CommandIdOption = ""
) -> None:
    """Resubmit a returned application; it is re-evaluated on fresh data."""
    _promotion_step(token, command_id, lambda f, p, c: f.resubmit_application(p, application_id, c))


@promotion_app.command("withdraw")
def promotion_withdraw(
    application_id: ApplicationArg,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    command_id: CommandIdOption = "",
) -> None:
    """Withdraw an application (the applicant or HR)."""
    _promotion_step(
        token, command_id, lambda f, p, c: f.withdraw_application(p, application_id, reason, c)
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
    )


@promotion_app.command("list")
def promotion_list(
    token: TokenOption = "",
    stage: Annotated[str, typer.Option(help="Only this stage.")] = "",
) -> None:
    """Applications you may see, from the read model."""
    _act(
        token,
        lambda services, principal: services.promotion_queries.applications(
            principal, stage or None
        ),
    )


@promotion_app.command("show")
def promotion_show(application_id: str, token: TokenOption = "") -> None:
    """An application's status and timeline."""
    _act(
        token,
        lambda services, principal: services.promotion_queries.application(
            principal, application_id
        ),
    )


@promotion_app.command("pipeline")
def promotion_pipeline(token: TokenOption = "") -> None:
    """HR: open applications by stage and age; cycle time against the target."""
    _act(
        token,
        lambda services, principal: {
            "pipeline": services.promotion_queries.pipeline(principal),
            "cycle_times": services.promotion_queries.cycle_times(principal),
            "returned": services.promotion_queries.returned(principal),
        },
    )


def _plan_call(token: str, call: Any) -> None:
    from careerflow.services.plan_process import PlanProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        return await call(
            PlanProcessService(services, client, settings.temporal.task_queue), principal
        )

    _act_on_temporal(token, go)


@plan_app.command("start")
def plan_start(
    employee_id: str,
    token: TokenOption = "",
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
    _plan_call(token, lambda f, p: f.start(p, employee_id, day, plan_role))


@plan_app.command("confirm")
def plan_confirm(
    plan_id: str,
    milestone_id: str,
    token: TokenOption = "",
    comment: Annotated[str, typer.Option(help="What was achieved.")] = "",
) -> None:
    """The manager (or HR) confirms a milestone of kind 'confirmed'."""
    _plan_call(token, lambda f, p: f.confirm(p, plan_id, milestone_id, comment))


@plan_app.command("move")
def plan_move(
    plan_id: str,
    milestone_id: str,
    due_month: int,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
) -> None:
    """Move a milestone's due month (manager or HR, with a reason)."""
    _plan_call(
        token,
        lambda f, p: f.adjust(
            p, plan_id, "move", reason, milestone_id=milestone_id, due_month=due_month
        ),
    )


@plan_app.command("add")
def plan_add(
    plan_id: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
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
    _plan_call(token, lambda f, p: f.adjust(p, plan_id, "add", reason, milestone=milestone))


@plan_app.command("drop")
def plan_drop(
    plan_id: str,
    milestone_id: str,
    token: TokenOption = "",
    reason: Annotated[str, typer.Option(help="Required.")] = "",
) -> None:
    """Drop a milestone (manager or HR, with a reason)."""
    _plan_call(token, lambda f, p: f.adjust(p, plan_id, "drop", reason, milestone_id=milestone_id))


@plan_app.command("show")
def plan_show(employee_id: str, token: TokenOption = "") -> None:
    """An employee's plans with live progress."""
    _act(token, lambda services, principal: services.plan_queries.plans_of(principal, employee_id))


@plan_app.command("team")
def plan_team(token: TokenOption = "") -> None:
    """A manager's view of every plan in the team."""
    _act(token, lambda services, principal: services.plan_queries.team(principal))


@plan_app.command("overview")
def plan_overview(token: TokenOption = "") -> None:
    """HR: plans on track, at risk and overdue."""
    _act(token, lambda services, principal: services.plan_queries.overview(principal))


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


def _cycle_call(
    token: str, call: Callable[[CycleProcessService, Principal], Awaitable[Any]]
) -> Any:
    """Runs `call` on the cycle process service (the workflows on Temporal)."""
    from careerflow.services.cycle_process import CycleProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = CycleProcessService(services, client, settings.temporal.task_queue)
        return await call(flow, principal)

    return _call_on_temporal(token, go)


def _output(result: Any, as_json: bool, text: Callable[[Any], list[str]]) -> None:
    if as_json:
        _echo_json(_plain(result))
    else:
        typer.echo("\n".join(text(result)))


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
    _output(info, as_json, lambda i: _plan_text(i, "plan recorded"))


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

    def lines(i: CycleInfo) -> list[str]:
        out = [f"feedback recorded for {i.employee_id}, week {i.week}"]
        if next_plan is not None:
            agreed = ", ".join(f"{k} {_num(v)}" for k, v in next_plan.items())
            out.append(f"next week's plan agreed: {agreed}")
        return out

    _output(info, as_json, lines)


@cycle_app.command("show")
def cycle_show(
    employee_id: str, week: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A rep's week: plan vs actual, expected pay, rank in the team, feedback."""
    week_view = _call(token, lambda s, p: s.cycle_queries.rep_week(p, employee_id, week))
    _output(week_view, as_json, _rep_week_text)


@cycle_app.command("board")
def cycle_board(
    manager_id: str, week: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A manager's team board for a week: who planned, who lags, feedback."""
    board = _call(token, lambda s, p: s.cycle_queries.team_board(p, manager_id, week))
    _output(board, as_json, _board_text)


@cycle_app.command("completion")
def cycle_completion(week: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: plans, reports and feedback per team for a week."""
    rates = _call(token, lambda s, p: s.cycle_queries.completion_rates(p, week))
    _output(rates, as_json, _completion_text)


@cycle_app.command("statement")
def cycle_statement(
    employee_id: str, month: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """A closed month's bonus and commission with their derivation, and training."""
    statement = _call(token, lambda s, p: s.cycle_queries.bonus_statement(p, employee_id, month))
    _output(statement, as_json, _statement_text)


@cycle_app.command("goals")
def cycle_goals(year: int, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The goal cascade for a year: company, team and individual targets."""
    overview = _call(token, lambda s, p: s.goal_queries.cascade(p, year))
    _output(overview, as_json, _goals_text)


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
) -> None:
    """HR: start the week's cycles (or a month close) for every rep now."""
    kind = "month" if month else "week"
    if period:
        _period_arg(period, kind, "2026-11" if month else "2026-W48")
    workflow_id = _cycle_call(token, lambda f, p: f.launch(p, kind, period or None))
    result = {"workflow_id": workflow_id, "kind": kind, "period": period or None}
    default = "the current week" if kind == "week" else "the previous month"
    _output(
        result,
        as_json,
        lambda r: [f"launched {kind} {period or default}: workflow {r['workflow_id']}"],
    )


@cycle_app.command("schedules")
def cycle_schedules(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR: create or update the weekly and month-close schedules; prints their next runs.

    Run again after publishing a new weekly_cycle document to move them."""
    states = _cycle_call(token, lambda f, p: f.ensure_schedules(p))
    _output(states, as_json, _schedules_text)


# -- support requests ------------------------------------------------------------------
def _support_call(token: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the support process service (the request workflows on Temporal)."""
    from careerflow.services.support_process import SupportProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = SupportProcessService(services, client, settings.temporal.task_queue)
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
        # The amount in a column of its own: a line may say its figure too ("= 530").
        for line in figures.lines or []:
            out.append(f"  {_num(line.amount):>10}  {line.text.get('en', line.key)}")
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


def _act(token: str, call: Callable[[Services, Principal], Any]) -> None:
    """Runs `call` as the token's principal on freshly opened services; prints the result."""
    _echo_json(_plain(_call(token, call)))


def _call(token: str, call: Callable[[Services, Principal], Any]) -> Any:
    """Runs `call` as the token's principal on freshly opened services; returns the result."""
    from careerflow.services.registry import Services

    with Services.open(load_settings()) as services:
        principal = _authenticated(services, token)
        return _run(lambda: call(services, principal))


def _act_on_temporal(
    token: str, call: Callable[[Services, Client, Settings, Principal], Awaitable[Any]]
) -> None:
    """As `_act`, for commands that start or steer workflows."""
    _echo_json(_plain(_call_on_temporal(token, call)))


def _call_on_temporal(
    token: str, call: Callable[[Services, Client, Settings, Principal], Awaitable[Any]]
) -> Any:
    """As `_call`, for commands that start or steer workflows; the token is checked
    before Temporal is reached, so a refused caller starts nothing."""
    import asyncio

    from careerflow.services.registry import Services
    from worker import connect

    settings = load_settings()

    async def go(services: Services, principal: Principal) -> Any:
        client = await connect(settings)
        return await call(services, client, settings, principal)

    with Services.open(settings) as services:
        principal = _authenticated(services, token)
        return _run(lambda: asyncio.run(go(services, principal)))


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


# -- 360° competency assessments ----------------------------------------------------------
def _assessment_call(token: str, call: Callable[[Any, Principal], Awaitable[Any]]) -> Any:
    """Runs `call` on the assessment process service (the round workflows on Temporal)."""
    from careerflow.services.assessment_process import AssessmentProcessService

    async def go(
        services: Services, client: Client, settings: Settings, principal: Principal
    ) -> Any:
        flow = AssessmentProcessService(services, client, settings.temporal.task_queue)
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
    found = _call(token, lambda s, p: s.assessment_queries.rounds(p))
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


def main() -> None:
    app()


__all__ = ["SYSTEM", "app", "main"]
