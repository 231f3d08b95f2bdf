"""Reading an application's notification log in bulk for a rebuild: sections of
notifications read by a thread while the caller decodes (the server's time overlaps
ours), optionally only the aggregates of one part of a split (several processes fold one
log, each its own aggregates)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from careerflow.eventstore import PydanticApplication

SECTION = 500  # notifications read per query, as the subscription does


def _select(
    app: PydanticApplication, where: str, params: tuple[Any, ...], limit: int | None = None
) -> list[Notification]:
    """The notifications of the application's events table matching `where`, in log
    order, the first `limit` of them (None: all)."""
    recorder = app.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    statement = SQL(
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM {0} WHERE "
        + where
        + " ORDER BY notification_id"
        + (" LIMIT %s" if limit is not None else "")
    ).format(Identifier(recorder.datastore.schema, recorder.events_table_name))
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        args = params if limit is None else (*params, limit)
        curs.execute(statement, args, prepare=True)
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]


def _part_section(
    app: PydanticApplication, start: int, stop: int, part: int, parts: int
) -> Sequence[Notification]:
    """The next SECTION notifications from `start` to `stop` whose aggregate falls in
    `part` of `parts` (a hash of its id: every event of an aggregate in the same part)."""
    return _select(
        app,
        "notification_id >= %s AND notification_id <= %s "
        "AND abs(hashtextextended(originator_id::text, 0) %% %s) = %s",
        (start, stop, parts, part),
        SECTION,
    )


def notifications_of(
    app: PydanticApplication, start: int, stop: int, part: int = 0, parts: int = 1
) -> Iterator[Notification]:
    """The stored events from `start` to `stop` inclusive, in log order, not decoded; with
    `parts` > 1 only those of the aggregates in `part`."""
    sections: queue.Queue[Sequence[Notification] | BaseException | None] = queue.Queue(maxsize=4)

    def read() -> None:
        at = start
        try:
            while at <= stop:
                if parts > 1:
                    notifications = _part_section(app, at, stop, part, parts)
                else:
                    notifications = app.recorder.select_notifications(at, SECTION, stop=stop)
                if not notifications:
                    break
                sections.put(notifications)
                at = notifications[-1].id + 1
        except BaseException as exc:  # handed to the decoding side
            sections.put(exc)
            return
        sections.put(None)

    reader = threading.Thread(target=read, name="rebuild-read", daemon=True)
    reader.start()
    while (section := sections.get()) is not None:
        if isinstance(section, BaseException):
            raise section
        yield from section
    reader.join()


def events_of(
    app: PydanticApplication, start: int, stop: int, part: int = 0, parts: int = 1
) -> Iterator[tuple[int, Any]]:
    """(notification id, domain event) from `start` to `stop` inclusive, in log order;
    with `parts` > 1 only those of the aggregates in `part`."""
    decode = app.mapper.to_domain_event
    for n in notifications_of(app, start, stop, part, parts):
        yield n.id, decode(n)


def events_at(app: PydanticApplication, ids: Sequence[int]) -> Iterator[tuple[int, Any]]:
    """The events of the given notification ids, in log order, in one query: the few
    events a split fold leaves to the handlers."""
    for n in _select(app, "notification_id = ANY(%s)", (list(ids),)) if ids else []:
        yield n.id, app.mapper.to_domain_event(n)
