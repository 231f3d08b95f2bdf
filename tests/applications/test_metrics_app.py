"""The Metrics application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). Its collaborator is the People application."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

import pytest

from aggregates.base import DomainError, PermissionDeniedError
from aggregates.documents import MetricCatalog
from aggregates.ladder import Role
from aggregates.metric_ledger import ledger_uuid
from aggregates.seed_policies import seed_documents
from careerflow.applications.files import IngestError, detect_format
from careerflow.applications.metrics import Metrics
from careerflow.applications.people import EmployeeIn, OrgImport, People, TeamIn
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
INTEGRATION = Principal(person_id="crm-export", role=AccessRole.integration)
REP = Principal(person_id="E1", role=AccessRole.employee)
CATALOG = next(doc for kind, _, doc in seed_documents() if kind == "metric_catalog")
assert isinstance(CATALOG, MetricCatalog)
CSV_OK = (
    "employee_id,period,metric,value,source,item\n"
    "E1,2026-10,customer_visits,12,crm,\n"
    "E1,2026-10,course_completed,91.5,lms,Team Management\n"
    "E2,2026-10,customer_visits,7,crm,\n"
)


@dataclass
class World:
    metrics: Metrics
    people: People

    def events(self) -> int:
        return sum(
            len(list(self.metrics.repository.event_store.get(ledger_uuid(person))))
            for person in ("E1", "E2")
        )


def build(env: dict[str, str]) -> Iterator[World]:
    people = People(env=env)
    people.import_org(
        HR,
        OrgImport(
            teams=[TeamIn(team_id="T1", name="North")],
            employees=[
                EmployeeIn(
                    employee_id=person,
                    name=person,
                    role=Role.sales_rep,
                    team_id="T1",
                    hire_date=date(2024, 1, 1),
                )
                for person in ("E1", "E2")
            ],
        ),
    )
    metrics = Metrics(env=env, people=people)
    try:
        yield World(metrics, people)
    finally:
        metrics.close()
        people.close()


class TestMetrics:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.metrics.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_ingest_is_idempotent_per_batch(self, world: World) -> None:
        first = world.metrics.ingest(INTEGRATION, CSV_OK.encode(), "csv", CATALOG)
        # Each new ledger: created, then the batch recorded.
        assert (first.rows, first.employees, first.events_written) == (3, 2, 4)
        assert not first.already_ingested and first.notification_id is not None
        assert first.employee_ids == ["E1", "E2"]
        assert first.batch_id.startswith("sha256:")
        again = world.metrics.ingest(HR, CSV_OK.encode(), "csv", CATALOG)
        assert again.already_ingested and again.events_written == 0
        assert (again.batch_id, again.notification_id) == (first.batch_id, None)
        assert world.events() == 4
        ledger = world.metrics.ledger("E1")
        assert ledger is not None and ledger.employee_id == "E1"
        assert world.metrics.ledger("E9") is None

    def test_a_named_batch_and_json_lines(self, world: World) -> None:
        line = (
            b'{"employee_id":"E1","period":"2026-11","metric":"customer_visits",'
            b'"value":3,"source":"crm"}\n'
        )
        result = world.metrics.ingest(HR, line, "jsonl", CATALOG, "x.jsonl", batch_id="b-1")
        assert (result.batch_id, result.rows, result.events_written) == ("b-1", 1, 2)

    def test_a_bad_file_lists_every_problem_and_writes_nothing(self, world: World) -> None:
        bad = (
            "employee_id,period,metric,value,source,item\n"
            "E1,2026-10,customer_visits,12,crm,\n"  # fine, but the file is all or nothing
            "E9,2026-10,customer_visits,12,crm,\n"
            "E1,2026-13,customer_visits,12,crm,\n"
            "E1,2026-10,customer_vists,12,crm,\n"
            "E1,2026-10,customer_visits,twelve,crm,\n"
            "E1,2026-10,course_completed,80,lms,\n"
        )
        with pytest.raises(IngestError) as info:
            world.metrics.ingest(INTEGRATION, bad.encode(), "csv", CATALOG, "bad.csv")
        problems = info.value.problems
        assert str(info.value).startswith("bad.csv: nothing was ingested, 5 problem(s):\n")
        assert problems[0] == "line 3: employee_id: unknown employee 'E9'"
        assert problems[1].startswith("line 4: period:")
        assert problems[2].startswith("line 5: metric: unknown metric 'customer_vists'")
        assert problems[3].startswith("line 6: value:")
        assert problems[4].startswith("line 7: item:")
        assert len(info.value.messages) == 5
        assert world.events() == 0

    def test_file_refusals(self, world: World) -> None:
        with pytest.raises(IngestError, match="line 1: header: missing column"):
            world.metrics.ingest(HR, b"employee_id,period,metric,value\n", "csv", CATALOG)
        with pytest.raises(IngestError, match="line 1: file: no rows"):
            world.metrics.ingest(HR, b"", "jsonl", CATALOG)
        with pytest.raises(IngestError, match="line 1: file: not UTF-8 text"):
            world.metrics.ingest(HR, b"\xff\xfe\xfa", "csv", CATALOG)
        with pytest.raises(PermissionDeniedError, match="may not ingest metrics"):
            world.metrics.ingest(REP, CSV_OK.encode(), "csv", CATALOG)
        assert world.events() == 0

    def test_validate_writes_nothing(self, world: World) -> None:
        rows = world.metrics.validate(CSV_OK.encode(), "csv", CATALOG, "upload")
        assert [m.employee_id for m in rows] == ["E1", "E1", "E2"]
        assert world.events() == 0

    def test_detect_format(self) -> None:
        assert (detect_format("a.CSV"), detect_format("b.ndjson")) == ("csv", "jsonl")
        with pytest.raises(DomainError, match=r"unknown file type '\.xlsx'"):
            detect_format("c.xlsx")


class TestMetricsOnPostgres(TestMetrics):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
