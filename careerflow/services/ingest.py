"""Metric ingestion: CSV or JSON-lines exports, validated row by row, written all or
nothing, idempotent per batch."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from activities.metrics import IngestResult
from aggregates.base import DomainError, command_context
from aggregates.documents import Measurement, MetricCatalog, value_problem
from aggregates.employee import employee_uuid
from aggregates.metric_ledger import MetricLedger, ledger_uuid
from aggregates.not_found import unknown_employee
from careerflow.apps import Metrics, People
from careerflow.messages import Invalid, Message
from careerflow.principal import AccessRole, Principal
from careerflow.validation import error_message

COLUMNS = ("employee_id", "period", "metric", "value", "source", "item")


def one_a_line(lines: Sequence[Message]) -> Message:
    """The messages one under the other (a list of Messages is said joined with "; ").
    The template is only placeholders and newlines, the same in every language, so it is
    made here rather than written into the catalogue."""
    template = "\n".join(f"{{line{n}}}" for n in range(len(lines)))
    return Message(template, **{f"line{n}": line for n, line in enumerate(lines)})


def file_problem(line: int, field: str, problem: Message) -> Message:
    """One problem of a file: `line N: field: what is wrong`."""
    return Message("line {line}: {field}: {problem}", line=line, field=field, problem=problem)


def require_ingester(principal: Principal) -> None:
    """Integrations and HR (or the engine) ingest metric exports; the API checks it before
    it reads the file, the import activity again when it records."""
    principal.require(
        AccessRole.hr, AccessRole.integration, AccessRole.system, action=Message("ingest metrics")
    )


class IngestError(DomainError):
    """A file that cannot be ingested (made by `IngestError.of`): `messages` are its
    problems, `line N: field: what is wrong` (made by `file_problem`), `problems` the same
    in English."""

    SHOWN = 50

    def __init__(self, template: str | Message, /, **params: Any) -> None:
        super().__init__(template, **params)
        self.messages: list[Message] = []
        self.problems: list[str] = []

    @staticmethod
    def of(source: str, problems: list[Message]) -> IngestError:
        shown = one_a_line(problems[: IngestError.SHOWN])
        if len(problems) > IngestError.SHOWN:
            error = IngestError(
                "{source}: nothing was ingested, {count} problem(s):\n{problems}\n"
                "... and {more} more",
                source=source,
                count=len(problems),
                problems=shown,
                more=len(problems) - IngestError.SHOWN,
            )
        else:
            error = IngestError(
                "{source}: nothing was ingested, {count} problem(s):\n{problems}",
                source=source,
                count=len(problems),
                problems=shown,
            )
        error.messages = problems
        error.problems = [str(problem) for problem in problems]
        return error


def _field_errors(line: int, exc: ValidationError) -> list[Message]:
    problems = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "row"
        said = error_message(err)
        if isinstance((err.get("ctx") or {}).get("error"), Invalid):
            said = Message("Value error, {error}", error=said)  # as pydantic's msg says it
        problems.append(file_problem(line, field, said))
    return problems


def parse_rows(data: bytes, fmt: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Message]]:
    """Raw rows with their line numbers (header is line 1 in CSV)."""
    problems: list[Message] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        not_utf8 = Message(
            "not UTF-8 text ({reason} at byte {byte})", reason=exc.reason, byte=exc.start
        )
        return [], [file_problem(1, "file", not_utf8)]
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c != "item" and c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        if missing:
            problems.append(
                file_problem(
                    1, "header", Message("missing column(s) {columns}", columns=", ".join(missing))
                )
            )
        if unknown:
            problems.append(
                file_problem(
                    1, "header", Message("unknown column(s) {columns}", columns=", ".join(unknown))
                )
            )
        if problems:
            return [], problems
        for record in reader:
            line = reader.line_num
            if None in record:
                problems.append(file_problem(line, "row", Message("more values than columns")))
                continue
            rows.append((line, {k: (v if v != "" else None) for k, v in record.items()}))
    else:
        for line, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problems.append(
                    file_problem(line, "row", Message("not valid JSON ({error})", error=str(exc)))
                )
                continue
            if not isinstance(obj, dict):
                problems.append(file_problem(line, "row", Message("expected a JSON object")))
                continue
            rows.append((line, obj))
    return rows, problems


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise DomainError(
        "{name}: unknown file type {suffix!r}; use .csv or .jsonl", name=name, suffix=suffix
    )


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
    ) -> IngestResult:
        require_ingester(principal)
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
