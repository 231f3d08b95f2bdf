"""The event store on the real embedded PostgreSQL.

First the `eventsourcing` library's own reusable recorder test cases, run against the
project's configured store (the infrastructure factory built from `application_env`, so
the project's `UnpipelinedApplicationRecorder`); then round trips through the project's
applications: orjson rows, snapshots, encryption at rest, idempotency and event metadata.
"""

from __future__ import annotations

import unittest
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar, cast
from uuid import UUID

import orjson
import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresFactory,
    PostgresProcessRecorder,
    PostgresTrackingRecorder,
)
from eventsourcing.tests import persistence as library_cases
from eventsourcing.utils import Environment

from aggregates.base import EventMeta, command_context
from aggregates.documents import Measurement
from aggregates.employee import Employee
from aggregates.ladder import Role
from aggregates.metric_ledger import MetricLedger
from aggregates.organisation import Organisation
from aggregates.policy import PolicyDocument
from careerflow.apps import Metrics, People, Policies
from careerflow.config import PostgresSettings
from careerflow.eventstore import PydanticApplication
from careerflow.recorders import UnpipelinedApplicationRecorder
from careerflow.store import application_env

AppT = TypeVar("AppT", bound=PydanticApplication)

# --------------------------------------------------------------------------- library cases
# The library's cases are unittest.TestCase classes; they are reached through the module
# (not imported by name) so pytest doesn't try to collect the abstract bases themselves.


class ProjectStore:
    """Mixin: each test gets a fresh database (conftest's `pg`, made with
    `create_database` on the session server) and the project's infrastructure factory."""

    pg_settings: PostgresSettings
    factory: PostgresFactory

    @pytest.fixture(autouse=True)
    def _fresh_database(self, pg: PostgresSettings) -> None:
        # Runs before unittest's setUp; `pg` drops the database after tearDown.
        self.pg_settings = pg

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        env = Environment("Recorders", application_env(self.pg_settings))
        self.factory = cast(PostgresFactory, InfrastructureFactory.construct(env))

    def tearDown(self) -> None:
        self.factory.close()
        super().tearDown()  # type: ignore[misc]


class TestProjectAggregateRecorder(ProjectStore, library_cases.AggregateRecorderTestCase):
    """The snapshot stores (`<app>_snapshots`) use the factory's aggregate recorder."""

    def create_recorder(self) -> AggregateRecorder:
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        assert type(recorder) is PostgresAggregateRecorder
        return recorder


class TestProjectApplicationRecorder(
    ProjectStore, library_cases.ApplicationRecorderTestCase[UnpipelinedApplicationRecorder]
):
    """The project's unpipelined recorder, as configured by APPLICATION_RECORDER_TOPIC."""

    def create_recorder(self) -> UnpipelinedApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert type(recorder) is UnpipelinedApplicationRecorder
        return recorder

    def test_insert_subscribe(self) -> None:
        # Offered by the library as an optional case: LISTEN/NOTIFY must still work.
        self.optional_test_insert_subscribe()


class TestProjectTrackingRecorder(ProjectStore, library_cases.TrackingRecorderTestCase):
    """Projections' read models subclass the PostgreSQL tracking recorder."""

    def create_recorder(self) -> TrackingRecorder:
        return self.factory.tracking_recorder()


class TestProjectProcessRecorder(ProjectStore, library_cases.ProcessRecorderTestCase):
    """The project sets no PROCESS_RECORDER_TOPIC: this is the library's recorder on the
    project's datastore settings."""

    def create_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()


class TestProjectInfrastructureFactory(
    ProjectStore, library_cases.InfrastructureFactoryTestCase[PostgresFactory]
):
    """The factory the applications get from `application_env`."""

    class TrackingRecorderSubclass(PostgresTrackingRecorder):
        pass

    def setUp(self) -> None:
        # The library's setUp constructs the factory from `self.env`.
        self.env = Environment("TestCase", application_env(self.pg_settings))
        library_cases.InfrastructureFactoryTestCase.setUp(self)

    def tearDown(self) -> None:
        library_cases.InfrastructureFactoryTestCase.tearDown(self)

    def expected_factory_class(self) -> type[PostgresFactory]:
        return PostgresFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return PostgresAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return UnpipelinedApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return PostgresTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return self.TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return PostgresProcessRecorder


LIBRARY_CASES: tuple[type[unittest.TestCase], ...] = (
    TestProjectAggregateRecorder,
    TestProjectApplicationRecorder,
    TestProjectTrackingRecorder,
    TestProjectProcessRecorder,
    TestProjectInfrastructureFactory,
)


def test_library_cases_are_wired() -> None:
    # Each subclass really inherits runnable tests (nothing left abstract).
    for case in LIBRARY_CASES:
        assert not getattr(case, "__abstractmethods__", None), case
        assert unittest.TestLoader().getTestCaseNames(case), case


# --------------------------------------------------------------------------- helpers


@contextmanager
def open_app(
    app_class: type[AppT], pg: PostgresSettings, cipher_key: str = "", **env: str
) -> Iterator[AppT]:
    app = app_class(env={**application_env(pg, cipher_key), **env})
    try:
        yield app
    finally:
        app.close()


def fetch(pg: PostgresSettings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.conninfo()) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def new_employee(employee_id: str = "E001", name: str = "Li Lei") -> Employee:
    return Employee(
        employee_id=employee_id,
        name=name,
        role=Role.sales_rep,
        team_id="T01",
        manager_id="M01",
        hire_date=date(2024, 3, 1),
        email=f"{employee_id.lower()}@example.invalid",
    )


def measurement(period: str, value: float, item: str | None = None) -> Measurement:
    return Measurement(
        employee_id="E001", period=period, metric="revenue", value=value, item=item, source="crm"
    )


# --------------------------------------------------------------------------- round trip


def test_employee_round_trip_is_stored_as_orjson(pg: PostgresSettings) -> None:
    with open_app(People, pg) as people:
        employee = new_employee()
        employee.change_role(Role.senior_sales_rep, date(2025, 1, 1), "promo-1")
        people.save(employee)

        copy = people.repository.get(employee.id)
        assert copy == employee
        assert copy.role is Role.senior_sales_rep
        assert copy.role_history == [
            (Role.sales_rep, date(2024, 3, 1)),
            (Role.senior_sales_rep, date(2025, 1, 1)),
        ]

    rows = fetch(
        pg,
        "SELECT originator_version, topic, state FROM people_events "
        "WHERE originator_id = %s ORDER BY originator_version",
        employee.id,
    )
    assert [(v, t.rsplit(":", 1)[1]) for v, t, _ in rows] == [
        (1, "Employee.Hired"),
        (2, "Employee.RoleChanged"),
    ]
    hired = orjson.loads(rows[0][2])
    assert hired["originator_id"] == str(employee.id)
    assert hired["originator_version"] == 1
    assert hired["employee_id"] == "E001"
    assert hired["name"] == "Li Lei"
    assert hired["role"] == "sales_rep"
    assert hired["hire_date"] == "2024-03-01"
    assert hired["meta"] == EventMeta().model_dump(mode="json")
    changed = orjson.loads(rows[1][2])
    assert changed["role"] == "senior_sales_rep"
    assert changed["reference"] == "promo-1"


# --------------------------------------------------------------------------- snapshots


def assert_snapshot_equivalent(
    app_class: type[PydanticApplication],
    pg: PostgresSettings,
    aggregate_id: UUID,
    snapshot_version: int,
) -> Any:
    """The snapshot-backed read equals an events-only replay, now and at the snapshot's
    version, and still does once the events the snapshot covers are gone."""
    table = f"{app_class.name}_snapshots"
    versions = fetch(
        pg, f"SELECT originator_version FROM {table} WHERE originator_id = %s", aggregate_id
    )
    assert versions == [(snapshot_version,)]

    events_only_env = {"IS_SNAPSHOTTING_ENABLED": "n"}
    with open_app(app_class, pg) as app, open_app(app_class, pg, **events_only_env) as events_only:
        assert events_only.snapshots is None
        assert app.snapshots is not None
        [snapshot] = app.snapshots.get(aggregate_id)
        assert snapshot.originator_version == snapshot_version

        replayed = events_only.repository.get(aggregate_id)
        assert isinstance(snapshot, type(replayed).Snapshot)  # the typed pydantic snapshot
        assert app.repository.get(aggregate_id) == replayed
        assert app.repository.get(aggregate_id, version=snapshot_version) == (
            events_only.repository.get(aggregate_id, version=snapshot_version)
        )

        # Prove the snapshot is what is read: drop the events it covers.
        with psycopg.connect(pg.conninfo()) as conn:
            conn.execute(
                f"DELETE FROM {app_class.name}_events "  # type: ignore[arg-type]
                "WHERE originator_id = %s AND originator_version <= %s",
                (aggregate_id, snapshot_version),
            )
        assert app.repository.get(aggregate_id) == replayed
        return replayed


def test_metric_ledger_snapshot_matches_replay(pg: PostgresSettings) -> None:
    interval = Metrics.snapshotting_intervals[MetricLedger]
    with open_app(Metrics, pg) as metrics:
        ledger = MetricLedger(employee_id="E001")
        metrics.save(ledger)
        batches = interval + 1  # more recordings than the interval
        for n in range(1, batches + 1):
            month = (n - 1) % 12 + 1
            assert ledger.record(f"batch-{n}", [measurement(f"2026-{month:02d}", 100.0 + n)])
            metrics.save(ledger)
        assert ledger.version == batches + 1

    replayed = assert_snapshot_equivalent(Metrics, pg, ledger.id, interval)
    assert replayed.entries == ledger.entries
    assert replayed.batches == ledger.batches == [f"batch-{n}" for n in range(1, batches + 1)]
    assert replayed.measurements() == ledger.measurements()


def test_policy_document_snapshot_matches_replay(pg: PostgresSettings) -> None:
    interval = Policies.snapshotting_intervals[PolicyDocument]
    with open_app(Policies, pg) as policies:
        doc = PolicyDocument(kind="weights", key="sales")
        for n in range(1, interval + 2):
            assert doc.publish({"weight": n, "labels": {"en": "w", "zh": "权"}}, f"v{n}", "hr")
            policies.save(doc)

    replayed = assert_snapshot_equivalent(Policies, pg, doc.id, interval)
    assert replayed.versions == doc.versions
    assert replayed.current.version == interval + 1


def test_organisation_snapshot_matches_replay(pg: PostgresSettings) -> None:
    interval = People.snapshotting_intervals[Organisation]
    with open_app(People, pg) as people:
        org = Organisation(name="Sales")
        for n in range(1, interval + 3):
            assert org.upsert_team(f"T{n:02d}", f"Team {n}", f"M{n:02d}", "T01" if n > 1 else None)
            if n % 7 == 0:
                people.save(org)
        people.save(org)

    replayed = assert_snapshot_equivalent(People, pg, org.id, interval)
    assert replayed.teams == org.teams
    assert replayed.name == "Sales"


def test_many_aggregates_read_at_once_equal_one_by_one(pg: PostgresSettings) -> None:
    """`find_many` (a batch's read: snapshots in one query, events after them in one more)
    gives what `find` gives for each id, snapshotted or not, and leaves out unknown ids."""
    interval = Metrics.snapshotting_intervals[MetricLedger]
    with open_app(Metrics, pg) as metrics, open_app(People, pg) as people:
        long, short = MetricLedger(employee_id="E001"), MetricLedger(employee_id="E002")
        metrics.save(long, short)
        for n in range(1, interval + 4):
            assert long.record(f"batch-{n}", [measurement(f"2026-{(n - 1) % 12 + 1:02d}", n)])
            metrics.save(long)
        row = measurement("2026-01", 5.0).model_copy(update={"employee_id": "E002"})
        assert short.record("only", [row])
        metrics.save(short)
        moved = new_employee("E003")
        moved.change_role(Role.senior_sales_rep, date(2025, 1, 1), "promo-1")
        people.save(moved, new_employee("E004"))
        missing = MetricLedger(employee_id="E404").id

        ledgers = metrics.find_many([long.id, short.id, missing, long.id])
        assert list(ledgers) == [long.id, short.id]
        assert ledgers[long.id] == metrics.find(long.id) == long
        assert ledgers[long.id].version == interval + 4
        assert ledgers[short.id] == short
        assert metrics.ledgers(["E001", "E404"]) == {"E001": long}
        # The snapshot is what is read: without the events it covers, the same ledger.
        fetch(
            pg,
            "DELETE FROM metrics_events WHERE originator_id = %s AND originator_version <= %s "
            "RETURNING 1",
            long.id,
            interval,
        )
        assert metrics.find_many([long.id])[long.id] == long
        assert people.get_many(["E003", "E004", "E404"]) == {
            "E003": people.get("E003"),
            "E004": people.get("E004"),
        }
        assert people.get_many(["E003"])["E003"].role is Role.senior_sales_rep
        assert metrics.find_many([]) == {}


# --------------------------------------------------------------------------- encryption


def test_encryption_at_rest(pg: PostgresSettings) -> None:
    key = AESCipher.create_key(32)
    marker = "Zhang-San-Marker-9321"
    with open_app(People, pg, cipher_key=key) as people:
        employee = new_employee(name=marker)
        people.save(employee)
        assert people.repository.get(employee.id) == employee

    [(state,)] = fetch(pg, "SELECT state FROM people_events WHERE originator_id = %s", employee.id)
    assert marker.encode() not in bytes(state)
    assert b"employee_id" not in bytes(state)
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(state)

    # A fresh application with the key still reads it.
    with open_app(People, pg, cipher_key=key) as people:
        assert people.repository.get(employee.id) == employee

    # Without the key the ciphertext reaches the JSON decoder; another key fails the tag.
    with open_app(People, pg) as people, pytest.raises(orjson.JSONDecodeError):
        people.repository.get(employee.id)
    other_key = AESCipher.create_key(32)
    with (
        open_app(People, pg, cipher_key=other_key) as people,
        pytest.raises(ValueError, match="Cipher text is damaged"),
    ):
        people.repository.get(employee.id)


def test_snapshots_are_encrypted_too(pg: PostgresSettings) -> None:
    key = AESCipher.create_key(32)
    interval = People.snapshotting_intervals[Organisation]
    with open_app(People, pg, cipher_key=key) as people:
        org = Organisation(name="Secret-Org-Marker")
        for n in range(1, interval):
            org.upsert_team(f"T{n:02d}", f"Team {n}", None)
        people.save(org)
        assert people.repository.get(org.id) == org

    [(state,)] = fetch(pg, "SELECT state FROM people_snapshots")
    assert b"Secret-Org-Marker" not in bytes(state)


# --------------------------------------------------------------------------- idempotency


def test_recording_a_batch_twice_writes_one_event(pg: PostgresSettings) -> None:
    batch = [measurement("2026-01", 10.0), measurement("2026-02", 20.0)]
    with open_app(Metrics, pg) as metrics:
        ledger = MetricLedger(employee_id="E001")
        assert ledger.record("batch-1", batch)
        metrics.save(ledger)
        last_id = metrics.recorder.max_notification_id()

        # Again, on a copy read back from the store (as a retried activity would).
        again = metrics.repository.get(ledger.id)
        assert not again.record("batch-1", batch)
        assert not again.record("batch-1", [measurement("2026-03", 30.0)])  # same id: skipped
        metrics.save(again)

        assert metrics.recorder.max_notification_id() == last_id
        assert metrics.repository.get(ledger.id).version == 2

    rows = fetch(pg, "SELECT count(*) FROM metrics_events WHERE originator_id = %s", ledger.id)
    assert rows == [(2,)]


def test_policy_publish_is_idempotent_and_append_only(pg: PostgresSettings) -> None:
    v1 = {"threshold": 100, "labels": {"en": "target", "zh": "目标"}}
    v2 = {"threshold": 120, "labels": {"en": "target", "zh": "目标"}}
    with open_app(Policies, pg) as policies:
        doc = PolicyDocument(kind="criteria", key="senior_sales_rep")
        assert doc.publish(v1, "initial", "hr.wang") == 1
        policies.save(doc)

        # Identical content: the version in force is returned, nothing is written.
        doc = policies.repository.get(doc.id)
        assert doc.publish(dict(v1), "again", "hr.li") == 1
        assert not doc.collect_events()
        policies.save(doc)
        [(v1_row,)] = fetch(
            pg,
            "SELECT state FROM policies_events WHERE originator_id = %s AND originator_version = 2",
            doc.id,
        )

        assert doc.publish(v2, "raise the bar", "hr.li") == 2
        policies.save(doc)

        stored = policies.repository.get(doc.id)
        assert [v.version for v in stored.versions] == [1, 2]
        first = stored.get_version(1)
        assert (first.document, first.note, first.published_by) == (v1, "initial", "hr.wang")
        assert stored.get_version(2).document == v2
        # The store as of version 1's publication agrees, and its row is untouched.
        assert policies.repository.get(doc.id, version=2).versions == [first]

    assert fetch(pg, "SELECT count(*) FROM policies_events WHERE originator_id = %s", doc.id) == [
        (3,)
    ]
    assert fetch(
        pg,
        "SELECT state FROM policies_events WHERE originator_id = %s AND originator_version = 2",
        doc.id,
    ) == [(v1_row,)]


# --------------------------------------------------------------------------- metadata


def test_command_context_meta_survives_the_store(pg: PostgresSettings) -> None:
    meta = EventMeta(
        actor="hr.wang", role="hr", command_id="cmd-42", workflow_id="wf-7", reason="annual"
    )
    with open_app(People, pg) as people:
        with command_context(
            actor="hr.wang", role="hr", command_id="cmd-42", workflow_id="wf-7", reason="annual"
        ):
            employee = new_employee()
            employee.change_role(Role.senior_sales_rep, date(2025, 1, 1), "promo-1")
        # Stamped when the event was created, not when it is saved.
        employee.move("T02", "M02")
        people.save(employee)

        events = list(people.events.get(employee.id))
        assert [e.meta for e in events] == [meta, meta, EventMeta()]

    rows = fetch(
        pg,
        "SELECT state FROM people_events WHERE originator_id = %s ORDER BY originator_version",
        employee.id,
    )
    assert orjson.loads(rows[0][0])["meta"] == {
        "actor": "hr.wang",
        "role": "hr",
        "command_id": "cmd-42",
        "workflow_id": "wf-7",
        "reason": "annual",
    }
