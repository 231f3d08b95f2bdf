"""The two write paths of the hash-chain recorder and the policy document cache, on the
real PostgreSQL (bench/README.md's profile: an append cost nine round trips; the weekly
launch read the same policy documents four times per rep).

- Small saves go in pipeline mode, bigger ones statement by statement: both write the
  same chain, which verifies, and both refuse a conflicting version without leaving the
  events table locked.
- A kept policy document is only served while no newer version is stored: a version
  published by another process (another `Policies` application) is seen at the next read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from aggregates.base import command_context
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.employee import Employee
from bench.appends import employees
from bench.appends import move as move_one
from careerflow.applications.policies import Policies
from careerflow.audit.integrity import verify_store
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.recorders import UnpipelinedApplicationRecorder

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
HR = Principal(person_id="H001", role=AccessRole.hr)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        yield s


def move(staff: list[Employee]) -> None:
    with command_context(actor="test", role="system"):
        for e in staff:
            move_one(e)


@pytest.mark.parametrize("pipelined", [True, False], ids=["pipelined", "in-turn"])
def test_both_paths_chain_every_event_and_refuse_conflicts(
    services: Engine, monkeypatch: pytest.MonkeyPatch, pipelined: bool
) -> None:
    recorder = services.store.people.recorder
    assert isinstance(recorder, UnpipelinedApplicationRecorder)
    if not pipelined:
        monkeypatch.setattr(UnpipelinedApplicationRecorder, "pipeline_max_bytes", 0)
    calls: list[str] = []
    for name in ("_insert_pipelined", "_insert_in_turn"):
        real = getattr(recorder, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(recorder, name, spy)

    staff = employees(6)
    services.store.people.save(*staff)  # several streams in one save
    for e in staff:  # one event per save, each extending its stream
        move([e])
        services.store.people.save(e)
    move(staff[:3])
    services.store.people.save(*staff[:3])
    expected = "_insert_pipelined" if pipelined else "_insert_in_turn"
    assert set(calls) == {expected}

    # A conflicting version is refused, and the next writer is not blocked by it.
    stale: Employee = services.store.people.repository.get(staff[0].id)
    move([stale])
    move([staff[0]])
    services.store.people.save(staff[0])
    with pytest.raises(IntegrityError):
        services.store.people.save(stale)
    done = threading.Event()

    def write() -> None:
        services.store.people.save(*employees(1, start=100))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(30), "the events table stayed locked"

    report = verify_store(services.store, services.history, AUDITOR)
    assert report.ok and report.first_finding is None
    counts = {a.application: a.events for a in report.applications}
    assert counts["people"] == 6 + 6 + 3 + 1 + 1


def test_a_version_published_elsewhere_is_seen_at_the_next_read(services: Engine) -> None:
    services.policies.seed(HR)
    reader = services.policies
    first, version = reader.in_force(WeeklyCycleSettings)
    again, _ = reader.in_force(WeeklyCycleSettings)
    assert again is first  # kept: parsed once per version

    # Another process (its own application and cache) publishes a new version.
    with Policies(env=services.store.env) as other:
        changed = first.model_dump(mode="json") | {"max_plan_factor": first.max_plan_factor + 1}
        assert other.publish(HR, "weekly_cycle", "default", changed, "test") == version + 1

    latest, latest_version = reader.in_force(WeeklyCycleSettings)
    assert latest_version == version + 1
    assert latest.max_plan_factor == first.max_plan_factor + 1
    assert reader.current("weekly_cycle", "default").version == version + 1
    # The older version is still there, exactly as published.
    assert reader.version("weekly_cycle", "default", version).document == first.model_dump(
        mode="json"
    )
