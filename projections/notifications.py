"""The in-app inbox, from the `notifications` application."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.notification import DeliveryStatus, Notification
from projections.base import Apply, EventHandlers, event_of, handles


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
                    "ref, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
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
