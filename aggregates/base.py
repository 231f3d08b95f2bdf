"""Pydantic-modelled events and the mutable aggregate base (the shape of the
`eventsourcing` library's examples 7 and 8), plus the context that stamps every event
with who did it, under which command and from which workflow."""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import (
    BaseAggregate,
    CanInitAggregate,
    CanMutateAggregate,
    CanSnapshotAggregate,
    datetime_now_with_tzinfo,
)
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from careerflow.messages import Gettext, Message

# All aggregate ids are derived from natural keys, so the same command always
# addresses the same aggregate (idempotent creation, no lookup tables).
CAREERFLOW_NS = uuid5(NAMESPACE_URL, "https://careerflow.invalid/")


def stable_id(kind: str, key: str) -> UUID:
    return uuid5(CAREERFLOW_NS, f"{kind}:{key}")


class Immutable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventMeta(Immutable):
    """Who, how and why: recorded on every event for the audit trail."""

    actor: str = "system"
    role: str = "system"
    command_id: str | None = None
    workflow_id: str | None = None
    reason: str | None = None


_current_meta: ContextVar[EventMeta | None] = ContextVar("careerflow_event_meta", default=None)


def current_meta() -> EventMeta:
    return _current_meta.get() or EventMeta()


@contextlib.contextmanager
def command_context(
    *,
    actor: str,
    role: str,
    command_id: str | None = None,
    workflow_id: str | None = None,
    reason: str | None = None,
) -> Iterator[EventMeta]:
    """Events created inside this block carry this metadata."""
    meta = EventMeta(
        actor=actor, role=role, command_id=command_id, workflow_id=workflow_id, reason=reason
    )
    token = _current_meta.set(meta)
    try:
        yield meta
    finally:
        _current_meta.reset(token)


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


class DomainError(Exception):
    """A command broke a business rule: the message says what and how to fix it.

    The message is a template with named `{placeholders}` and their values (see
    careerflow.messages): `str()` is the English; the API and the CLI say it in the
    reader's language. The template must be a string literal, so that it is extracted
    into the engine catalogue (tests/test_engine_messages.py checks every raise)."""

    def __init__(self, template: str | Message, /, **params: Any) -> None:
        self.message = template if isinstance(template, Message) else Message(template, **params)
        super().__init__(str(self.message))

    def say(self, gettext: Gettext, lang: str = "en") -> str:
        return self.message.say(gettext, lang)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the Message, not from the English text (pickling across processes).
        return (type(self), (self.message,), self.__dict__)


class NotFoundError(DomainError):
    pass


class PermissionDeniedError(DomainError):
    pass
