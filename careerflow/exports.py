"""Exports of a table HR and auditors see: CSV (UTF-8 with BOM, so Excel opens it) and XLSX.

The caller gives the rows and the columns with headers already said in the reader's language;
this module only writes bytes. Cells that a spreadsheet would read as a formula (starting with
= + - @, or a tab/carriage return) get a leading apostrophe, so an exported name never runs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Format = Literal["csv", "xlsx"]

BOM = b"\xef\xbb\xbf"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One exported column: the row key it reads and its header in the reader's language."""

    key: str
    header: str


def cell_text(value: object) -> str:
    """The text of one cell, escaped so a spreadsheet never reads it as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def _table(columns: Sequence[Column], rows: Iterable[Mapping[str, object]]) -> list[list[str]]:
    return [[cell_text(row.get(column.key)) for column in columns] for row in rows]


def to_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, object]]) -> bytes:
    """CSV bytes: UTF-8 with a BOM, a header row, then one line per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    writer.writerows(_table(columns, rows))
    return BOM + buffer.getvalue().encode("utf-8")


def to_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, object]],
    sheet_title: str = "export",
) -> bytes:
    """XLSX bytes: one sheet, the header row in bold, columns wide enough for their text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title[:31] or "export"
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    body = _table(columns, rows)
    for line in body:
        sheet.append(line)
    for index, column in enumerate(columns, start=1):
        texts = [column.header, *(line[index - 1] for line in body)]
        width = max(_display_width(text) for text in texts)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _display_width(text: str) -> int:
    # A CJK character takes two columns in a spreadsheet's default font.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def filename(stem: str, fmt: Format, today: date) -> str:
    """The file's name with the date, e.g. ``candidate-pool-2026-12-05.csv``."""
    return f"{stem}-{today.isoformat()}.{fmt}"


def content_disposition(stem: str, fmt: Format, today: date) -> str:
    """The ``Content-Disposition`` header value that downloads the export as an attachment."""
    return f'attachment; filename="{filename(stem, fmt, today)}"'


def export(
    fmt: Format,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, object]],
    sheet_title: str = "export",
) -> tuple[bytes, str]:
    """The export's bytes and media type in the given format."""
    if fmt == "csv":
        return to_csv(columns, rows), CSV_MEDIA_TYPE
    return to_xlsx(columns, rows, sheet_title), XLSX_MEDIA_TYPE
