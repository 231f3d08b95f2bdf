"""XLSX files for the ingest tests, made with openpyxl as Excel would save them."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook


def workbook(*rows: list[Any], formats: dict[str, str] | None = None) -> bytes:
    """An XLSX file: the rows on its first sheet (a second sheet that must be ignored),
    cells named in `formats` ("D3") given that number format."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cell, number_format in (formats or {}).items():
        sheet[cell].number_format = number_format
    book.create_sheet("notes").append(["not", "metrics"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
