"""The PostgreSQL application recorder, without the client-side pipeline.

The library pipelines its insert; with a multi-megabyte batch (a whole metric export in
one all-or-nothing transaction) that stalled psycopg on a unix socket here. The insert is
a single `unnest` statement anyway, so a plain transaction does the same work: lock the
table (commit order = notification order), notify subscribers, insert, read the ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry


class UnpipelinedApplicationRecorder(PostgresApplicationRecorder):
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
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
