"""The PostgreSQL application recorder: without the client-side pipeline, and with a hash
chain over every stored event.

The library pipelines its insert; with a multi-megabyte batch (a whole metric export in
one all-or-nothing transaction) that stalled psycopg on a unix socket here. The insert is
a single `unnest` statement anyway, so a plain transaction does the same work: lock the
table (commit order = notification order), notify subscribers, insert, read the ids.

Tamper evidence: in the same transaction, under the same table lock, each event gets a
row in `<events table>_chain` with three SHA-256 hashes: of the event itself (id,
version, topic, stored bytes), of its stream (chained to the previous event of the same
aggregate) and of the log (chained to the previous notification and this notification's
position). `careerflow.services.integrity` walks both tables and names the first event
that was edited, deleted, inserted or reordered."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

GENESIS = bytes(32)


def event_hash(originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    return hashlib.sha256(
        originator_id.bytes
        + version.to_bytes(8, "big", signed=True)
        + topic.encode()
        + b"\x00"
        + state
    ).digest()


def stream_hash(previous: bytes, event: bytes) -> bytes:
    return hashlib.sha256(previous + event).digest()


def log_hash(previous: bytes, notification_id: int, stream: bytes) -> bytes:
    return hashlib.sha256(previous + notification_id.to_bytes(8, "big") + stream).digest()


def chain_table_name(events_table_name: str) -> str:
    return f"{events_table_name}_chain"


class UnpipelinedApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.chain_table = Identifier(
            self.datastore.schema, chain_table_name(self.events_table_name)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0} ("
                "notification_id bigint PRIMARY KEY, "
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "event_hash bytea NOT NULL, "
                "stream_hash bytea NOT NULL, "
                "log_hash bytea NOT NULL)"
            ).format(self.chain_table)
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {0} ON {1} (originator_id, originator_version)").format(
                Identifier(f"{chain_table_name(self.events_table_name)}_stream_idx"),
                self.chain_table,
            )
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            # The hook runs even without events (a process recorder's tracking-only write).
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return []
            self._insert_stored_events(curs, stored_events, **kwargs)
            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if ids:
                self._chain(curs, stored_events, ids)
            return ids

    def _chain(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], ids: Sequence[int]
    ) -> None:
        # The table lock taken for the insert is still held: nobody else is chaining.
        curs.execute(
            SQL("SELECT log_hash FROM {0} ORDER BY notification_id DESC LIMIT 1").format(
                self.chain_table
            )
        )
        row = curs.fetchone()
        previous_log = bytes(row["log_hash"]) if row else GENESIS
        originators = sorted({UUID(str(e.originator_id)) for e in stored_events})
        curs.execute(
            SQL(
                "SELECT DISTINCT ON (originator_id) originator_id, stream_hash FROM {0} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC"
            ).format(self.chain_table),
            (originators,),
        )
        streams = {r["originator_id"]: bytes(r["stream_hash"]) for r in curs.fetchall()}
        rows = []
        for stored, notification_id in zip(stored_events, ids, strict=True):
            originator = UUID(str(stored.originator_id))
            own = event_hash(originator, stored.originator_version, stored.topic, stored.state)
            stream = stream_hash(streams.get(originator, GENESIS), own)
            streams[originator] = stream
            previous_log = log_hash(previous_log, notification_id, stream)
            rows.append(
                (notification_id, originator, stored.originator_version, own, stream, previous_log)
            )
        # One statement (executemany would pipeline, which stalled on big batches here).
        columns = [list(c) for c in zip(*rows, strict=True)]
        curs.execute(
            SQL(
                "INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::uuid[], %s::bigint[], "
                "%s::bytea[], %s::bytea[], %s::bytea[])"
            ).format(self.chain_table),
            columns,
        )
