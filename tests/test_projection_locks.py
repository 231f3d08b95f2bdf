"""One advisory lock per projection and one for the readiness refresher: shared runners
(`ReadModels(shared=True)`, as `careerflow projections run` starts them) split them
fairly, hand them over when one stops, and read-your-writes waits hold in a runner that
runs only some projections. Two real processes: tests/fault/test_projection_share.py."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from aggregates.base import command_context
from careerflow.config import PostgresSettings
from careerflow.demo_loader import load_demo_into
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.runner import READINESS, ReadModels, all_projection_locks


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as engine:
        yield engine


def shared(pg: PostgresSettings) -> ReadModels:
    return ReadModels(pg, application_env(pg), shared=True, claim_every=0.0)


def test_shared_runners_split_the_locks_and_take_over_from_a_stopped_one(
    pg: PostgresSettings, services: Engine
) -> None:
    load_demo_into(services, reps=12, teams=2, if_empty=False)
    every = set(ReadModels.lock_names())
    first, second = shared(pg), shared(pg)
    first.start()
    try:
        assert set(first.held()) == every  # alone: everything
        second.start()
        assert second.held() == []  # nothing free yet
        with all_projection_locks(pg) as got:
            assert not got  # a rebuild is refused while runners hold locks
        first.check()  # two present now: gives up what is above its share
        second.check()
        assert sorted([len(first.held()), len(second.held())]) == [5, 6]
        assert not set(first.held()) & set(second.held())
        assert set(first.held()) | set(second.held()) == every

        # Read-your-writes in a runner without the people projection.
        without = first if "people_projection" not in first.held() else second
        employee = services.people.get("E00002")
        other = next(t for t in ("T001", "T002") if t != employee.team_id)
        with command_context(actor="test", role="system"):
            employee.move(other, employee.manager_id)
        services.store.people.save(employee)
        without.wait({"people": services.store.people.recorder.max_notification_id() or 0})
        with psycopg.connect(pg.conninfo()) as conn:
            row = conn.execute(
                "SELECT team_id FROM rm_employee WHERE employee_id = 'E00002'"
            ).fetchone()
        assert row == (other,)
    finally:
        first.stop()
    second.check()  # the first's locks are free: the second takes them all
    try:
        assert set(second.held()) == every
        assert READINESS in second.held()
        second.wait_caught_up(services.store.applications(), timeout=60)
    finally:
        second.stop()
    with all_projection_locks(pg) as got:
        assert got  # no runner left: a rebuild may go ahead
