"""The PostgreSQL application recorder: every save is one statement, one round trip (the
class keeps its name from when it never pipelined), and a hash chain over every stored
event.

A save calls `<events table>_append(...)`, a PL/pgSQL function created with the tables,
in autocommit (the statement is its own transaction): it sets the lock timeout, locks the
events table IN EXCLUSIVE MODE (commit order = notification order: a reader tailing the
log never finds a lower id committing after a higher one), NOTIFYs the subscribers,
inserts the rows in one `INSERT ... unnest` (ids in the rows' order), then writes their
chain rows and returns the ids. The table stays locked only while the server works: no
client round trip happens under the lock (it was two to five, and a big save had to go
statement by statement because psycopg 3.3's pipeline stalled on big messages on a unix
socket here). Parameters are binary arrays: psycopg's text arrays escape every element
through regular expressions.

Tamper evidence: in the same transaction, under the same table lock, each event gets a
row in `<events table>_chain` with three SHA-256 hashes: of the event itself (id,
version, topic, stored bytes; computed here), of its stream (chained to the previous
event of the same aggregate) and of the log (chained to the previous notification and
this notification's position); the function computes the last two with the same
formulas as `stream_hash` and `log_hash` below. `careerflow.audit.integrity` walks both
tables (in Python, with these functions) and names the first event that was edited,
deleted, inserted or reordered."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from careerflow.listen import QuietSubscription
from careerflow.pools import most_recent_first

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


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def chain_table_name(events_table_name: str) -> str:
    return f"{events_table_name}_chain"


def append_function_name(events_table_name: str) -> str:
    return f"{events_table_name}_append"


# The function's body: {events}, {chain}, {channel} and {timeout} are filled in per table.
# `prev` is each event's previous event in this save of the same stream (NULL: the stream's
# head is the chain table's last row of it, or GENESIS for a new stream).
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION {function}(
    p_ids uuid[], p_versions bigint[], p_topics text[], p_states bytea[], p_hashes bytea[])
RETURNS SETOF bigint LANGUAGE plpgsql AS $body$
DECLARE
    n int := cardinality(p_ids);
    nids bigint[];
    prev int[];
    heads bytea[];
    streams bytea[] := '{{}}';
    logs bytea[] := '{{}}';
    last_log bytea;
    s bytea;
BEGIN
    SET LOCAL lock_timeout = {timeout};
    LOCK TABLE {events} IN EXCLUSIVE MODE;
    NOTIFY {channel};
    WITH inserted AS (
        INSERT INTO {events} (originator_id, originator_version, topic, state)
        SELECT * FROM unnest(p_ids, p_versions, p_topics, p_states)
        RETURNING notification_id)
    SELECT array_agg(notification_id ORDER BY notification_id) INTO nids FROM inserted;
    SELECT log_hash INTO last_log FROM {chain} ORDER BY notification_id DESC LIMIT 1;
    last_log := coalesce(last_log, {genesis});
    SELECT array_agg(q.before ORDER BY q.i), array_agg(q.head ORDER BY q.i)
    INTO prev, heads
    FROM (
        SELECT e.i, lag(e.i) OVER (PARTITION BY e.id ORDER BY e.i)::int AS before,
            (SELECT c.stream_hash FROM {chain} c WHERE c.originator_id = e.id
             ORDER BY c.originator_version DESC LIMIT 1) AS head
        FROM unnest(p_ids) WITH ORDINALITY AS e(id, i)) q;
    FOR i IN 1..n LOOP
        IF prev[i] IS NULL THEN
            s := coalesce(heads[i], {genesis});
        ELSE
            s := streams[prev[i]];
        END IF;
        s := sha256(s || p_hashes[i]);
        streams[i] := s;
        last_log := sha256(last_log || int8send(nids[i]) || s);
        logs[i] := last_log;
    END LOOP;
    INSERT INTO {chain}
    SELECT * FROM unnest(nids, p_ids, p_versions, p_hashes, streams, logs);
    RETURN QUERY SELECT unnest(nids);
END
$body$
"""


class UnpipelinedApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        most_recent_first(datastore.pool)
        schema = self.datastore.schema
        self.chain_table = Identifier(schema, chain_table_name(self.events_table_name))
        self.append_function = Identifier(schema, append_function_name(self.events_table_name))
        self.append_statement = SQL("SELECT a.id FROM {0}(%b, %b, %b, %b, %b) AS a(id)").format(
            self.append_function
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
        self.sql_create_statements.append(
            SQL(APPEND_FUNCTION).format(
                function=self.append_function,
                events=Identifier(schema, self.events_table_name),
                chain=self.chain_table,
                channel=Identifier(self.channel_name),
                timeout=Literal(f"{self.datastore.lock_timeout}s"),
                genesis=Literal(GENESIS),
            )
        )

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> QuietSubscription:
        """The projections' subscription: its listener sleeps until notified."""
        return QuietSubscription(recorder=self, gt=gt, topics=topics)

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
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)  # nothing, as in the library
                return self._append(curs, stored_events)

    def _append(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> list[int]:
        """One statement in autocommit: lock, NOTIFY, insert, chain, commit."""
        originators = [_uuid(e.originator_id) for e in stored_events]
        curs.execute(
            self.append_statement,
            (
                originators,
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
                [
                    event_hash(o, e.originator_version, e.topic, e.state)
                    for o, e in zip(originators, stored_events, strict=True)
                ],
            ),
            prepare=True,
        )
        ids = [int(row["id"]) for row in curs.fetchall()]
        if len(ids) != len(stored_events):
            raise ProgrammingError(f"got {len(ids)} notification ids for {len(stored_events)}")
        return ids


def _rows(
    recorder: PostgresAggregateRecorder, statement: Composed, params: Any
) -> list[StoredEvent]:
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, params, prepare=True)
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]


def select_last_of_each(
    recorder: PostgresAggregateRecorder, originator_ids: Sequence[UUID]
) -> list[StoredEvent]:
    """The last stored event of each of many streams in one read (an index probe each):
    for a snapshot table, each aggregate's latest snapshot."""
    statement = SQL(
        "SELECT s.originator_id, s.originator_version, s.topic, s.state "
        "FROM unnest(%s::uuid[]) AS i(id) CROSS JOIN LATERAL ("
        "SELECT * FROM {0}.{1} e WHERE e.originator_id = i.id "
        "ORDER BY e.originator_version DESC LIMIT 1) s"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    return _rows(recorder, statement, (list(originator_ids),))


def select_streams(
    recorder: PostgresAggregateRecorder, after: Mapping[UUID, int]
) -> list[StoredEvent]:
    """Many streams' events in one read, each after the version given (0: all of it), in
    stream and version order: what `Repository.get` reads, for many aggregates at once."""
    statement = SQL(
        "SELECT e.originator_id, e.originator_version, e.topic, e.state "
        "FROM unnest(%s::uuid[], %s::bigint[]) AS i(id, gt) "
        "JOIN {0}.{1} e ON e.originator_id = i.id AND e.originator_version > i.gt "
        "ORDER BY e.originator_id, e.originator_version"
    ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
    return _rows(recorder, statement, (list(after), list(after.values())))
