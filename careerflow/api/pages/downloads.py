"""A table a page shows, downloaded: CSV (UTF-8 with a BOM, so Excel opens it) or XLSX,
named after the page and the company's date (careerflow.exports writes the bytes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

from careerflow import exports
from careerflow.api import i18n
from careerflow.api.pages.rendering import _lang, _time_zone

Format = Literal["", "html", "csv", "xlsx"]


def _today(request: Request) -> Any:
    return datetime.now(ZoneInfo(_time_zone(request))).date()


def _local(value: datetime | None, zone: str) -> str:
    """A moment in the company's zone as ISO-8601 (exports)."""
    moment = i18n.local_time(value, zone)
    return moment.isoformat(timespec="minutes") if moment else ""


def _download(
    request: Request,
    fmt: Literal["csv", "xlsx"],
    stem: str,
    title: str,
    columns: list[exports.Column],
    rows: Iterable[Mapping[str, object]],
) -> Response:
    body, media_type = exports.export(fmt, columns, rows, title)
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": exports.content_disposition(stem, fmt, _today(request)),
            "Content-Language": i18n.HTML_LANG[_lang(request)],
        },
    )
