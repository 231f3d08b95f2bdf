"""A read model view: rows and the tracking record written in one transaction, so each
event is applied exactly once and a restarted runner resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from aggregates.base import Aggregate
from careerflow.pools import most_recent_first
from projections.schema import READ_MODEL_INDEXES, READ_MODEL_TABLES

Apply = Callable[[Cursor[DictRow]], None]


# Notified in every batch's transaction (payload: the application name).
PROGRESS_CHANNEL = "careerflow_projected"


class ReadModelView(PostgresTrackingRecorder):
    """Every projection writes through one of these; each projection has its own
    tracking table, all share the read-model tables."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        most_recent_first(datastore.pool)
        schema = Identifier(self.datastore.schema)
        for ddl in [*READ_MODEL_TABLES.values(), *READ_MODEL_INDEXES]:
            self.sql_create_statements.append(SQL(ddl).format(schema=schema))

    def table(self, name: str) -> Identifier:
        return Identifier(self.datastore.schema, name)

    def apply(self, tracking: Tracking, change: Apply | None) -> bool:
        """Applies `change` and records `tracking` atomically; False if already applied."""
        return (
            self.apply_batch(tracking.application_name, [(tracking.notification_id, change)]) == 1
        )

    def apply_batch(
        self, application_name: str, changes: Sequence[tuple[int, Apply | None]]
    ) -> int:
        """Applies a batch of (notification id, change) in one transaction with one tracking
        record, the batch's last id; returns how many changes were applied. Positions at
        or below the recorded one are skipped, so a redelivered batch (or the part of one
        that another runner already applied) changes nothing."""
        if not changes:
            return 0
        with self.datastore.transaction(commit=True) as curs:
            # Rows and tracking record commit (or vanish) together, and a lost commit is
            # simply projected again: no need to wait for the WAL flush.
            curs.execute("SET LOCAL synchronous_commit TO off")
            # Lock this projection's position for the transaction: it is read, the rows
            # written after it, and moved to the batch's end, all or nothing.
            curs.execute(self._position_statement, (application_name,), prepare=True)
            row = curs.fetchone()
            position = int(row["notification_id"]) if row else 0
            fresh = [(nid, change) for nid, change in changes if nid > position]
            if not fresh:
                return 0
            for _, change in fresh:
                if change is not None:
                    change(curs)
            curs.execute(
                self.insert_tracking_statement,
                {"application_name": application_name, "notification_id": fresh[-1][0]},
                prepare=True,
            )
            # Delivered at commit, to the readiness refresher of whichever runner process
            # holds it (and to read-your-writes waiters): they wait for this, not a timer.
            curs.execute(
                "SELECT pg_notify(%s, %s)", (PROGRESS_CHANNEL, application_name), prepare=True
            )
        return len(fresh)

    @property
    def _position_statement(self) -> Composed:
        return SQL("SELECT notification_id FROM {0} WHERE application_name = %s FOR UPDATE").format(
            Identifier(self.datastore.schema, self.tracking_table_name)
        )

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


H = TypeVar("H", bound=Callable[..., Any])


def event_of(aggregate: type[Aggregate], name: str) -> type[Aggregate.Event]:
    """The class `aggregate.<name>`, made by the `@event` decorator (so unseen by the type
    checker): a misspelt name fails when the projection module is imported."""
    event_class = getattr(aggregate, name, None)
    if not (isinstance(event_class, type) and issubclass(event_class, aggregate.Event)):
        raise TypeError(f"{aggregate.__qualname__} has no event {name!r}")
    return event_class


def handles(*event_classes: type) -> Callable[[H], H]:
    """Marks a projection method as the handler of these event classes (and of their
    subclasses: a handler of an aggregate's `Event` sees every event of it)."""

    def mark(method: H) -> H:
        method.__dict__["handles"] = (*method.__dict__.get("handles", ()), *event_classes)
        return method

    return mark


class EventHandlers(Projection[ReadModelView]):
    """Dispatches each event on its class to the method marked `@handles(EventClass)`;
    the change it returns is applied with the tracking record. Events without a handler
    only advance tracking; `ignored` lists those that are left alone on purpose, so a new
    event class of a followed aggregate is a decision (tests/test_projection_dispatch.py)."""

    # The aggregates whose events reach this projection, and those it deliberately skips.
    aggregates: ClassVar[tuple[type[Aggregate], ...]] = ()
    ignored: ClassVar[tuple[type, ...]] = ()
    handlers: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[type, str] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                for event_class in getattr(attr, "handles", ()):
                    found[event_class] = name
        cls.handlers = found

    def handler_for(self, event_class: type) -> Callable[..., Any] | None:
        for klass in event_class.__mro__:
            name = self.handlers.get(klass)
            if name is not None:
                method: Callable[..., Any] = getattr(self, name)
                return method
        return None

    def change_for(self, domain_event: Any) -> Apply | None:
        handler = self.handler_for(type(domain_event))
        return handler(domain_event) if handler else None

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_batch([(domain_event, tracking)])

    def begin_batch(self) -> None:
        """Called before a batch's changes are made: a projection that does per-batch
        work (a mark set once per batch) resets its memory of the batch here."""

    def end_batch(self) -> Apply | None:
        """The change made once after a batch's changes, in its transaction (for work
        that the batch's changes collected, such as dirty marks); None: nothing."""
        return None

    def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
        """Applies the changes of a batch of events in one transaction (projections/
        runner.py hands over what the subscription has already fetched)."""
        self.begin_batch()
        changes = [(t.notification_id, self.change_for(event)) for event, t in batch]
        finish = self.end_batch()
        if finish is not None:
            # Under the last event's position: it runs when any of the batch is fresh,
            # after the changes that ran (a redelivered part collects nothing).
            changes.append((changes[-1][0], finish))
        self.view.apply_batch(batch[0][1].application_name, changes)


class TimelineHandlers(EventHandlers):
    """For read models with a timeline: every event of the followed aggregates becomes a
    step (`step`), and the handler marked for its class, if any, also updates the row —
    both in the change applied with the tracking record."""

    def change_for(self, domain_event: Any) -> Apply | None:
        if not isinstance(domain_event, tuple(a.Event for a in self.aggregates)):
            return None
        row = self.handler_for(type(domain_event))
        kind = type(domain_event).__name__

        def change(curs: Cursor[DictRow]) -> None:
            if row is not None:
                row(curs, domain_event)
            self.step(curs, domain_event, kind)

        return change

    def step(self, curs: Cursor[DictRow], e: Any, kind: str) -> None:
        raise NotImplementedError
