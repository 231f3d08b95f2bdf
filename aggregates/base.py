"""Pydantic-modelled events and the mutable aggregate base (the shape of the
`eventsourcing` library's examples 7 and 8), plus the context that stamps every event
with who did it, under which command and from which workflow."""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
    datetime_now_with_tzinfo,
)
from pydantic import ConfigDict, Field, TypeAdapter

# Re-exported: the pure parts live apart so that workflows need not import eventsourcing.
from aggregates.errors import DomainError, NotFoundError, PermissionDeniedError
from aggregates.meta import (
    CAREERFLOW_NS,
    EventMeta,
    Immutable,
    command_context,
    current_meta,
    stable_id,
)

__all__ = [
    "CAREERFLOW_NS",
    "Aggregate",
    "AggregateSnapshot",
    "DomainError",
    "DomainEvent",
    "EventMeta",
    "Immutable",
    "NotFoundError",
    "PermissionDeniedError",
    "SnapshotState",
    "command_context",
    "current_meta",
    "stable_id",
]


class DomainEvent(Immutable):
    originator_id: UUID
    originator_version: int
    timestamp: datetime = Field(default_factory=datetime_now_with_tzinfo)
    meta: EventMeta = Field(default_factory=current_meta)
    event_id: UUID = Field(default_factory=uuid4)


_datetime_adapter = TypeAdapter(datetime)


class SnapshotState(Immutable):
    """Aggregate state in a snapshot; subclasses type the aggregate's attributes."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def __init__(self, **kwargs: Any) -> None:
        for key in ("_created_on", "_modified_on"):
            kwargs[key] = _datetime_adapter.validate_python(kwargs[key])
        super().__init__(**kwargs)


class AggregateSnapshot(DomainEvent, CanSnapshotAggregate[UUID]):
    topic: str
    state: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        state_type = typing.get_type_hints(cls)["state"]
        if not (isinstance(state_type, type) and issubclass(state_type, SnapshotState)):
            raise TypeError(f"{cls.__qualname__}.state must be annotated with a SnapshotState")


class Aggregate(BaseAggregate[UUID]):
    @staticmethod
    def create_id(*_: Any, **__: Any) -> UUID:
        return uuid4()

    class Event(DomainEvent, CanMutateAggregate[UUID]):
        pass

    class Created(Event, CanInitAggregate[UUID]):
        originator_topic: str
