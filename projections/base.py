"""A read model view: rows and the tracking record written in one transaction, so each
event is applied exactly once and a restarted runner resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from projections.schema import READ_MODEL_INDEXES, READ_MODEL_TABLES

Apply = Callable[[Cursor[DictRow]], None]


class _AlreadyApplied(Exception):
    pass


class ReadModelView(PostgresTrackingRecorder):
    """Every projection writes through one of these; each projection has its own
    tracking table, all share the read-model tables."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        for ddl in [*READ_MODEL_TABLES.values(), *READ_MODEL_INDEXES]:
            self.sql_create_statements.append(SQL(ddl).format(schema=schema))

    def table(self, name: str) -> Identifier:
        return Identifier(self.datastore.schema, name)

    def apply(self, tracking: Tracking, change: Apply | None) -> bool:
        """Applies `change` and records `tracking` atomically; False if already applied."""
        try:
            with self.datastore.transaction(commit=True) as curs:
                # Rows and tracking record commit (or vanish) together, and a lost commit
                # is simply projected again: no need to wait for the WAL flush.
                curs.execute("SET LOCAL synchronous_commit TO off")
                # Tracking first: a redelivered notification stops here, changing nothing.
                curs.execute(
                    self.insert_tracking_statement,
                    {
                        "application_name": tracking.application_name,
                        "notification_id": tracking.notification_id,
                    },
                    prepare=True,
                )
                if curs.fetchone() is None:
                    raise _AlreadyApplied
                if change is not None:
                    change(curs)
        except _AlreadyApplied:
            return False
        return True

    def reset(self, truncate: list[str]) -> None:
        """Forgets this projection's position and the rows it owns (for a rebuild)."""
        with self.datastore.transaction(commit=True) as curs:
            for name in truncate:
                curs.execute(SQL("DELETE FROM {0}").format(self.table(name)))
            curs.execute(
                SQL("DELETE FROM {0} WHERE application_name <> %s").format(
                    Identifier(self.datastore.schema, self.tracking_table_name)
                ),
                (self.table_migration_identifier,),
            )


class EventHandlers(Projection[ReadModelView]):
    """Dispatches each event to the method named `_<Aggregate>_<Event>` (its change is
    applied with the tracking record); events without a handler only advance tracking."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        handler = getattr(self, "_" + type(domain_event).__qualname__.replace(".", "_"), None)
        change: Apply | None = handler(domain_event) if handler else None
        self.view.apply(tracking, change)
