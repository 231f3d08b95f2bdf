"""Chaining the events of an install that predates the hash chain (HR, recorded).

An upgraded install starts each events table with events that have no chain row; the
events written since the upgrade were chained as if the log began with them (the log and
every stream from the genesis hash). Backfilling hashes the old events and rebases the
newer rows onto them, so the whole table is one chain again and `audit verify` passes.

It only does that for exactly this shape, under the table lock writers take: the
unchained events must all come before the first chain row, and the chain after them must
verify as a chain that began there. Anything else (an event without a chain row after
chained ones, a chain row without its event, a chain that does not follow from its
events) is tampering, which verify names; then nothing is changed. Heads kept from an
earlier verification change with the rebase: keep the new ones this report gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL
from pydantic import BaseModel

from aggregates.base import DomainError
from careerflow.audit.integrity import events_with_chain
from careerflow.principal import AccessRole, Principal
from careerflow.recorders import GENESIS, event_hash, log_hash, stream_hash
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService
    from careerflow.config import PostgresSettings
    from careerflow.store import Store

BATCH = 5000


class BackfilledApplication(BaseModel):
    application: str
    chained: int
    """Old events given a chain row."""
    rebased: int
    """Rows written since the upgrade, now chained onto the old events."""
    head_position: int
    head: str


class BackfillReport(BaseModel):
    chained: int
    applications: list[BackfilledApplication]


def backfill_chain(store: Store, history: HistoryService, principal: Principal) -> BackfillReport:
    principal.require(AccessRole.hr, action=Message("chain the events that predate the hash chain"))
    done = [_backfill(store.pg, app.name, app.recorder) for app in store.applications()]
    report = BackfillReport(chained=sum(a.chained for a in done), applications=done)
    history.record(
        principal,
        "backfill-chain",
        "event store",
        "; ".join(
            f"{a.application}: {a.chained} chained, {a.rebased} rebased, head {a.head[:16]}"
            for a in done
        ),
    )
    return report


def _refuse(name: str, position: Any, what: Message) -> DomainError:
    return DomainError(
        "{application}: position {position} {what}; this is not a store from before the hash "
        "chain, so nothing was chained (`careerflow audit verify` names the problem)",
        application=name,
        position=position,
        what=what,
    )


def _backfill(pg: PostgresSettings, name: str, recorder: object) -> BackfilledApplication:
    events_table, events, chain, select = events_with_chain(recorder)
    new_rows: list[tuple[int, UUID, int, bytes, bytes, bytes]] = []
    rebased: list[tuple[int, bytes, bytes]] = []
    streams: dict[UUID, tuple[int, bytes]] = {}  # the whole chain, as it will be
    fresh: dict[UUID, bytes] = {}  # the rows since the upgrade, as they were chained
    log, fresh_log = GENESIS, GENESIS
    position = 0
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        # Writers lock the table to append and chain: nobody appends meanwhile.
        conn.execute(SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(events))
        with conn.cursor(name=f"backfill_{events_table}") as curs:
            curs.itersize = BATCH
            curs.execute(select)
            for row in curs:
                position = row["position"]
                if row["event_position"] is None:
                    raise _refuse(name, position, Message("has a chain row but no event"))
                originator: UUID = row["originator_id"]
                version: int = row["originator_version"]
                last_version, last_stream = streams.get(originator, (0, GENESIS))
                if version != last_version + 1:
                    raise _refuse(
                        name,
                        position,
                        Message(
                            "holds {originator} v{version} after v{last}",
                            originator=str(originator),
                            version=version,
                            last=last_version,
                        ),
                    )
                own = event_hash(originator, version, row["topic"], bytes(row["state"]))
                stream = stream_hash(last_stream, own)
                log = log_hash(log, position, stream)
                streams[originator] = (version, stream)
                if row["chain_position"] is None:
                    if rebased:
                        raise _refuse(
                            name, position, Message("has no chain row after chained events")
                        )
                    new_rows.append((position, originator, version, own, stream, log))
                    continue
                was_stream = stream_hash(fresh.get(originator, GENESIS), own)
                was_log = log_hash(fresh_log, position, was_stream)
                recorded = (
                    row["chain_originator"],
                    row["chain_version"],
                    bytes(row["event_hash"]),
                    bytes(row["stream_hash"]),
                    bytes(row["log_hash"]),
                )
                if recorded != (originator, version, own, was_stream, was_log):
                    raise _refuse(name, position, Message("does not match its chain row"))
                fresh[originator], fresh_log = was_stream, was_log
                rebased.append((position, stream, log))
        if new_rows:
            for start in range(0, len(new_rows), BATCH):
                columns = [list(c) for c in zip(*new_rows[start : start + BATCH], strict=True)]
                conn.execute(
                    SQL(
                        "INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::uuid[], "
                        "%s::bigint[], %s::bytea[], %s::bytea[], %s::bytea[])"
                    ).format(chain),
                    columns,
                )
            for start in range(0, len(rebased), BATCH):
                columns = [list(c) for c in zip(*rebased[start : start + BATCH], strict=True)]
                conn.execute(
                    SQL(
                        "UPDATE {0} c SET stream_hash = u.stream_hash, log_hash = u.log_hash "
                        "FROM unnest(%s::bigint[], %s::bytea[], %s::bytea[]) "
                        "AS u(notification_id, stream_hash, log_hash) "
                        "WHERE c.notification_id = u.notification_id"
                    ).format(chain),
                    columns,
                )
        else:
            rebased = []  # nothing predates the chain: nothing to rebase either
        conn.commit()
    return BackfilledApplication(
        application=name,
        chained=len(new_rows),
        rebased=len(rebased),
        head_position=position,
        head=log.hex(),
    )
