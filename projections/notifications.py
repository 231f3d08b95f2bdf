"""The in-app inbox, from the `notifications` application."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb
from pydantic import BaseModel

from aggregates.notification import DeliveryStatus, Notification
from projections.base import Apply, EventHandlers, event_of, handles
from projections.paging import bad_cursor


class NotificationsProjection(EventHandlers):
    name = "notifications_projection"
    owned_tables: ClassVar[list[str]] = ["rm_inbox"]
    aggregates = (Notification,)

    @handles(event_of(Notification, "Created"))
    def _Notification_Created(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (notification_id, key, recipient_id, kind, title, body, "
                    "ref, created_at, delivered) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT (notification_id) DO NOTHING"
                ).format(self.view.table("rm_inbox")),
                (
                    e.originator_id,
                    e.key,
                    e.recipient_id,
                    e.kind,
                    Jsonb(e.title),
                    Jsonb(e.body),
                    Jsonb(e.ref) if e.ref is not None else None,
                    e.timestamp,
                    # Channels skipped at creation: the same row as DeliverySkipped events
                    # gave before they became a field of Created (older events lack it).
                    Jsonb(
                        dict.fromkeys(
                            getattr(e, "skipped", None) or {}, DeliveryStatus.skipped.value
                        )
                    ),
                ),
            )

        return change

    @handles(event_of(Notification, "Read"))
    def _Notification_Read(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} SET read_at = %s WHERE notification_id = %s AND read_at IS NULL"
                ).format(self.view.table("rm_inbox")),
                (e.timestamp, e.originator_id),
            )

        return change

    @handles(event_of(Notification, "Delivered"))
    def _Notification_Delivered(self, e: Any) -> Apply:
        return self._outcome(e, DeliveryStatus.delivered)

    @handles(event_of(Notification, "DeliverySkipped"))
    def _Notification_DeliverySkipped(self, e: Any) -> Apply:
        return self._outcome(e, DeliveryStatus.skipped)

    @handles(event_of(Notification, "DeliveryFailed"))
    def _Notification_DeliveryFailed(self, e: Any) -> Apply:
        return self._outcome(e, DeliveryStatus.failed)

    def _outcome(self, e: Any, status: DeliveryStatus) -> Apply:
        # The aggregate records nothing after a channel is settled, so the latest event
        # per channel is its current status.
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} SET delivered = delivered || jsonb_build_object(%s::text, "
                    "%s::text) WHERE notification_id = %s"
                ).format(self.view.table("rm_inbox")),
                (e.channel, status.value, e.originator_id),
            )

        return change


# -- queries ------------------------------------------------------------------------------
def inbox_rows(
    conn: Connection[Any], recipient_id: str, unread_only: bool = False, limit: int = 200
) -> list[Any]:
    """A person's notifications, newest first (optionally only the unread), at most `limit`."""
    sql = (
        "SELECT notification_id, kind, title, body, ref, created_at, read_at, delivered "
        "FROM rm_inbox WHERE recipient_id = %s"
        + (" AND read_at IS NULL" if unread_only else "")
        + " ORDER BY created_at DESC, notification_id LIMIT %s"
    )
    rows: list[Any] = conn.execute(sql, (recipient_id, limit)).fetchall()
    return rows


class InboxPage(BaseModel):
    """One page of a person's inbox, newest first: the rows, how many match the filters in
    all, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    next_cursor: str | None


def _encode_cursor(created_at: datetime, notification_id: Any) -> str:
    raw = json.dumps([created_at.isoformat(), str(notification_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, UUID] | None:
    """The position after which the next page starts; None for a cursor that is not one
    of ours (the page then starts at the top)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, ident = json.loads(raw)
        return datetime.fromisoformat(at), UUID(ident)
    except (ValueError, TypeError):
        return None


def inbox_page(
    conn: Connection[Any],
    recipient_id: str,
    unread_only: bool = False,
    kind: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    kinds: list[str] | None = None,
    strict: bool = False,
) -> InboxPage:
    """A page of a person's notifications, newest first, optionally only the unread and
    of one kind (or of any of `kinds`, exact: the alerts); keyset paging on
    (created_at, notification_id) descending. A cursor that is not one of ours starts at
    the top, or is refused when `strict` (the API)."""
    where = ["recipient_id = %s"]
    params: list[Any] = [recipient_id]
    if unread_only:
        where.append("read_at IS NULL")
    if kind:  # a kind ("plan.overdue") or a family of kinds ("plan")
        where.append("(kind = %s OR kind LIKE %s)")
        params.extend([kind, kind.replace("_", r"\_") + ".%"])
    if kinds is not None:
        where.append("kind = ANY(%s)")
        params.append(list(kinds))
    counted: Any = conn.execute(
        "SELECT count(*) AS n FROM rm_inbox WHERE " + " AND ".join(where), params
    ).fetchone()
    total = int(counted["n"])
    after = _decode_cursor(cursor) if cursor else None
    if strict and cursor and after is None:
        raise bad_cursor()
    page_where, page_params = list(where), list(params)
    if after is not None:
        page_where.append("(created_at, notification_id) < (%s, %s)")
        page_params.extend(after)
    rows: list[Any] = conn.execute(
        "SELECT notification_id, kind, title, body, ref, created_at, read_at, delivered "
        "FROM rm_inbox WHERE " + " AND ".join(page_where) + " "
        "ORDER BY created_at DESC, notification_id DESC LIMIT %s",
        [*page_params, limit + 1],
    ).fetchall()
    more = len(rows) > limit
    items = [{**dict(r), "read": r["read_at"] is not None} for r in rows[:limit]]
    last = items[-1] if more and items else None
    return InboxPage(
        items=items,
        total=total,
        limit=limit,
        next_cursor=_encode_cursor(last["created_at"], last["notification_id"]) if last else None,
    )


def inbox_item(conn: Connection[Any], recipient_id: str, notification_id: UUID) -> Any:
    """One of a person's notifications (None when it is not theirs or not there yet)."""
    return conn.execute(
        "SELECT notification_id, kind, title, body, ref, created_at, read_at "
        "FROM rm_inbox WHERE recipient_id = %s AND notification_id = %s",
        (recipient_id, notification_id),
    ).fetchone()
