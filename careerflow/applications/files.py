"""Metric files as they arrive (CSV in UTF-8 or another encoding such as GBK from Excel on
Chinese Windows, XLSX, or JSON lines): parsed into rows with their line numbers, each problem
said as `line N: field: what is wrong`. No event store here: the Metrics application
validates the rows against the catalogue and records them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from aggregates.errors import DomainError
from careerflow.validation import error_message
from words.messages import Invalid, Message

COLUMNS = ("employee_id", "period", "metric", "value", "source", "item")
OPTIONAL = frozenset({"item"})

# Encodings a metric export may come in when it is not UTF-8, the Chinese ones first: a
# short GBK file is often guessed Korean (cp949) by charset-normalizer, GB18030 (a superset
# of GBK and GB2312) among its candidates is what a Chinese Excel wrote.
_CHINESE = ("gb18030", "gbk", "gb2312")
_OTHERS = ("big5", "big5hkscs", "utf_16", "utf_32", "cp1252", "latin_1", "iso8859_15")


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


def decode(data: bytes) -> tuple[str, str | None]:
    """The file's text and the encoding assumed when it was not UTF-8 (with or without
    BOM): GB18030/GBK when charset-normalizer finds it plausible, else its best guess
    among the encodings an export is written in. UnicodeDecodeError when none fits."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as not_utf8:
        from charset_normalizer import from_bytes  # only for the files that need it

        found = [match.encoding for match in from_bytes(data)]
        for encoding in [e for e in found if e in _CHINESE] + [
            e for e in found[:1] if e in _OTHERS
        ]:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
        raise not_utf8 from None


def _cell_text(value: object, number_format: str) -> str | None:
    """A spreadsheet cell as a CSV export would carry it: numbers without a spurious
    ".0", a cell formatted as a percentage as its percent number (1.3 shown as 130% is
    130), a date formatted without days (a month, as Excel makes of "2026-10") as
    YYYY-MM, other dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime | date):
        day = value.date() if isinstance(value, datetime) else value
        if "d" not in number_format.lower():
            return day.strftime("%Y-%m")
        return day.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, int | float) and "%" in number_format:
        value = round(value * 100, 9)  # 130% is stored as 1.3; percent metrics say 130
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _sheet_rows(data: bytes) -> Iterator[tuple[int, list[str | None]]]:
    """The first sheet's non-empty rows as text, with their row numbers (the header is
    row 1), trailing empty cells dropped. ValueError (and the like) when it is no XLSX."""
    from openpyxl import load_workbook  # only for the files that need it

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values = [
                _cell_text(cell.value, getattr(cell, "number_format", "") or "") for cell in cells
            ]
            while values and values[-1] is None:
                values.pop()
            if values:
                yield getattr(cells[0], "row", None) or number, values
    finally:
        book.close()


def _header_problems(
    header: Sequence[str],
    columns: Sequence[str] = COLUMNS,
    optional: frozenset[str] = OPTIONAL,
) -> list[Message]:
    problems = []
    missing = [c for c in columns if c not in optional and c not in header]
    unknown = [c for c in header if c not in columns]
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
    return problems


def row_width_problem(
    line: int, values: int, header: Sequence[str], optional: frozenset[str] = OPTIONAL
) -> Message | None:
    """`line N: row has 2 of 5 columns` when a row has more values than the header has
    columns, or lacks a value of a column that must be there (a row may stop before its
    optional last columns, e.g. the item)."""
    if values > len(header) or any(c not in optional for c in header[values:]):
        return Message(
            "line {line}: row has {values} of {columns} columns",
            line=line,
            values=values,
            columns=len(header),
        )
    return None


def _table_rows(
    table: Iterator[tuple[int, list[str | None]]],
    columns: Sequence[str] = COLUMNS,
    optional: frozenset[str] = OPTIONAL,
) -> tuple[list[tuple[int, dict[str, Any]]], list[Message]]:
    """Rows of a table whose first row is the header (CSV or a sheet)."""
    first = next(table, None)
    header = [(c or "").strip() for c in first[1]] if first else []
    problems = _header_problems(header, columns, optional)
    if problems:
        return [], problems
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, values in table:
        width = row_width_problem(line, len(values), header, optional)
        if width is not None:
            problems.append(width)
            continue
        record = dict.fromkeys(header)
        record.update({k: (v if v != "" else None) for k, v in zip(header, values, strict=False)})
        rows.append((line, record))
    return rows, problems


def _csv_table(text: str) -> Iterator[tuple[int, list[str | None]]]:
    reader = csv.reader(io.StringIO(text))
    for values in reader:
        if values:  # a blank line is no row
            yield reader.line_num, list(values)


def _json_lines(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[Message]]:
    problems: list[Message] = []
    rows: list[tuple[int, dict[str, Any]]] = []
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


def parse_rows(
    data: bytes,
    fmt: str,
    columns: Sequence[str] = COLUMNS,
    optional: frozenset[str] = OPTIONAL,
) -> tuple[list[tuple[int, dict[str, Any]]], list[Message]]:
    """Raw rows with their line numbers (the header is line 1 in CSV, row 1 in XLSX);
    `columns` the table's (a metric export's unless said), `optional` those a header may
    leave out."""
    if fmt == "xlsx":
        try:
            return _table_rows(_sheet_rows(data), columns, optional)
        except Exception:  # openpyxl says a broken or foreign file in many ways
            return [], [file_problem(1, "file", Message("not an XLSX workbook"))]
    try:
        text, encoding = decode(data)
    except UnicodeDecodeError as exc:
        not_utf8 = Message(
            "not UTF-8 text ({reason} at byte {byte})", reason=exc.reason, byte=exc.start
        )
        return [], [file_problem(1, "file", not_utf8)]
    if fmt == "csv":
        rows, problems = _table_rows(_csv_table(text), columns, optional)
        if encoding is not None and problems and not rows:
            # The header did not read: the guess of the encoding may be why.
            problems.append(
                file_problem(
                    1,
                    "file",
                    Message(
                        "not UTF-8, read as {encoding}; save it as CSV UTF-8 if that is wrong",
                        encoding=encoding,
                    ),
                )
            )
        return rows, problems
    return _json_lines(text)


def as_utf8(data: bytes, fmt: str) -> tuple[bytes, str]:
    """The file as the import workflow carries it (text): UTF-8 CSV or JSON lines. A UTF-8
    file is returned as it is (its hash, the default batch id, stays the same); a CSV in
    another encoding is re-encoded, a workbook's first sheet written as CSV. For a file
    that parsed (parse_rows without problems)."""
    if fmt == "xlsx":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for _, values in _sheet_rows(data):
            writer.writerow(["" if v is None else v for v in values])
        return out.getvalue().encode("utf-8"), "csv"
    text, encoding = decode(data)
    if encoding is None:
        return data, fmt
    return text.encode("utf-8"), fmt


def detect_format(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    raise DomainError(
        "{name}: unknown file type {suffix!r}; use .csv, .xlsx or .jsonl", name=name, suffix=suffix
    )
