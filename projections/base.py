"""A read model view: rows and the tracking record written in one transaction, so each
event is applied exactly once and a restarted runner resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from aggregates.base import Aggregate
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
        self.view.apply(tracking, self.change_for(domain_event))


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
