"""The supervisor's and projection runner's signal handling never takes a lock: a signal
that lands while the main thread holds an event's lock (inside `Event.wait`, where the
stack's loop spends its time) still stops the process, instead of hanging it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from careerflow.signals import relay_signals

ROOT = Path(__file__).resolve().parents[1]

# The race made certain: SIGINT arrives while this thread holds the stop event's lock.
# A handler that set the event itself would wait for that lock forever.
HELD_LOCK = """
import os, signal
from careerflow.signals import relay_signals
from careerflow.stack import StopRequest

stop = StopRequest()
{install}
    with stop.event._cond:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(10_000):  # the handler runs at one of these bytecode boundaries
            pass
    stopped = stop.event.wait(10)
    os.kill(os.getpid(), signal.SIGTERM)
    forced = stop.force.wait(10)
print(stopped, forced, stop.signal_name, flush=True)
"""

RELAYED = "with relay_signals((signal.SIGINT, signal.SIGTERM), stop):"
# What the supervisor did before: the handler set the event in the main thread.
DIRECT = """signal.signal(signal.SIGINT, lambda s, f: stop(s))
signal.signal(signal.SIGTERM, lambda s, f: stop(s))
if True:"""


def _run(install: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HELD_LOCK.format(install=install)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_a_signal_during_a_held_event_lock_stops_and_a_second_forces() -> None:
    done = _run(RELAYED, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "SIGINT"]


def test_setting_the_event_in_the_handler_hangs_which_is_why_it_is_relayed() -> None:
    # The failure the relay prevents, shown on the same script: it never prints.
    try:
        done = _run(DIRECT, timeout=10)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError(f"the direct handler did not hang: {done.stdout!r} {done.stderr!r}")


def test_previous_handlers_come_back_and_other_threads_install_nothing() -> None:
    before = signal.getsignal(signal.SIGHUP)
    seen: list[int] = []
    with relay_signals((signal.SIGHUP,), seen.append):
        assert signal.getsignal(signal.SIGHUP) is not before
    assert signal.getsignal(signal.SIGHUP) is before

    inside: list[object] = []

    def elsewhere() -> None:
        with relay_signals((signal.SIGHUP,), seen.append):
            inside.append(signal.getsignal(signal.SIGHUP))

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert inside == [before]
    assert seen == []
