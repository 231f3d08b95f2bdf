"""The page request every API list takes: `limit` (1-200, default 50) and `cursor` (the
`next_cursor` of the page before), answered with projections.paging.Page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query

from careerflow.api.errors import Problem
from projections.paging import LIMIT, MAX_LIMIT, PageRequest

PAGED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": Problem,
        "description": "A limit outside 1-200, a cursor this list did not give, or a bad "
        "filter (type /problems/invalid or /problems/refused)",
    }
}
"""What every paged list documents besides its own refusals."""


def _page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rows on the page (1-200).")
    ] = LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=1000,
            description="`next_cursor` of the page before; leave out for the first page.",
        ),
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


Paging = Annotated[PageRequest, Depends(_page_request)]
