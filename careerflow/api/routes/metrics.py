"""Metric exports pushed by integrations (CRM, attendance, training, feedback) or HR, and
an employee's measurements. An export is ingested by the MetricImport workflow, so the
employees' running development plans re-evaluate as soon as it is stored."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from aggregates.metric_rules import IngestResult
from careerflow.api.auth import Caller, Context
from careerflow.api.errors import Problem, refusal, validation_refusal
from careerflow.api.paging import PAGED, Paging
from careerflow.applications.files import IngestError
from careerflow.applications.metrics import require_ingester
from projections.metrics import measurements_paged
from projections.paging import Page
from projections.visibility import require_visible
from words.messages import Message

router = APIRouter(tags=["metrics"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Content type -> ingest format ("rows": a JSON body {"rows": [...]}).
FORMATS: dict[str, str] = {
    "text/csv": "csv",
    XLSX: "xlsx",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/x-jsonlines": "jsonl",
    "application/json": "rows",
}


class MeasurementRow(BaseModel):
    """One measurement: a CSV row, a JSON-lines object and a JSON row have these fields."""

    employee_id: str
    period: str = Field(description="'YYYY-MM', 'YYYY-Www' (ISO week) or 'YYYY-MM-DD'")
    metric: str = Field(description="a metric of the metric catalog in force")
    value: float = Field(description="percent metrics are percent numbers (130 = 130%)")
    source: str = Field(description="the system it came from, e.g. crm")
    item: str | None = Field(None, description="what it is about, e.g. the course's name")


class MetricRows(BaseModel):
    """Measurement rows as JSON; a problem with rows[N-1] is reported as `line N`."""

    rows: list[dict[str, Any]]


class MeasurementOut(BaseModel):
    period: str
    metric: str
    item: str | None
    value: float
    source: str
    batch_id: str


def _rows_schema() -> dict[str, Any]:
    row = MeasurementRow.model_json_schema()
    return {
        "title": "MetricRows",
        "description": MetricRows.__doc__,
        "type": "object",
        "properties": {"rows": {"type": "array", "items": row}},
        "required": ["rows"],
    }


_CSV_EXAMPLE = "employee_id,period,metric,value,source,item\nE1,2026-10,customer_visits,12,crm,\n"
EXPORT_BODY: dict[str, Any] = {
    "required": True,
    "description": "The export file as sent by the source system (CSV with a header line, "
    "in UTF-8 or another encoding such as GBK; an XLSX workbook, its first sheet with a "
    "header row; or JSON lines), or JSON rows. All rows are stored or none.",
    "content": {
        "text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "one MeasurementRow object per line"}
        },
        "application/json": {"schema": _rows_schema()},
    },
}


def _file_problem(request: Request, exc: IngestError) -> JSONResponse:
    """The file's problems, each naming its line and field, in the caller's language."""
    fields: list[tuple[str, Message]] = []
    for message in exc.messages:
        line, field = message.params.get("line"), message.params.get("field")
        problem = message.params.get("problem")
        if isinstance(problem, Message):
            fields.append((f"line {line}: {field}", problem))
        else:
            fields.append((f"line {line}" if line is not None else "file", message))
    return refusal(request, 422, Message("Invalid file"), exc.message, fields)


def _body_format(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(media)
    if fmt is None:
        raise HTTPException(
            415,
            Message(
                "unsupported content type {media!r}: send the export as text/csv, an XLSX "
                'workbook or application/x-ndjson, or JSON {{"rows": [...]}} as application/json',
                media=media or "(none)",
            ),  # said in the caller's language by errors.py
        )
    return fmt


def _rows_to_jsonl(request: Request, raw: bytes) -> bytes | JSONResponse:
    try:
        body = MetricRows.model_validate_json(raw)
    except ValidationError as exc:
        return validation_refusal(request, exc.errors(), drop=())
    return b"".join(orjson.dumps(row) + b"\n" for row in body.rows)


@router.post(
    "/metrics/exports",
    response_model=IngestResult,
    responses={415: {"model": Problem}, 422: {"model": Problem}},
    openapi_extra={"requestBody": EXPORT_BODY},
)
async def post_export(
    request: Request,
    caller: Caller,
    ctx: Context,
    batch_id: str | None = Query(
        None,
        description="the batch's id; default: the content's hash (the same file twice "
        "is one batch)",
    ),
) -> IngestResult | JSONResponse:
    """Integrations and HR: ingest a metric export, all rows or none (idempotent per batch)."""
    require_ingester(caller)  # 403 before the file is read
    fmt = _body_format(request)
    data = await request.body()
    if fmt == "rows":
        converted = _rows_to_jsonl(request, data)
        if isinstance(converted, JSONResponse):
            return converted
        data, fmt = converted, "jsonl"
    # Checked first, so a bad file is refused with its lines before anything starts.
    flow = await ctx.metric_import()
    try:
        return await flow.import_file(caller, data, fmt, "upload", batch_id)
    except IngestError as exc:
        return _file_problem(request, exc)


@router.get(
    "/employees/{employee_id}/measurements",
    response_model=Page[MeasurementOut],
    summary="An employee's measurements, a page at a time",
    responses={404: {"model": Problem}, **PAGED},
)
def employee_measurements(
    employee_id: str,
    caller: Caller,
    ctx: Context,
    page: Paging,
    metric: str | None = Query(None, max_length=100, description="only this metric"),
    period: str | None = Query(
        None, max_length=20, description="only periods starting with this, e.g. 2026-10"
    ),
) -> Page[MeasurementOut]:
    """An employee's current measurements by period, metric and item (themselves, their
    manager chain, HR, auditors)."""
    with ctx.services.read_pool.connection() as conn:
        require_visible(conn, caller, employee_id)  # type: ignore[arg-type]
        found = measurements_paged(conn, employee_id, page, metric, period)
    return Page[MeasurementOut](
        items=[
            MeasurementOut.model_validate({**r, "item": r["item"] or None}) for r in found.items
        ],
        total=found.total,
        limit=found.limit,
        next_cursor=found.next_cursor,
    )
