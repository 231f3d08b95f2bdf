"""Waiting for PostgreSQL notifications without waking up to look.

The library's subscriptions wait for their channel's NOTIFY 0.1 s at a time so that a
stop is noticed; ten of them in an idle projection runner were a hundred wake-ups a
second. Here a thread blocks on the connection's socket and on a socket pair of its own
at once: a notification or `Waker.wake` (a stop) returns at once, nothing else does."""

from __future__ import annotations

import contextlib
import select
import socket
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresSubscription
from psycopg.sql import SQL, Identifier


class Waker:
    """A socket pair: `wake` from any thread ends a `wait_for_notifies` at once."""

    def __init__(self) -> None:
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)

    def fileno(self) -> int:
        return self._read.fileno()

    def wake(self) -> None:
        with contextlib.suppress(OSError):  # closed already, or the buffer is full
            self._write.send(b"!")

    def drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._read.recv(4096):
                pass

    def close(self) -> None:
        self._read.close()
        self._write.close()


def wait_for_notifies(
    conn: psycopg.Connection[Any], waker: Waker | None, timeout: float | None
) -> bool:
    """Blocks until a notification arrives on `conn` (True), the waker is woken or the
    timeout passes (False). A connection that broke raises psycopg's error."""
    # What arrived while a query ran on this connection is already read off the socket.
    if list(conn.notifies(timeout=0)):
        return True
    watched: list[Any] = [conn.fileno()] if waker is None else [conn.fileno(), waker]
    ready, _, _ = select.select(watched, [], [], timeout)
    if waker is not None and waker in ready:
        waker.drain()
    # Reads what arrived (and raises if the server went away); never blocks.
    return conn.fileno() in ready and bool(list(conn.notifies(timeout=0)))


class QuietSubscription(PostgresSubscription):
    """The library's subscription, with a listening thread that sleeps until its
    channel is notified or the subscription stops (no 0.1 s polling)."""

    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        gt: int | None = None,
        topics: Any = (),
    ) -> None:
        self._waker = Waker()  # before the base class starts the listening thread
        super().__init__(recorder=recorder, gt=gt, topics=topics)

    def stop(self) -> None:
        super().stop()
        with contextlib.suppress(AttributeError):
            self._waker.wake()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._waker.close()

    def _listen(self) -> None:
        try:
            with self._recorder.datastore.get_connection() as conn:
                conn.execute(SQL("LISTEN {0}").format(Identifier(self._recorder.channel_name)))
                while not self._has_been_stopped and not self._thread_error:
                    if wait_for_notifies(conn, self._waker, None):
                        self._has_been_notified.set()
        except BaseException as e:
            if self._thread_error is None:
                self._thread_error = e
            self.stop()
