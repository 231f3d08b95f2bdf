"""Paging for every list that grows with the organisation: a page request (`limit`,
`cursor`), the page envelope (`items`, `total`, `limit`, `next_cursor`) and keyset paging
in SQL. A cursor is the opaque base64url of the list's name and the sort key of the
page's last row (its id last); the next page is `WHERE (keys) > (cursor) ORDER BY keys
LIMIT limit + 1`, and `total` counts the rows with the same filters. A cursor made by
another list, or edited, is refused (422) with one clear line."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, Field

from aggregates.base import DomainError

T = TypeVar("T")
P = TypeVar("P", bound="Page[Any]")
LIMIT = 50
MAX_LIMIT = 200


class PageRequest(BaseModel):
    """Which page: at most `limit` rows after the row `cursor` names (None: the first)."""

    limit: int = Field(LIMIT, ge=1, le=MAX_LIMIT, description="Rows on the page (1-200).")
    cursor: str | None = Field(
        None, description="`next_cursor` of the page before; none for the first page."
    )


class Page(BaseModel, Generic[T]):
    """One page of a list: its rows, how many rows match the filters in all, the page
    size, and the cursor of the next page (None on the last)."""

    items: list[T]
    total: int
    limit: int
    next_cursor: str | None


def bad_cursor() -> DomainError:
    """A `cursor` that this list did not make (edited, or from another list)."""
    return DomainError("this list's cursor is not one it made: start again from the first page")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([_plain(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    """The values a cursor holds (exactly `size` of them), or the refusal."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise bad_cursor() from None
    if not isinstance(values, list) or len(values) != size:
        raise bad_cursor()
    return values


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


Kind = Literal["text", "int", "timestamptz", "date", "numeric", "float"]


@dataclass(frozen=True)
class Key:
    """One part of a list's sort key: the SQL expression (never NULL), its type and the
    name of the selected column holding it."""

    expr: str
    kind: Kind
    column: str


def _typed(value: Any, kind: Kind) -> Any:
    """A cursor value back as the type the SQL compares it with (refused otherwise)."""
    try:
        if kind == "text" and isinstance(value, str) and "\x00" not in value:
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "timestamptz" and isinstance(value, str):
            return datetime.fromisoformat(value)
        if kind == "date" and isinstance(value, str):
            return date.fromisoformat(value)
        if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind == "numeric" and isinstance(value, str | int | float):
            return Decimal(str(value))
    except ValueError:
        pass
    raise bad_cursor()


def keyset(
    conn: Any,
    *,
    name: str,
    select: str,
    source: str,
    params: dict[str, Any],
    keys: Sequence[Key],
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """One page of `select + source` (source: FROM ... WHERE ..., with named params), in
    the order of `keys` (all ascending or all descending, the id last): the rows, the
    total matching `source`, and the next page's cursor. `name` ties cursors to the
    list that made them. `source` ends in a WHERE clause (`WHERE TRUE` for none)."""
    limit = max(1, int(limit))
    after = _after(cursor, name, keys) if cursor else []
    if any(isinstance(v, str) and "\x00" in v for v in params.values()):
        return [], 0, None  # no stored text holds a NUL (and PostgreSQL takes none)
    counted: Any = conn.execute("SELECT count(*) AS n " + source, params).fetchone()
    total = int(counted["n"]) if counted else 0
    args = dict(params)
    clause = ""
    if after:
        left = ", ".join(k.expr for k in keys)
        right = ", ".join(f"%(_after{i})s" for i in range(len(keys)))
        clause = f" AND ({left}) {'<' if descending else '>'} ({right})"
        args |= {f"_after{i}": v for i, v in enumerate(after)}
    order = ", ".join(f"{k.expr} {'DESC' if descending else 'ASC'}" for k in keys)
    args["_limit"] = limit + 1
    rows: list[Any] = conn.execute(
        f"{select} {source}{clause} ORDER BY {order} LIMIT %(_limit)s", args
    ).fetchall()
    more = len(rows) > limit
    rows = [dict(r) for r in rows[:limit]]
    next_cursor = (
        encode_cursor([name, *(rows[-1][k.column] for k in keys)]) if more and rows else None
    )
    return rows, total, next_cursor


def rows_before(
    conn: Any,
    *,
    name: str,
    source: str,
    params: dict[str, Any],
    keys: Sequence[Key],
    cursor: str | None,
    descending: bool = False,
) -> int:
    """How many rows of `source` come before the page that `cursor` starts (0 for the
    first page): for "51-100 of 1,234" beside a keyset page, without an offset in the
    cursor."""
    if not cursor:
        return 0
    after = _after(cursor, name, keys)
    left = ", ".join(k.expr for k in keys)
    right = ", ".join(f"%(_after{i})s" for i in range(len(keys)))
    args = dict(params) | {f"_after{i}": v for i, v in enumerate(after)}
    found: Any = conn.execute(
        f"SELECT count(*) AS n {source} AND ({left}) {'>=' if descending else '<='} ({right})",
        args,
    ).fetchone()
    return int(found["n"]) if found else 0


def _after(cursor: str, name: str, keys: Sequence[Key]) -> list[Any]:
    """The sort key a cursor of the list `name` holds, typed (refused otherwise)."""
    values = decode_cursor(cursor, len(keys) + 1)
    if values[0] != name:
        raise bad_cursor()
    return [_typed(v, k.kind) for v, k in zip(values[1:], keys, strict=True)]


def sorted_page(
    items: Sequence[T],
    *,
    name: str,
    key: Callable[[T], tuple[Any, ...]],
    kinds: Sequence[Kind],
    limit: int,
    cursor: str | None,
) -> tuple[list[T], int, int, str | None]:
    """One page of a list computed in Python (a rank, a derived target), by `key` (its
    last part unique): the rows after the cursor's key, the total, how many rows come
    before the page, and the next page's cursor. Like `keyset`, the cursor holds the
    last row's key (so a row added or gone elsewhere moves no other row) and is tied to
    `name`."""
    limit = max(1, int(limit))
    ordered = sorted(items, key=key)
    start = 0
    if cursor:
        keys = [Key(f"_{i}", kind, f"_{i}") for i, kind in enumerate(kinds)]
        after = tuple(_after(cursor, name, keys))
        try:
            start = next((i for i, row in enumerate(ordered) if key(row) > after), len(ordered))
        except TypeError:
            raise bad_cursor() from None
    rows = list(ordered[start : start + limit])
    more = start + limit < len(ordered)
    next_cursor = encode_cursor([name, *key(rows[-1])]) if more and rows else None
    return rows, len(ordered), start, next_cursor


def every(fetch: Callable[[PageRequest], Page[T]], limit: int = MAX_LIMIT) -> list[T]:
    """Every row of a paged list, page after page (exports, the CLI's `--all`)."""
    found: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(PageRequest(limit=limit, cursor=cursor))
        found += page.items
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def whole(fetch: Callable[[PageRequest], P], limit: int = MAX_LIMIT) -> P:
    """The first page's envelope (its counts beside the rows) holding every row, page
    after page: the CLI's tables, which list everything they are asked for."""
    first = fetch(PageRequest(limit=limit))
    items = list(first.items)
    cursor = first.next_cursor
    while cursor is not None:
        page = fetch(PageRequest(limit=limit, cursor=cursor))
        items += page.items
        cursor = page.next_cursor
    return first.model_copy(update={"items": items, "next_cursor": None})
