"""Opening and the first report in one save (`Promotions.open_with_report`, the step of
the promotion workflow after its `promotion-local-steps` patch): the same events, with the
same metadata, as opening then reporting, written by one `save`; a retry writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from aggregates.ladder import Role
from aggregates.promotion_rules import Stage
from tests.applications.test_promotions_app import APP, REP, WORKFLOW, World, build

AS_OF = date(2026, 3, 10)


@pytest.fixture
def world() -> Iterator[World]:
    yield from build({})


def saves(world: World) -> list[int]:
    """Counts the application's saves, events in each (the real save runs)."""
    counted: list[int] = []
    real = world.promotions.save

    def save(*aggregates: Any, **kwargs: Any) -> Any:
        counted.append(sum(len(a.pending_events) for a in aggregates))
        return real(*aggregates, **kwargs)

    world.promotions.save = save  # type: ignore[method-assign]
    return counted


def shape(events: list[Any]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(type(e).__name__, e.meta.actor, e.meta.command_id, e.meta.workflow_id) for e in events]


def test_one_save_the_same_events_as_two_steps(world: World) -> None:
    counted = saves(world)
    summary = world.promotions.open_with_report(
        REP, APP, "E1", Role.sales_supervisor, WORKFLOW, AS_OF
    )
    assert counted == [2]  # Started and Submitted, one save
    combined = world.events()
    assert world.application().stage == Stage.manager_review
    assert summary.round == 1 and summary.manager_id == "M1"

    other = next(build({}))
    other.promotions.open_application(REP, APP, "E1", Role.sales_supervisor, WORKFLOW)
    two_steps = other.promotions.submit_report(APP, 1, AS_OF, REP)
    assert shape(combined) == shape(other.events())
    assert summary == two_steps


def test_a_retry_writes_nothing_and_answers_the_report(world: World) -> None:
    first = world.promotions.open_with_report(
        REP, APP, "E1", Role.sales_supervisor, WORKFLOW, AS_OF
    )
    counted = saves(world)
    again = world.promotions.open_with_report(
        REP, APP, "E1", Role.sales_supervisor, WORKFLOW, AS_OF
    )
    assert counted == [] and again == first
    assert [type(e).__name__ for e in world.events()] == ["Started", "Submitted"]
