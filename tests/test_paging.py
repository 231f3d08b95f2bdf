"""projections.paging without a database: cursors are opaque, tied to their list, and
anything else is refused with one clear line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from aggregates.base import DomainError
from projections.paging import (
    Key,
    Page,
    PageRequest,
    decode_cursor,
    encode_cursor,
    every,
    keyset,
)

KEYS = (Key("at", "timestamptz", "at"), Key("id", "text", "id"))


def test_a_cursor_round_trips_its_values() -> None:
    at = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    cursor = encode_cursor(["list", at, date(2026, 12, 1), 3, "E1"])
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor, 5) == ["list", at.isoformat(), "2026-12-01", 3, "E1"]


@pytest.mark.parametrize("cursor", ["", "nonsense", "W10", encode_cursor(["a"])])
def test_anything_else_is_refused(cursor: str) -> None:
    with pytest.raises(DomainError, match="cursor is not one it made"):
        decode_cursor(cursor, 2)


class Recorder:
    """A connection that answers a count and remembers the page query."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.sql: list[tuple[str, dict[str, Any]]] = []

    def execute(self, sql: str, params: dict[str, Any]) -> Recorder:
        self.sql.append((sql, params))
        self.answer: Any = [{"n": 7}] if sql.startswith("SELECT count") else self.rows
        return self

    def fetchone(self) -> Any:
        return self.answer[0]

    def fetchall(self) -> Any:
        return self.answer


def _page(conn: Recorder, cursor: str | None, name: str = "things") -> Any:
    return keyset(
        conn,
        name=name,
        select="SELECT at, id",
        source="FROM t WHERE TRUE",
        params={},
        keys=KEYS,
        limit=2,
        cursor=cursor,
        descending=True,
    )


def test_keyset_pages_in_sql_and_names_the_next_page() -> None:
    at = datetime(2026, 12, 6, tzinfo=UTC)
    rows = [{"at": at, "id": "c"}, {"at": at, "id": "b"}, {"at": at, "id": "a"}]
    conn = Recorder(rows)
    found, total, following = _page(conn, None)
    assert (len(found), total) == (2, 7) and following is not None
    page_sql, params = conn.sql[-1]
    assert "ORDER BY at DESC, id DESC LIMIT %(_limit)s" in page_sql and params["_limit"] == 3
    found, _, _ = _page(conn, following)
    page_sql, params = conn.sql[-1]
    assert "AND (at, id) < (%(_after0)s, %(_after1)s)" in page_sql
    assert (params["_after0"], params["_after1"]) == (at, "b")
    with pytest.raises(DomainError):  # another list's cursor
        _page(conn, following, name="others")
    with pytest.raises(DomainError):  # the right list, the wrong types
        _page(conn, encode_cursor(["things", "yesterday", "b"]))
    with pytest.raises(DomainError):
        _page(conn, encode_cursor(["things", at, 1]))


def test_every_follows_the_cursors() -> None:
    pages = {None: Page[int](items=[1, 2], total=3, limit=2, next_cursor="x"),
             "x": Page[int](items=[3], total=3, limit=2, next_cursor=None)}  # fmt: skip

    def fetch(request: PageRequest) -> Page[int]:
        return pages[request.cursor]

    assert every(fetch) == [1, 2, 3]
