"""The export module: CSV with a BOM, XLSX read back by openpyxl, formulas escaped."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from careerflow.exports import (
    BOM,
    Column,
    content_disposition,
    export,
    to_csv,
    to_xlsx,
)

COLUMNS = [Column("name", "姓名"), Column("score", "Score")]
ROWS = [{"name": '=HYPERLINK("x")', "score": 81.5}, {"name": "王芳", "score": None}]


def test_csv_has_bom_header_and_escaped_formula() -> None:
    data = to_csv(COLUMNS, ROWS)
    assert data.startswith(BOM)
    lines = data[len(BOM) :].decode("utf-8").splitlines()
    assert lines[0] == "姓名,Score"
    assert lines[1].startswith("\"'=HYPERLINK")
    assert lines[2] == "王芳,"


def test_xlsx_reads_back_with_bold_header_and_escaped_formula() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(COLUMNS, ROWS, "pool"))).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == ["姓名", "Score"]
    assert values[1] == ['\'=HYPERLINK("x")', "81.5"]
    assert values[2][0] == "王芳"
    assert sheet["A1"].font.bold
    assert sheet.title == "pool"


def test_export_picks_format_and_attachment_name() -> None:
    _, media = export("csv", COLUMNS, ROWS)
    assert media.startswith("text/csv")
    _, media = export("xlsx", COLUMNS, ROWS)
    assert "spreadsheetml" in media
    header = content_disposition("pool", "xlsx", date(2026, 12, 5))
    assert header == 'attachment; filename="pool-2026-12-05.xlsx"'
