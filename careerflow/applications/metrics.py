"""Metric ingestion's commands on the event store: CSV, XLSX or JSON-lines exports, validated
row by row, written all or nothing, idempotent per batch. Collaborator: the People
application (which employees exist)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from aggregates.base import command_context
from aggregates.documents import Measurement, MetricCatalog, value_problem
from aggregates.employee import employee_uuid
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from aggregates.metric_rules import IngestResult
from aggregates.not_found import unknown_employee
from careerflow.applications.files import IngestError as IngestError
from careerflow.applications.files import as_utf8, field_errors, file_problem, parse_rows
from careerflow.applications.files import detect_format as detect_format
from careerflow.applications.files import one_a_line as one_a_line
from careerflow.applications.people import People
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from words.messages import Message


def require_ingester(principal: Principal) -> None:
    """Integrations and HR (or the engine) ingest metric exports; the API checks it before
    it reads the file, the import activity again when it records."""
    principal.require(
        AccessRole.hr, AccessRole.integration, AccessRole.system, action=Message("ingest metrics")
    )


class Metrics(PydanticApplication):
    """One metric ledger per employee.

    Collaborator: `people`, the People application (a row's employee must exist)."""

    name = "metrics"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {MetricLedger: 12}

    def __init__(
        self, env: Mapping[str, str] | None = None, *, people: People | None = None
    ) -> None:
        super().__init__(env=env)
        self.wire(people=people)

    def wire(self, *, people: People | None = None) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before wiring them (careerflow.wiring)."""
        self._people = people

    @property
    def people(self) -> People:
        assert self._people is not None, "Metrics needs people= to know the employees"
        return self._people

    def ledger(self, employee_id: str) -> MetricLedger | None:
        found: MetricLedger | None = self.find(ledger_uuid(employee_id))
        return found

    def ledgers(self, employee_ids: list[str]) -> dict[str, MetricLedger]:
        """The ledgers of those of `employee_ids` who have one, read at once (a batch:
        their snapshots in one query, the events after them in another)."""
        found = self.find_many(ledger_uuid(e) for e in employee_ids)
        return {e: found[ledger_uuid(e)] for e in employee_ids if ledger_uuid(e) in found}

    def validate(
        self, data: bytes, fmt: str, catalog: MetricCatalog, source_name: str
    ) -> list[Measurement]:
        raw_rows, problems = parse_rows(data, fmt)
        measurements: list[Measurement] = []
        known: dict[str, bool] = {}
        for line, row in raw_rows:
            try:
                m = Measurement.model_validate(row)
            except ValidationError as exc:
                problems.extend(field_errors(line, exc))
                continue
            definition = catalog.metrics.get(m.metric)
            if definition is None:
                unknown_metric = Message(
                    "unknown metric {metric!r}; add it to the metric catalog (publish a new "
                    "metric_catalog version) or fix the name",
                    metric=m.metric,
                )
                problems.append(file_problem(line, "metric", unknown_metric))
                continue
            wrong_value = value_problem(m.metric, definition, m.value)
            if wrong_value is not None:
                problems.append(file_problem(line, "value", wrong_value))
                continue
            if definition.window == "items" and not m.item:
                needs_item = Message("{metric} needs the item (e.g. the course)", metric=m.metric)
                problems.append(file_problem(line, "item", needs_item))
                continue
            if m.employee_id not in known:
                known[m.employee_id] = employee_uuid(m.employee_id) in self.people.repository
            if not known[m.employee_id]:
                unknown = unknown_employee(m.employee_id).message
                problems.append(file_problem(line, "employee_id", unknown))
                continue
            measurements.append(m)
        if not raw_rows and not problems:
            problems.append(file_problem(1, "file", Message("no rows")))
        if problems:
            raise IngestError.of(source_name, problems)
        return measurements

    def ingest(
        self,
        principal: Principal,
        data: bytes,
        fmt: str,
        catalog: MetricCatalog,
        source_name: str = "upload",
        batch_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestResult:
        """Records the file's rows on each person's ledger, in one transaction; `progress`
        hears (people done, people in the file) as the ledgers are recorded."""
        require_ingester(principal)
        measurements = self.validate(data, fmt, catalog, source_name)
        # The batch is its content: the same export ingested twice is one batch (the same
        # file in GBK or as a workbook through the CLI or the API's import workflow: the
        # UTF-8 text the workflow carries).
        text, _ = as_utf8(data, fmt)
        batch = batch_id or "sha256:" + hashlib.sha256(text).hexdigest()[:32]
        by_employee: dict[str, list[Measurement]] = defaultdict(list)
        for m in measurements:
            by_employee[m.employee_id].append(m)
        ledgers: list[MetricLedger] = []
        with command_context(
            actor=principal.person_id, role=principal.role.value, command_id=batch
        ):
            for done, employee_id in enumerate(sorted(by_employee), start=1):
                ledger = self.ledger(employee_id) or MetricLedger(employee_id=employee_id)
                if ledger.record(batch, by_employee[employee_id]):
                    ledgers.append(ledger)
                if progress is not None:
                    progress(done, len(by_employee))
        written = sum(len(ledger.pending_events) for ledger in ledgers)
        # One save, one transaction: all of the file or none of it.
        recordings = self.save(*ledgers) if ledgers else []
        return IngestResult(
            batch_id=batch,
            rows=len(measurements),
            employees=len(by_employee),
            events_written=written,
            already_ingested=not ledgers,
            notification_id=recordings[-1].notification.id if recordings else None,
            employee_ids=[ledger.employee_id for ledger in ledgers],
        )
