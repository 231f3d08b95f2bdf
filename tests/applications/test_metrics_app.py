"""The Metrics application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). Its collaborator is the People application."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
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
from tests.workbooks import workbook
from words.catalogue import say

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

# CSV_OK with a Chinese course name, as Excel on Chinese Windows saves "CSV": in GBK.
CSV_ZH = CSV_OK.replace("Team Management", "团队管理")


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
        assert detect_format("Export.XLSX") == "xlsx"
        with pytest.raises(DomainError, match=r"unknown file type '\.xls'; use \.csv, \.xlsx"):
            detect_format("c.xls")

    def test_an_xlsx_workbook_is_read_as_its_csv_would_be(self, world: World) -> None:
        data = workbook(
            ["employee_id", "period", "metric", "value", "source", "item"],
            ["E1", "2026-10", "customer_visits", 12, "crm"],
            # Excel makes a date of "2026-10" typed in a cell, and 91.5% a fraction.
            ["E1", datetime(2026, 10, 1), "course_completed", 0.915, "lms", "团队管理"],
            [],  # an empty row is no row
            ["E2", "2026-W43", "customer_visits", 7.0, "crm", None],
            formats={"B3": "yyyy-mm", "D3": "0.0%"},
        )
        result = world.metrics.ingest(INTEGRATION, data, "xlsx", CATALOG, "export.xlsx")
        assert (result.rows, result.employees, result.events_written) == (3, 2, 4)
        ledger = world.metrics.ledger("E1")
        assert ledger is not None
        assert sorted((m.period, m.metric, m.value, m.item) for m in ledger.measurements()) == [
            ("2026-10", "course_completed", 91.5, "团队管理"),
            ("2026-10", "customer_visits", 12.0, None),
        ]
        again = world.metrics.ingest(HR, data, "xlsx", CATALOG, "export.xlsx")
        assert again.already_ingested and again.batch_id == result.batch_id
        assert world.events() == 4

    def test_a_bad_workbook_names_its_rows_and_writes_nothing(self, world: World) -> None:
        data = workbook(
            ["employee_id", "period", "metric", "value", "source"],
            ["E1", "2026-10", "customer_visits", 12, "crm"],
            ["E1", "2026-48", "customer_visits", 3, "crm"],
            ["E2", "2026-10", "customer_visits", 3, "crm", None, "extra"],
        )
        with pytest.raises(IngestError) as info:
            world.metrics.ingest(INTEGRATION, data, "xlsx", CATALOG, "bad.xlsx")
        assert info.value.problems == [
            "line 4: row has 7 of 5 columns",
            "line 3: period: Value error, invalid month period '2026-48': month must be "
            "01..12; for an ISO week use '2026-W48'",
        ]
        with pytest.raises(IngestError, match="line 1: file: not an XLSX workbook"):
            world.metrics.ingest(HR, CSV_OK.encode(), "xlsx", CATALOG, "renamed.xlsx")
        assert world.events() == 0

    def test_a_gbk_csv_from_excel_on_chinese_windows(self, world: World) -> None:
        result = world.metrics.ingest(INTEGRATION, CSV_ZH.encode("gbk"), "csv", CATALOG)
        assert (result.rows, result.employees, result.events_written) == (3, 2, 4)
        ledger = world.metrics.ledger("E1")
        assert ledger is not None
        assert {m.item for m in ledger.measurements()} == {None, "团队管理"}
        # The same export in UTF-8 (with Excel's BOM or without) is the same batch.
        for same in (CSV_ZH.encode("utf-8"), CSV_ZH.encode("gb18030")):
            again = world.metrics.ingest(HR, same, "csv", CATALOG)
            assert again.already_ingested and again.batch_id == result.batch_id
        assert world.events() == 4

    def test_a_gbk_csv_whose_header_does_not_read_says_how_it_was_read(self, world: World) -> None:
        header = "员工,期间,指标,数值,来源\nE1,2026-10,customer_visits,12,crm\n"
        with pytest.raises(IngestError) as info:
            world.metrics.ingest(HR, header.encode("gbk"), "csv", CATALOG, "zh.csv")
        assert info.value.problems[-1] == (
            "line 1: file: not UTF-8, read as gb18030; save it as CSV UTF-8 if that is wrong"
        )
        assert "unknown column(s) 员工, 期间" in info.value.problems[1]
        assert world.events() == 0

    def test_short_and_long_rows_say_how_many_columns(self, world: World) -> None:
        bad = (
            "employee_id,period,metric,value,source,item\n"
            "E1,2026-10,customer_visits,12,crm\n"  # fine: only the optional item is left off
            "E1,2026-10\n"
            "\n"
            "E2,2026-10,customer_visits,7,crm,,x\n"
        )
        with pytest.raises(IngestError) as info:
            world.metrics.ingest(INTEGRATION, bad.encode(), "csv", CATALOG, "bad.csv")
        error = info.value
        assert error.problems == [
            "line 3: row has 2 of 6 columns",
            "line 5: row has 7 of 6 columns",
        ]
        assert say(error.messages[0], "zh") == "第 3 行：该行有 2 列，应为 6 列"
        assert say(error, "zh").startswith("bad.csv：未导入任何数据，共 2 个问题：\n第 3 行")
        assert world.events() == 0

    def test_a_week_typed_without_its_w_gets_the_hint(self, world: World) -> None:
        bad = "employee_id,period,metric,value,source\nE1,2026-48,customer_visits,3,crm\n"
        with pytest.raises(IngestError) as info:
            world.metrics.ingest(INTEGRATION, bad.encode(), "csv", CATALOG, "weeks.csv")
        [problem] = info.value.messages
        assert str(problem) == (
            "line 2: period: Value error, invalid month period '2026-48': month must be "
            "01..12; for an ISO week use '2026-W48'"
        )
        assert "请写作 '2026-W48'" in say(problem, "zh")
        assert world.events() == 0


class TestMetricsOnPostgres(TestMetrics):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
