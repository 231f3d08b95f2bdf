"""The hash-chain recorder's write path and the policy document cache, on the real
PostgreSQL (bench/HISTORY.md's profile: an append cost nine round trips, then two; the
weekly launch read the same policy documents four times per rep).

- Every save is one statement (a PL/pgSQL function): small and big saves write the
  chain, which verifies, refuse a conflicting version without leaving the events table
  locked, and concurrent writers leave a gap-free log that a tailing reader reads whole.
- A kept policy document is only served while no newer version is stored: a version
  published by another process (another `Policies` application) is seen at the next read."""

from __future__ import annotations

import threading
from collections.abc import Iterator

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


@pytest.mark.parametrize("size", [1, 120], ids=["small", "big"])
def test_every_save_chains_its_events_and_refuses_conflicts(services: Engine, size: int) -> None:
    """One statement per save, small or big (120 events: far more than the 16 KiB the old
    pipelined path took), chains every event, a stream's events within one save too."""
    recorder = services.store.people.recorder
    assert isinstance(recorder, UnpipelinedApplicationRecorder)
    people = services.store.people
    staff = employees(max(size, 6))
    people.save(*staff)  # several streams in one save
    for e in staff[:6]:  # one event per save, each extending its stream
        move([e])
        people.save(e)
    move(staff[:size])
    move(staff[:1])  # the same stream twice in one save
    people.save(*staff[:size])

    # A conflicting version is refused, and the next writer is not blocked by it.
    stale: Employee = people.repository.get(staff[0].id)
    move([stale])
    move([staff[0]])
    people.save(staff[0])
    with pytest.raises(IntegrityError):
        people.save(stale)
    done = threading.Event()

    def write() -> None:
        people.save(*employees(1, start=1000))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(30), "the events table stayed locked"

    report = verify_store(services.store, services.history, AUDITOR)
    assert report.ok and report.first_finding is None
    counts = {a.application: a.events for a in report.applications}
    assert counts["people"] == len(staff) + 6 + size + 1 + 1 + 1


def test_concurrent_writers_leave_a_gap_free_log_a_tailing_reader_reads_whole(
    services: Engine,
) -> None:
    """The table lock keeps commit order = notification order: writers in four threads
    (saves of 1 to 40 events, some extending the same streams) while a reader tails the
    log the way the projection runner does (after the last id it saw). The reader misses
    nothing, the ids have no gap, and the chain verifies."""
    people = services.store.people
    writers, rounds = 4, 15
    teams = [employees(40, start=1000 * (w + 1)) for w in range(writers)]
    for team in teams:
        people.save(*team)
    first = people.recorder.max_notification_id() or 0
    seen: list[int] = []
    finished = threading.Event()
    failures: list[BaseException] = []

    def tail() -> None:
        last = first
        while True:
            done = finished.is_set()  # read before the section: nothing is written after
            section = people.recorder.select_notifications(start=last + 1, limit=500)
            seen.extend(n.id for n in section)
            if section:
                last = section[-1].id
            elif done:
                return

    def write(team: list[Employee], w: int) -> None:
        try:
            for r in range(rounds):
                size = 1 if r % 3 else (w + 1) * 10
                move(team[:size])
                if r % 5 == 0:
                    move(team[:1])  # two events of one stream in one save
                people.save(*team[:size])
        except BaseException as exc:  # reported below
            failures.append(exc)

    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(t, w)) for w, t in enumerate(teams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    finished.set()
    reader.join(60)
    assert not failures
    last = people.recorder.max_notification_id()
    assert last is not None and last > first
    assert seen == list(range(first + 1, last + 1))  # in order, gap-free, complete
    report = verify_store(services.store, services.history, AUDITOR)
    assert report.ok and report.first_finding is None


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
