"""Tamper evidence: walks every application's events beside its hash chain (see
careerflow.recorders), in notification order, streaming, and names the first event that
was edited, deleted, inserted or reordered. The last log hash of each application (its
head, with its position) is reported, so an auditor can keep it elsewhere and later check
that nobody recomputed the chain from some point on (`anchors`).

A store written before the chain existed (an upgraded install) starts with events that
have no chain row: that is named as `unchained`, with the command that chains them
(`careerflow audit backfill-chain`, chain_backfill.py), not as an insertion."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier
from pydantic import BaseModel

from careerflow.principal import AccessRole, Principal
from careerflow.recorders import GENESIS, chain_table_name, event_hash, log_hash, stream_hash
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService
    from careerflow.config import PostgresSettings
    from careerflow.store import Store

Problem = Literal["edited", "deleted", "inserted", "reordered", "head", "unchained"]
BACKFILL_HINT = "careerflow audit backfill-chain"
Progress = Callable[[str, int], None]


class Finding(BaseModel):
    application: str
    problem: Problem
    notification_id: int | None
    originator_id: UUID | None
    originator_version: int | None
    detail: str


class ApplicationCheck(BaseModel):
    application: str
    events: int
    head_position: int
    head: str
    """The last log hash (hex) and its position: keep both to detect a rewritten chain."""
    finding: Finding | None


class VerifyReport(BaseModel):
    ok: bool
    events: int
    applications: list[ApplicationCheck]

    @property
    def first_finding(self) -> Finding | None:
        return next((a.finding for a in self.applications if a.finding), None)


def require_verifier(principal: Principal) -> None:
    """Who may verify the event store (and start or follow a verification)."""
    principal.require(
        AccessRole.auditor,
        AccessRole.hr,
        AccessRole.system,
        action=Message("verify the event store"),
    )


def count_events(store: Store) -> dict[str, int]:
    """Each application's stored events (a verification's total, for its progress)."""
    counts: dict[str, int] = {}
    with psycopg.connect(store.pg.conninfo()) as conn:
        for app in store.applications():
            _, events, _, _ = events_with_chain(app.recorder)
            row = conn.execute(SQL("SELECT count(*) FROM {0}").format(events)).fetchone()
            counts[app.name] = int(row[0]) if row else 0
    return counts


def verify_store(
    store: Store,
    history: HistoryService,
    principal: Principal,
    anchors: dict[str, tuple[int, str]] | None = None,
    progress: Progress | None = None,
    batch: int = 5000,
) -> VerifyReport:
    """`anchors`: application -> (position, log hash) heads kept from an earlier run."""
    require_verifier(principal)
    checks = [
        _verify_application(
            store.pg, app.name, app.recorder, (anchors or {}).get(app.name), progress, batch
        )
        for app in store.applications()
    ]
    history.record(
        principal,
        "verify",
        "event store",
        "; ".join(f"{c.application}: {c.events} events, head {c.head[:16]}" for c in checks),
    )
    return VerifyReport(
        ok=all(c.finding is None for c in checks),
        events=sum(c.events for c in checks),
        applications=checks,
    )


def events_with_chain(recorder: object) -> tuple[str, Identifier, Identifier, Composed]:
    """An application's events table (its name and identifier), its chain table, and the
    query that reads every event beside its chain row, in log order (either side may be
    missing)."""
    events_table: str = getattr(recorder, "events_table_name")  # noqa: B009
    schema = getattr(getattr(recorder, "datastore"), "schema")  # noqa: B009
    events = Identifier(schema, events_table)
    chain = Identifier(schema, chain_table_name(events_table))
    query = SQL(
        "SELECT coalesce(e.notification_id, c.notification_id) AS position, "
        "e.notification_id AS event_position, e.originator_id, e.originator_version, "
        "e.topic, e.state, c.notification_id AS chain_position, "
        "c.originator_id AS chain_originator, c.originator_version AS chain_version, "
        "c.event_hash, c.stream_hash, c.log_hash "
        "FROM {0} e FULL OUTER JOIN {1} c ON e.notification_id = c.notification_id "
        "ORDER BY position"
    ).format(events, chain)
    return events_table, events, chain, query


def _verify_application(
    pg: PostgresSettings,
    name: str,
    recorder: object,
    anchor: tuple[int, str] | None,
    progress: Progress | None,
    batch: int,
) -> ApplicationCheck:
    events_table, _, _, query = events_with_chain(recorder)
    streams: dict[UUID, tuple[int, bytes]] = {}
    previous_log = GENESIS
    position = 0
    count = 0
    # Events before the first chain row: a store that predates the chain.
    unchained: dict[str, Any] | None = None
    unchained_count = 0
    unchained_last = 0

    def found(problem: Problem, row: dict[str, Any] | None, detail: str) -> ApplicationCheck:
        row = row or {}
        return ApplicationCheck(
            application=name,
            events=count,
            head_position=position,
            head=previous_log.hex(),
            finding=Finding(
                application=name,
                problem=problem,
                notification_id=row.get("position"),
                originator_id=row.get("originator_id") or row.get("chain_originator"),
                originator_version=row.get("originator_version") or row.get("chain_version"),
                detail=detail,
            ),
        )

    with (
        psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn,
        conn.cursor(name=f"verify_{events_table}") as curs,
    ):
        curs.itersize = batch
        curs.execute(query)
        for row in curs:
            if count == 0 and row["event_position"] is not None and row["chain_position"] is None:
                unchained = unchained or row
                unchained_count += 1
                unchained_last = row["position"]
                continue
            if unchained is not None:
                break
            if row["event_position"] is None:
                return found(
                    "deleted",
                    row,
                    f"the chain records {row['chain_originator']} v{row['chain_version']} at "
                    f"position {row['position']}, but the event is gone",
                )
            if row["chain_position"] is None:
                return found(
                    "inserted",
                    row,
                    f"{row['originator_id']} v{row['originator_version']} at position "
                    f"{row['position']} is not in the chain: it was not written by the engine",
                )
            originator: UUID = row["originator_id"]
            version: int = row["originator_version"]
            if (originator, version) != (row["chain_originator"], row["chain_version"]):
                return found(
                    "reordered",
                    row,
                    f"position {row['position']} holds {originator} v{version}; the chain "
                    f"recorded {row['chain_originator']} v{row['chain_version']} there",
                )
            last_version, last_stream = streams.get(originator, (0, GENESIS))
            if version != last_version + 1:
                problem: Problem = "reordered" if version <= last_version else "deleted"
                return found(
                    problem,
                    row,
                    f"{originator} v{version} follows v{last_version} in the log",
                )
            own = event_hash(originator, version, row["topic"], bytes(row["state"]))
            if own != bytes(row["event_hash"]):
                return found(
                    "edited",
                    row,
                    f"{originator} v{version} at position {row['position']} no longer matches "
                    "its recorded hash: its content was changed",
                )
            stream = stream_hash(last_stream, own)
            log = log_hash(previous_log, row["position"], stream)
            if stream != bytes(row["stream_hash"]) or log != bytes(row["log_hash"]):
                return found(
                    "edited",
                    row,
                    f"the chain at position {row['position']} does not follow from the "
                    "events before it: the chain itself was changed",
                )
            streams[originator] = (version, stream)
            previous_log = log
            position = row["position"]
            count += 1
            if anchor is not None and position == anchor[0] and log.hex() != anchor[1]:
                # Only possible when the chain was recomputed from some point on: the
                # head kept elsewhere is what shows it.
                return found(
                    "head",
                    row,
                    f"the log hash at position {position} is {log.hex()}, but the anchor "
                    f"kept from an earlier verification says {anchor[1]}",
                )
            if progress is not None and count % batch == 0:
                progress(name, count)
    if unchained is not None:
        return found(
            "unchained",
            unchained,
            f"{unchained_count} events at positions {unchained['position']}..{unchained_last} "
            f"have no chain: they predate the hash chain (an install from before it); "
            f"HR chains them with `{BACKFILL_HINT}`, then verify again",
        )
    if progress is not None:
        progress(name, count)
    if anchor is not None and anchor[0] > position:
        return found(
            "deleted",
            None,
            f"the anchor kept from an earlier verification is at position {anchor[0]}, "
            f"but the log now ends at {position}",
        )
    return ApplicationCheck(
        application=name,
        events=count,
        head_position=position,
        head=previous_log.hex(),
        finding=None,
    )
