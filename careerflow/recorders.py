"""The PostgreSQL application recorder: the client-side pipeline only for small saves (the
class keeps its name from when it never pipelined), and a hash chain over every stored
event.

The library pipelines its insert; with a big batch (a metric export in one all-or-nothing
transaction) that stalled psycopg on a unix socket here, for good, with the events table
locked: psycopg 3.3's pipeline stops flushing once its commands are queued, even if the
socket took only part of them, and waits for a reply the server cannot send before it has
read the whole message. So only saves whose messages fit into an empty socket buffer go in
pipeline mode: up to `pipeline_max_bytes` of stored state (a command's events, not an
import), in two round trips: BEGIN, lock the table (commit order = notification order),
notify subscribers, insert and read the chain heads in the first; the chain rows (hashed
here) and COMMIT in the second. Bigger saves send the same statements one at a time, in
five round trips (BEGIN, lock and NOTIFY in one simple query), beside the data. It was
nine. BEGIN and COMMIT are plain statements for that (psycopg's transaction block costs a
round trip at each end); whatever fails, the transaction is rolled back before the
connection goes back to the pool.

Tamper evidence: in the same transaction, under the same table lock, each event gets a
row in `<events table>_chain` with three SHA-256 hashes: of the event itself (id,
version, topic, stored bytes), of its stream (chained to the previous event of the same
aggregate) and of the log (chained to the previous notification and this notification's
position). `careerflow.audit.integrity` walks both tables and names the first event
that was edited, deleted, inserted or reordered."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from careerflow.listen import QuietSubscription

GENESIS = bytes(32)
BEGIN = SQL("BEGIN")
COMMIT = SQL("COMMIT")


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
    # Saves with more stored state than this are not pipelined (see the module's doc):
    # their message (about twice the state, hex in text) stays far below a socket buffer.
    pipeline_max_bytes: ClassVar[int] = 16 * 1024

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> QuietSubscription:
        """The projections' subscription: its listener sleeps until notified."""
        return QuietSubscription(recorder=self, gt=gt, topics=topics)

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.chain_table = Identifier(
            self.datastore.schema, chain_table_name(self.events_table_name)
        )
        self.begin_lock_and_notify_statement = SQL("; ").join(
            [
                BEGIN,
                *self.lock_table_statements,
                SQL("NOTIFY {0}").format(Identifier(self.channel_name)),
            ]
        )
        # The log's last hash (originator_id NULL) and each given stream's last hash.
        self.chain_heads_statement = SQL(
            "(SELECT NULL::uuid AS originator_id, log_hash AS hash FROM {0} "
            "ORDER BY notification_id DESC LIMIT 1) UNION ALL "
            "(SELECT DISTINCT ON (originator_id) originator_id, stream_hash FROM {0} "
            "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version DESC)"
        ).format(self.chain_table)
        self.insert_chain_statement = SQL(
            "INSERT INTO {0} SELECT * FROM unnest(%s::bigint[], %s::uuid[], %s::bigint[], "
            "%s::bytea[], %s::bytea[], %s::bytea[])"
        ).format(self.chain_table)
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
        with self.datastore.get_connection() as conn:
            if not stored_events:
                # The hook runs even without events (a process recorder's tracking write).
                with conn.transaction(), conn.cursor() as curs:
                    self._insert_events(curs, stored_events, **kwargs)
                return []
            # BEGIN and COMMIT are sent as plain statements, so that they travel with the
            # others (psycopg's transaction block would add a round trip at each end).
            try:
                if sum(len(e.state) for e in stored_events) <= self.pipeline_max_bytes:
                    return self._insert_pipelined(conn, stored_events, **kwargs)
                return self._insert_in_turn(conn, stored_events, **kwargs)
            finally:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    with contextlib.suppress(psycopg.Error):  # a broken one is discarded
                        conn.rollback()

    def _insert_pipelined(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Two round trips: BEGIN, lock, NOTIFY, insert and the chain heads; then (with the
        hashes computed here) the chain rows and COMMIT."""
        failure: Exception | None = None
        ids: Sequence[int] | None = None
        with (
            conn.cursor() as curs,
            conn.cursor() as insert,
            conn.cursor() as heads,
            conn.pipeline() as pipeline,  # exits (sends and waits) before the cursors close
        ):
            try:
                curs.execute(BEGIN, prepare=False)
                self._insert_events(curs, stored_events, **kwargs)
                # The library's: SET LOCAL lock_timeout, LOCK TABLE, NOTIFY, INSERT.
                self._insert_stored_events(insert, stored_events, **kwargs)
                self._select_heads(heads, stored_events)
                pipeline.sync()
                ids = self._fetch_ids_after_insert_events(insert, stored_events, **kwargs)
                if ids:
                    self._insert_chain(curs, self._chain_rows(heads, stored_events, ids))
                curs.execute(COMMIT, prepare=False)  # sent, and waited for, on exit
            except Exception as exc:  # raised after the pipeline is closed (no warning)
                failure = exc
        if failure is not None:
            raise failure
        return ids

    def _insert_in_turn(
        self, conn: Connection[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Without the pipeline, five round trips: BEGIN, lock and NOTIFY in one simple
        query; the insert; the chain heads; the chain rows; COMMIT."""
        with conn.cursor() as curs:
            curs.execute(self.begin_lock_and_notify_statement)  # no parameters: one query
            self._insert_events(curs, stored_events, **kwargs)
            PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events, **kwargs)
            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if ids:
                self._select_heads(curs, stored_events)
                self._insert_chain(curs, self._chain_rows(curs, stored_events, ids))
            curs.execute(COMMIT, prepare=False)
            return ids

    def _select_heads(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> None:
        # Run under the table lock taken for the insert: nobody else is chaining.
        originators = sorted({UUID(str(e.originator_id)) for e in stored_events})
        curs.execute(self.chain_heads_statement, (originators,), prepare=True)

    def _chain_rows(
        self, heads: Cursor[DictRow], stored_events: Sequence[StoredEvent], ids: Sequence[int]
    ) -> list[tuple[Any, ...]]:
        previous_log = GENESIS
        streams: dict[UUID, bytes] = {}
        for row in heads.fetchall():
            if row["originator_id"] is None:
                previous_log = bytes(row["hash"])
            else:
                streams[row["originator_id"]] = bytes(row["hash"])
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
        return rows

    def _insert_chain(self, curs: Cursor[DictRow], rows: list[tuple[Any, ...]]) -> None:
        # One statement (executemany would pipeline, which stalled on big batches here).
        columns = [list(c) for c in zip(*rows, strict=True)]
        curs.execute(self.insert_chain_statement, columns, prepare=True)
