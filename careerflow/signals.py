"""Signal handlers that never take a lock.

Python runs a signal handler in the main thread between two bytecodes, possibly while
that thread holds a lock: inside `threading.Event.wait` it holds the event's condition
lock around the wait. A handler that calls `Event.set()` there waits for a lock its own
thread holds, and the process hangs, deaf to every later signal. The handler here only
writes the signal's number to a pipe. A thread reads the pipe and runs the callback, where
taking locks (setting events, starting timers) is safe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from types import FrameType


@contextlib.contextmanager
def relay_signals(signals: Iterable[int], callback: Callable[[int], None]) -> Iterator[None]:
    """Within the block, each of `signals` calls `callback(signum)` on a relay thread, in
    arrival order. The previous handlers come back on exit. Outside the main thread, where
    handlers cannot be set, the block runs without them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # a full pipe drops a signal rather than hang

    def handler(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(write_end, bytes([signum]))

    def relay() -> None:
        while data := os.read(read_end, 64):
            for signum in data:
                callback(signum)

    thread = threading.Thread(target=relay, name="signal-relay", daemon=True)
    thread.start()
    sigs = tuple(signals)
    previous = {s: signal.getsignal(s) for s in sigs}
    for s in sigs:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        os.close(write_end)  # the relay reads what is left, then the end of the pipe
        thread.join(timeout=5.0)
        os.close(read_end)
