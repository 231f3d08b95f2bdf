"""Metric ingestion: CSV or JSON-lines exports, validated row by row, written all or
nothing, idempotent per batch."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from aggregates.base import DomainError, command_context
from aggregates.documents import Measurement, MetricCatalog
from aggregates.employee import employee_uuid
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from careerflow.apps import Metrics, People
from careerflow.principal import AccessRole, Principal

COLUMNS = ("employee_id", "period", "metric", "value", "source", "item")


class IngestError(DomainError):
    """A file that cannot be ingested; `problems` lists `line N: field: what is wrong`."""

    def __init__(self, source: str, problems: list[str]) -> None:
        shown = problems[:50]
        more = f"\n... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(
            f"{source}: nothing was ingested, {len(problems)} problem(s):\n"
            + "\n".join(shown)
            + more
        )
        self.problems = problems


class IngestResult(BaseModel):
    batch_id: str
    rows: int
    employees: int
    events_written: int
    already_ingested: bool
    notification_id: int | None
    employee_ids: list[str] = []


def _field_errors(line: int, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "row"
        out.append(f"line {line}: {field}: {err['msg']}")
    return out


def parse_rows(data: bytes, fmt: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Raw rows with their line numbers (header is line 1 in CSV)."""
    problems: list[str] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"line 1: file: not UTF-8 text ({exc.reason} at byte {exc.start})"]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c != "item" and c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        if missing:
            problems.append(f"line 1: header: missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"line 1: header: unknown column(s) {', '.join(unknown)}")
        if problems:
            return [], problems
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append(f"line {line}: row: more values than columns")
                continue
            rows.append((line, {k: (v if v != "" else None) for k, v in record.items()}))
    else:
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problems.append(f"line {line}: row: not valid JSON ({exc})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {line}: row: expected a JSON object")
                continue
            rows.append((line, obj))
    return rows, problems


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise DomainError(f"{name}: unknown file type {suffix!r}; use .csv or .jsonl")


class IngestService:
    def __init__(self, people: People, metrics: Metrics) -> None:
        self.people = people
        self.metrics = metrics

    def ledger(self, employee_id: str) -> MetricLedger | None:
        found: MetricLedger | None = self.metrics.find(ledger_uuid(employee_id))
        return found

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
                problems.extend(_field_errors(line, exc))
                continue
            definition = catalog.metrics.get(m.metric)
            if definition is None:
                problems.append(
                    f"line {line}: metric: unknown metric {m.metric!r}; add it to the metric "
                    "catalog (publish a new metric_catalog version) or fix the name"
                )
                continue
            if definition.window == "items" and not m.item:
                problems.append(f"line {line}: item: {m.metric} needs the item (e.g. the course)")
                continue
            if m.employee_id not in known:
                known[m.employee_id] = employee_uuid(m.employee_id) in self.people.repository
            if not known[m.employee_id]:
                problems.append(f"line {line}: employee_id: unknown employee {m.employee_id!r}")
                continue
            measurements.append(m)
        if not raw_rows and not problems:
            problems.append("line 1: file: no rows")
        if problems:
            raise IngestError(source_name, problems)
        return measurements

    def ingest(
        self,
        principal: Principal,
        data: bytes,
        fmt: str,
        catalog: MetricCatalog,
        source_name: str = "upload",
        batch_id: str | None = None,
    ) -> IngestResult:
        principal.require(
            AccessRole.hr, AccessRole.integration, AccessRole.system, action="ingest metrics"
        )
        measurements = self.validate(data, fmt, catalog, source_name)
        # The batch is its content: the same export ingested twice is one batch.
        batch = batch_id or "sha256:" + hashlib.sha256(data).hexdigest()[:32]
        by_employee: dict[str, list[Measurement]] = defaultdict(list)
        for m in measurements:
            by_employee[m.employee_id].append(m)
        ledgers: list[MetricLedger] = []
        with command_context(
            actor=principal.person_id, role=principal.role.value, command_id=batch
        ):
            for employee_id in sorted(by_employee):
                ledger = self.ledger(employee_id) or MetricLedger(employee_id=employee_id)
                if ledger.record(batch, by_employee[employee_id]):
                    ledgers.append(ledger)
        written = sum(len(ledger.pending_events) for ledger in ledgers)
        # One save, one transaction: all of the file or none of it.
        recordings = self.metrics.save(*ledgers) if ledgers else []
        return IngestResult(
            batch_id=batch,
            rows=len(measurements),
            employees=len(by_employee),
            events_written=written,
            already_ingested=not ledgers,
            notification_id=recordings[-1].notification.id if recordings else None,
            employee_ids=[ledger.employee_id for ledger in ledgers],
        )
