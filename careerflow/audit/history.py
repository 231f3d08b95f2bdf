"""The ordered history of any application, weekly cycle, month close, development plan,
employee, policy, access token, support request or 360° assessment round, straight from
the event store (the audit record: Temporal forgets closed workflows, the store does
not): each event with its time, actor and role, command id, workflow id, reason and the
policy versions it names. Exported as JSON lines or as a readable HTML report; every read is itself
recorded. What a reader sees (pay, 360° anonymity) is decided by careerflow.audit.views."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast, get_args
from uuid import UUID

import orjson
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.access_token import token_uuid
from aggregates.assessment_round import round_uuid
from aggregates.audit_action import AuditAction
from aggregates.base import DomainError, DomainEvent, NotFoundError, command_context
from aggregates.development_plan import plan_uuid
from aggregates.employee import employee_uuid
from aggregates.metric_ledger import ledger_uuid
from aggregates.month_close import month_close_uuid
from aggregates.policy import policy_uuid
from aggregates.promotion import application_uuid
from aggregates.support_request import support_uuid
from aggregates.weekly_cycle import cycle_uuid
from careerflow.audit.views import AuditView
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from projections.visibility import reports_of
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.store import Store

SubjectKind = Literal[
    "application",
    "cycle",
    "month",
    "plan",
    "employee",
    "policy",
    "token",
    "support",
    "assessment",
]
SUBJECT_KINDS: tuple[str, ...] = get_args(SubjectKind)
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "event_id"}


class HistoryEntry(BaseModel):
    stream: str
    """Which aggregate: its kind and natural key (an employee's history has two)."""
    version: int
    event: str
    at: datetime
    actor: str
    role: str
    command_id: str | None
    workflow_id: str | None
    reason: str | None
    policy_versions: dict[str, int]
    data: dict[str, Any]


class History(BaseModel):
    kind: str
    subject: str
    entries: list[HistoryEntry]
    pay_redacted: bool = False
    """Bonus and commission figures were emptied: the reader may not see this pay."""
    withheld: dict[str, int] = {}
    """Events left out, by name, with how many (a round's per-rater events)."""


def _policy_versions(data: Any, prefix: str = "") -> dict[str, int]:
    """Every `*version*` number an event names (rule, template, criteria, settings...)."""
    found: dict[str, int] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}{key}"
            if "version" in key and isinstance(value, int) and not isinstance(value, bool):
                if key != "ledger_version":
                    found[path] = value
            elif isinstance(value, dict) and "version" in key:
                found.update({f"{path}.{k}": v for k, v in value.items() if isinstance(v, int)})
            else:
                found.update(_policy_versions(value, f"{path}."))
    elif isinstance(data, list):
        for item in data:
            found.update(_policy_versions(item, prefix))
    return found


class HistoryService:
    """`store`: the applications whose events are read (and `audit`, where each read is
    recorded); `read_pool`: the read models, for the reader's team."""

    def __init__(self, store: Store, read_pool: ConnectionPool) -> None:
        self.store = store
        self.read_pool = read_pool
        self.audit = store.audit

    def _streams(self, kind: str, ident: str) -> list[tuple[str, PydanticApplication, UUID]]:
        store = self.store

        def split(what: str) -> tuple[str, str]:
            first, sep, second = ident.partition("/")
            if not sep or not first or not second:
                raise DomainError(
                    "a {kind} is named {what}, got {ident!r}", kind=kind, what=what, ident=ident
                )
            return first, second

        if kind == "application":
            return [(f"application {ident}", store.promotions, application_uuid(ident))]
        if kind == "cycle":
            employee, week = split("EMPLOYEE/YYYY-Www (e.g. E00001/2026-W48)")
            return [(f"cycle {ident}", store.cycles, cycle_uuid(employee, week))]
        if kind == "month":
            employee, month = split("EMPLOYEE/YYYY-MM (e.g. E00001/2026-11)")
            return [(f"month {ident}", store.cycles, month_close_uuid(employee, month))]
        if kind == "plan":
            return [(f"plan {ident}", store.plans, plan_uuid(ident))]
        if kind == "employee":
            return [
                (f"employee {ident}", store.people, employee_uuid(ident)),
                (f"metrics {ident}", store.metrics, ledger_uuid(ident)),
            ]
        if kind == "policy":
            policy_kind, key = split("KIND/KEY (e.g. promotion_criteria/sales_supervisor)")
            return [(f"policy {ident}", store.policies, policy_uuid(policy_kind, key))]
        if kind == "token":
            # Issued and revoked: who for, which role, by whom (never the secret's hash).
            return [(f"token {ident}", store.access, token_uuid(ident))]
        if kind == "support":
            return [(f"support {ident}", store.support, support_uuid(ident))]
        if kind == "assessment":
            return [(f"assessment {ident}", store.assessments, round_uuid(ident))]
        raise DomainError(
            "unknown history kind {kind!r}; use one of {kinds}",
            kind=kind,
            kinds=", ".join(SUBJECT_KINDS),
        )

    def view(self, principal: Principal, kind: str, ident: str) -> AuditView:
        """What `principal` may see of the subject (pay, anonymity): one decision."""

        def team() -> set[str]:
            with self.read_pool.connection() as conn:
                return reports_of(cast(Connection[DictRow], conn), principal.person_id)

        return AuditView(principal, kind, ident, team)

    def history(
        self, principal: Principal, kind: str, ident: str, action: str = "history"
    ) -> History:
        """`action` names the read on the record (the API's and CLI's "history", a
        page's "page-view")."""
        principal.require(
            AccessRole.auditor,
            AccessRole.hr,
            AccessRole.system,
            action=Message("read event histories"),
        )
        view = self.view(principal, kind, ident)
        entries: list[HistoryEntry] = []
        found = 0
        for stream, app, ident_uuid in self._streams(kind, ident):
            for entry in self._entries(stream, app, ident_uuid):
                found += 1
                data = view.event(entry.event, entry.data)
                if data is not None:
                    entries.append(entry.model_copy(update={"data": data}))
        if not found:
            raise NotFoundError("no {kind} {ident!r} in the event store", kind=kind, ident=ident)
        entries.sort(key=lambda e: (e.at, e.stream, e.version))
        self.record(principal, action, f"{kind} {ident}", f"{len(entries)} events")
        return History(
            kind=kind,
            subject=ident,
            entries=entries,
            pay_redacted=view.pay_redacted,
            withheld=view.withheld,
        )

    def _entries(
        self, stream: str, app: PydanticApplication, ident: UUID
    ) -> Iterator[HistoryEntry]:
        for stored in app.events.get(ident):
            e = cast(DomainEvent, stored)
            data = {k: v for k, v in e.model_dump(mode="json").items() if k not in _ENVELOPE}
            meta = e.meta
            yield HistoryEntry(
                stream=stream,
                version=e.originator_version,
                event=type(e).__qualname__.split(".")[-1],
                at=e.timestamp,
                actor=meta.actor,
                role=meta.role,
                command_id=meta.command_id,
                workflow_id=meta.workflow_id,
                reason=meta.reason,
                policy_versions=_policy_versions(data),
                data=data,
            )

    def record(self, principal: Principal, action: str, subject: str, detail: str = "") -> None:
        with command_context(actor=principal.person_id, role=principal.role.value):
            self.audit.save(AuditAction(action=action, subject=subject, detail=detail))


def to_jsonl(history: History) -> bytes:
    return b"".join(orjson.dumps(e.model_dump(mode="json")) + b"\n" for e in history.entries)


def to_html(history: History) -> str:
    """A self-contained report a person can read and print."""
    esc = html.escape
    rows = []
    for e in history.entries:
        versions = ", ".join(f"{k} v{v}" for k, v in e.policy_versions.items()) or "-"
        data = esc(orjson.dumps(e.data, option=orjson.OPT_INDENT_2).decode())
        rows.append(
            "<tr>"
            f"<td>{esc(e.at.isoformat())}</td><td>{esc(e.stream)} #{e.version}</td>"
            f"<td><b>{esc(e.event)}</b></td><td>{esc(e.actor)} ({esc(e.role)})</td>"
            f"<td>{esc(e.command_id or '-')}</td><td>{esc(e.workflow_id or '-')}</td>"
            f"<td>{esc(e.reason or '-')}</td><td>{esc(versions)}</td>"
            f"<td><details><summary>data</summary><pre>{data}</pre></details></td>"
            "</tr>"
        )
    title = f"careerflow history: {history.kind} {history.subject}"
    notes = ""
    if history.pay_redacted:
        notes += "<p>Bonus and commission figures are hidden from this reader.</p>"
    if history.withheld:
        left_out = ", ".join(f"{n} {esc(k)}" for k, n in sorted(history.withheld.items()))
        notes += f"<p>Withheld for 360° anonymity: {left_out} (no rater, rating or moment).</p>"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>body{{font:14px system-ui,sans-serif;margin:2em}}"
        "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px;"
        "vertical-align:top;text-align:left}pre{white-space:pre-wrap;margin:0}</style></head>"
        f"<body><h1>{esc(title)}</h1><p>{len(history.entries)} events, oldest first.</p>"
        f"{notes}"
        "<table><thead><tr><th>time</th><th>stream</th><th>event</th><th>actor</th>"
        "<th>command</th><th>workflow</th><th>reason</th><th>policy versions</th>"
        "<th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></body></html>"
    )
