"""Pydantic + orjson persistence for the `eventsourcing` library: every stored event is
a pydantic model, serialised with orjson, optionally compressed and encrypted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, cast
from uuid import UUID

import orjson
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Recording,
)
from eventsourcing.domain import CollectEventsProtocol, DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoder
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from careerflow.recorders import select_last_of_each, select_streams


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


class PydanticMapper(Mapper[Any]):
    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        event_state = cast(BaseModel, domain_event).model_dump(mode="json")
        stored_state = self.transcoder.encode(event_state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=topic,
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[Any]:
        return cast(
            DomainEventProtocol[Any],
            resolve_topic(stored_event.topic)(**self.decode_state(stored_event)),
        )

    def decode_state(self, stored_event: StoredEvent) -> dict[str, Any]:
        """The event's fields as plain JSON data (used by audit exports too)."""
        stored_state = stored_event.state
        if self.cipher:
            stored_state = self.cipher.decrypt(stored_state)
        if self.compressor:
            stored_state = self.compressor.decompress(stored_state)
        return cast(dict[str, Any], self.transcoder.decode(stored_state))


class CollectingEvent(ProcessingEvent[Any]):
    """The library's ProcessingEvent, asking the (runtime-checkable, structural, so slow:
    ~40 µs) Protocol questions once per class instead of once per saved object: a third
    of the Python time of a 100-aggregate save went there."""

    _is_event: ClassVar[dict[type, bool]] = {}
    _collects: ClassVar[dict[type, bool]] = {}

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if obj is None:
                continue
            cls = type(obj)
            is_event = self._is_event.get(cls)
            if is_event is None:
                is_event = self._is_event[cls] = isinstance(obj, DomainEventProtocol)
            if is_event:
                self.events.append(obj)
                continue
            collects = self._collects.get(cls)
            if collects is None:
                collects = self._collects[cls] = isinstance(obj, CollectEventsProtocol)
            if collects:
                self.events.extend(obj.collect_events())
            self.aggregates[obj.id] = obj
        self.saved_kwargs.update(kwargs)


class PydanticApplication(Application[Any]):
    env: ClassVar[dict[str, str]] = {
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
        "MAPPER_TOPIC": get_topic(PydanticMapper),
    }
    # Sections of 10 make projection catch-up needlessly chatty.
    log_section_size = 500

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:
        """The library's save (same steps, same order) with `CollectingEvent`."""
        processing_event = CollectingEvent()
        processing_event.collect_events(*objs, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, as it does
        return recordings

    def find_many(self, idents: Iterable[UUID]) -> dict[UUID, Any]:
        """Many aggregates in two reads whatever their number (their latest snapshots, when
        the application takes them, then every stream's events after its snapshot), as
        `find` would give each one by one; an id with no event is absent. For reads of a
        batch (a launcher's reps); the aggregates are fresh copies, safe to change and save."""
        wanted = list(dict.fromkeys(idents))
        if not wanted:
            return {}
        if not isinstance(self.recorder, PostgresAggregateRecorder):
            # The library's in-memory persistence (tests): one by one.
            one_by_one = {ident: self.find(ident) for ident in wanted}
            return {ident: a for ident, a in one_by_one.items() if a is not None}
        found: dict[UUID, Any] = {}
        after = dict.fromkeys(wanted, 0)
        if self.snapshots is not None:
            snapshots = cast(PostgresAggregateRecorder, self.snapshots.recorder)
            for stored in select_last_of_each(snapshots, wanted):
                snapshot = cast(Any, self.snapshots.mapper.to_domain_event(stored))
                ident = _uuid(stored.originator_id)
                found[ident] = snapshot.mutate(None)
                after[ident] = stored.originator_version
        for stored in select_streams(self.recorder, after):
            event = cast(Any, self.mapper.to_domain_event(stored))
            ident = _uuid(stored.originator_id)
            found[ident] = event.mutate(found.get(ident))
        return {ident: found[ident] for ident in wanted if found.get(ident) is not None}

    def find(self, ident: UUID) -> Any | None:
        """The aggregate, or None; one read (`ident in repository` then `get` is two)."""
        try:
            return self.repository.get(ident)
        except AggregateNotFoundError:
            return None
