"""Metric files as they arrive (CSV or JSON lines): parsed into rows with their line
numbers, each problem said as `line N: field: what is wrong`. No event store here: the
Metrics application validates the rows against the catalogue and records them."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from aggregates.errors import DomainError
from careerflow.validation import error_message
from words.messages import Invalid, Message

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


def field_errors(line: int, exc: ValidationError) -> list[Message]:
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
