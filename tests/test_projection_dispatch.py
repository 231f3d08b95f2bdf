"""Projections dispatch on event classes: every event class of an aggregate a projection
follows is handled, part of a timeline, or deliberately ignored — a new event class fails
here until its projection decides (no server needed)."""

from __future__ import annotations

import pytest

from aggregates.base import Aggregate
from projections.base import EventHandlers, TimelineHandlers
from projections.runner import PROJECTIONS

FOLLOWERS = [p for _, p in PROJECTIONS if issubclass(p, EventHandlers)]


def events_of(aggregate: type[Aggregate]) -> list[type]:
    found = [
        v
        for v in vars(aggregate).values()
        if isinstance(v, type) and issubclass(v, aggregate.Event) and v is not aggregate.Event
    ]
    # The library defines a default `Created`; it is never recorded when the aggregate has
    # its own creation event.
    own_created = [e for e in found if issubclass(e, Aggregate.Created) and e.__name__ != "Created"]
    return [e for e in found if not (e.__name__ == "Created" and own_created)]


def test_every_projection_dispatches_on_event_classes() -> None:
    assert all(issubclass(p, EventHandlers) for _, p in PROJECTIONS)


@pytest.mark.parametrize("projection", FOLLOWERS, ids=lambda p: p.__name__)
def test_every_event_class_is_handled_or_ignored(projection: type[EventHandlers]) -> None:
    assert projection.aggregates, "declare the aggregates whose events reach the projection"
    undecided = [
        e.__qualname__
        for aggregate in projection.aggregates
        for e in events_of(aggregate)
        if not any(k in projection.handlers for k in e.__mro__)
        and e not in projection.ignored
        and not issubclass(projection, TimelineHandlers)
    ]
    assert undecided == [], f"{projection.__name__}: handle or ignore {undecided}"


@pytest.mark.parametrize("projection", FOLLOWERS, ids=lambda p: p.__name__)
def test_handlers_and_ignored_belong_to_followed_aggregates(
    projection: type[EventHandlers],
) -> None:
    followed = tuple(a.Event for a in projection.aggregates)
    strays = [
        e.__qualname__
        for e in [*projection.handlers, *projection.ignored]
        if not issubclass(e, followed)
    ]
    assert strays == []
    assert not set(projection.handlers) & set(projection.ignored)
