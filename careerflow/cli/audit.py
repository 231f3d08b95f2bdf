"""Audit: histories, the hash chain, re-evaluation, time travel, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from careerflow.cli import audit_statements as said
from careerflow.cli.common import (
    JsonOption,
    TokenOption,
    _act,
    _call,
    _call_on_temporal,
    _fail,
    _lang,
    _moment,
    _plain,
    _stated,
)
from careerflow.principal import Principal
from words.messages import Invalid, Message

if TYPE_CHECKING:
    from temporalio.client import Client

    from careerflow.config import Settings
    from careerflow.engine import Engine


audit_app = typer.Typer(no_args_is_help=True, help="Audit: replay, verify, export.")


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
    from careerflow.audit.history import to_html, to_jsonl

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
        from careerflow.api import i18n

        wrote = Message("wrote {count} events to {out}", count=len(history.entries), out=str(out))
        typer.echo(i18n.say(wrote, _lang()))
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
    background: Annotated[
        bool,
        typer.Option(
            "--background",
            help="Start the verification as a workflow and print its id at once; follow "
            "it with `audit verification ID` (the pages' and the API's verification).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Walk the event store's hash chains and name the first event that was edited,
    deleted, inserted or reordered; exits 1 if any was. Progress goes to stderr."""
    from careerflow.audit.integrity import verify_store

    if background:
        if anchors is not None or save_anchors is not None:
            _fail(Message("--background keeps no heads; drop --anchors and --save-anchors"))

        async def start(s: Engine, client: Client, settings: Settings, p: Principal) -> Any:
            verify_id = await s.verify_process(client, settings.temporal.task_queue).start(p)
            return {"verify_id": verify_id}

        _stated(_call_on_temporal(token, start), as_json, said.verify_started)
        return

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

    from careerflow.cli.progress import counting

    def plain(app_name: str, count: int) -> None:
        typer.echo(f"verify: {app_name}: {count} events", err=True)

    with counting(Message("verifying"), _lang(), plain) as progress:
        report = _call(token, lambda s, p: verify_store(s.store, s.history, p, kept, progress))
    if save_anchors is not None:
        heads = {a.application: [a.head_position, a.head] for a in report.applications}
        save_anchors.write_text(json.dumps(heads, indent=2))
    _stated(report, as_json, said.verified)
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


@audit_app.command("verification")
def audit_verification(
    verify_id: Annotated[str, typer.Argument(help="The id `audit verify --background` printed")],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """A background verification: running (events checked of the total), done (its
    report) or failed; exits 1 when it failed or found a tampered event."""

    async def status(s: Engine, client: Client, settings: Settings, p: Principal) -> Any:
        return await s.verify_process(client, settings.temporal.task_queue).status(p, verify_id)

    found = _call_on_temporal(token, status)
    _stated(found, as_json, said.verification)
    if found.state == "failed" or (found.report is not None and not found.report.ok):
        raise typer.Exit(1)


@audit_app.command("backfill-chain")
def audit_backfill_chain(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """HR, once after upgrading an install from before the hash chain: chain the events
    that have none, so `audit verify` passes (refused, changing nothing, if the store
    shows anything else; recorded). Keep the new heads it prints."""
    from careerflow.audit.chain_backfill import backfill_chain

    _act(token, lambda s, p: backfill_chain(s.store, s.history, p), as_json, said.backfilled)


@audit_app.command("items")
def audit_items_command(
    token: TokenOption = "",
    kind: Annotated[
        str,
        typer.Option(
            help="application, cycle, month, plan, employee, policy, token, support or assessment"
        ),
    ] = "",
    person: Annotated[str, typer.Option(help="Whose (a round: a person assessed).")] = "",
    since: Annotated[str, typer.Option(help="From this day (YYYY-MM-DD).")] = "",
    until: Annotated[str, typer.Option(help="To this day, inclusive (YYYY-MM-DD).")] = "",
    limit: Annotated[int, typer.Option(help="Items on the page.")] = 100,
    cursor: Annotated[str, typer.Option(help="`next` or `previous` of an earlier page.")] = "",
    as_json: JsonOption = False,
) -> None:
    """What there is to audit, newest first, a page at a time, each with the history
    that tells it."""
    from datetime import date

    from careerflow.audit.index import audit_items
    from careerflow.validation import parse_day

    days: list[date | None] = []
    for name, text in (("--since", since), ("--until", until)):
        try:
            days.append(parse_day(name, text))
        except Invalid as exc:
            _fail(exc.message)
    _act(
        token,
        lambda s, p: audit_items(
            s.audit_queries,
            s.history,
            p,
            kind or None,
            person or None,
            days[0],
            days[1],
            limit,
            cursor or None,
        ),
        as_json,
        said.items,
    )


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
    as_json: JsonOption = False,
) -> None:
    """Re-run a recorded decision from its recorded inputs and policy versions; exits 1
    and lists the differing fields if the outcome is not identical."""
    result = _call(token, lambda s, p: s.reevaluation.reevaluate(p, kind, ident))
    _stated(result, as_json, said.reevaluated)
    if not result.identical:
        raise typer.Exit(1)


@audit_app.command("what-if")
def audit_what_if(
    kind: Annotated[str, typer.Argument(help="promotion_criteria or potential_weights")],
    key: Annotated[str, typer.Argument(help="the target role, or default for weights")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    token: TokenOption = "",
    as_json: JsonOption = False,
) -> None:
    """Evaluate a draft document against every employee before publishing it: who would
    become (in)eligible, who joins or leaves the candidate pool."""
    from careerflow.audit.what_if import what_if

    try:
        draft = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(Message("{file}: not a JSON document ({error})", file=str(file), error=str(exc)))
    _act(
        token,
        lambda s, p: what_if(s.policies, s.read_pool, s.history, p, kind, key, draft),
        as_json,
        said.what_if,
    )


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
    as_json: JsonOption = False,
) -> None:
    """An aggregate's state at a version or as of a moment."""
    moment = _moment(at) if at else None
    _act(
        token,
        lambda s, p: s.time_travel.aggregate(p, kind, ident, version or None, moment),
        as_json,
        said.states,
    )


@audit_app.command("readiness-at")
def audit_readiness_at(
    employee_id: str, at: str, token: TokenOption = "", as_json: JsonOption = False
) -> None:
    """One employee's readiness as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(
        token,
        lambda s, p: s.time_travel.readiness_at(p, employee_id, moment),
        as_json,
        said.readiness_at,
    )


@audit_app.command("pool-at")
def audit_pool_at(at: str, token: TokenOption = "", as_json: JsonOption = False) -> None:
    """The candidate pool as it was at a moment, rebuilt from the events up to it."""
    moment = _moment(at)
    _act(token, lambda s, p: s.time_travel.candidate_pool_at(p, moment), as_json, said.pool_at)


@audit_app.command("check-projections")
def audit_check_projections(token: TokenOption = "", as_json: JsonOption = False) -> None:
    """Rebuild every read model into a scratch schema and diff it against the live one,
    row by row; exits 1 on any difference."""
    from careerflow.audit.projection_check import check_projections

    report = _call(token, lambda s, p: check_projections(s.store, s.history, p))
    _stated(report, as_json, said.projections_checked)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("replay-workflows")
def audit_replay_workflows(
    token: TokenOption = "",
    days: Annotated[int, typer.Option(help="Also workflows closed in the last N days.")] = 7,
    limit: Annotated[int, typer.Option(help="At most this many histories (0: all).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Replay running and recently closed workflows against this code (before a deploy);
    exits 1 when any history no longer replays."""
    from datetime import timedelta

    from careerflow.audit.workflow_replay import replay_workflows

    async def replay(s: Engine, client: Client, settings: Settings, p: Principal) -> Any:
        report = await replay_workflows(p, client, timedelta(days=days), limit=limit or None)
        s.history.record(p, "replay-workflows", f"{report.replayed} histories")
        return report

    report = _call_on_temporal(token, replay)
    _stated(report, as_json, said.replayed)
    if report.failures:
        raise typer.Exit(1)
