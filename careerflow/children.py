"""The processes `careerflow start` supervises: how each is started, its output
prefixed and logged, stopped gracefully then forcibly, and restarted with backoff when it
dies."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TextIO

from careerflow.temporal_server import die_with_parent


@dataclass(frozen=True)
class ChildSpec:
    """A process the stack supervises: `name` prefixes its output and names its log."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- output


class Console:
    """Timestamped, name-prefixed lines from several threads without interleaving."""

    def __init__(self, width: int = 11) -> None:
        self.width = width
        self._lock = threading.Lock()

    def line(self, name: str, text: str, stream: TextIO | None = None) -> None:
        out = stream or sys.stdout
        stamp = time.strftime("%H:%M:%S")
        with self._lock:
            try:
                out.write(f"{stamp} {name:<{self.width}} | {text}\n")
                out.flush()
            except (OSError, ValueError):  # closed terminal/pipe: keep supervising
                pass

    def say(self, text: str) -> None:
        self.line("stack", text)

    def error(self, text: str) -> None:
        for part in text.splitlines() or [""]:
            self.line("stack", part, sys.stderr)

    def block(self, lines: Sequence[str]) -> None:
        with self._lock:
            try:
                sys.stdout.write("\n".join(lines) + "\n")
                sys.stdout.flush()
            except (OSError, ValueError):
                pass


# --------------------------------------------------------------------------- children


def show_command(argv: Sequence[str], limit: int = 160) -> str:
    """A command on one line (stand-in children in tests are `python -c` scripts)."""
    text = shlex.join(argv).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Child:
    """One supervised process: its own session (process group), output pumped by threads
    to the console and to ``<log_dir>/<name>.log``."""

    def __init__(
        self, spec: ChildSpec, env: Mapping[str, str], console: Console, log_dir: Path
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.env = {**env, **spec.env}
        self.console = console
        self.log_path = log_dir / f"{spec.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._log: IO[str] | None = None
        self._log_lock = threading.Lock()
        self.started_at = 0.0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        """Start the process; again after it exited (a restart: same spec, same log)."""
        self._threads = []
        self.started_at = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", encoding="utf-8")
        self._log.write(
            f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {show_command(self.spec.argv)}\n"
        )
        self._log.flush()
        self.proc = subprocess.Popen(
            list(self.spec.argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for pipe, stream in ((self.proc.stdout, sys.stdout), (self.proc.stderr, sys.stderr)):
            thread = threading.Thread(
                target=self._pump, args=(pipe, stream), name=f"{self.name}-output", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self.console.say(
            f"started {self.name} (pid {self.proc.pid}): {show_command(self.spec.argv)}"
        )

    def _pump(self, pipe: IO[bytes], stream: TextIO) -> None:
        for raw in iter(pipe.readline, b""):
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self.console.line(self.name, text, stream)
            with self._log_lock:
                if self._log is not None:
                    self._log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
                    self._log.flush()
        pipe.close()

    def poll(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def signal_group(self, sig: int) -> None:
        """Signal the child's whole process group: grandchildren go too."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def finish(self) -> None:
        """After exit: drain the output threads and close the log."""
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads = []
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None


class Backoff:
    """When to start again something that died: 1 s, then doubling up to `longest`; a
    process that stayed up `stable` seconds starts over at 1 s (a crash now and then is
    restarted at once, a crash loop does not spin)."""

    def __init__(self, first: float = 1.0, longest: float = 30.0, stable: float = 60.0) -> None:
        self.first = first
        self.longest = longest
        self.stable = stable
        self._delay: dict[str, float] = {}

    def after_death(self, name: str, uptime: float) -> float:
        """The delay before the next start of `name`, which ran for `uptime` seconds."""
        previous = self._delay.get(name)
        if previous is None or uptime >= self.stable:
            delay = self.first
        else:
            delay = min(previous * 2, self.longest)
        self._delay[name] = delay
        return delay


def stop_children(
    children: Sequence[Child], console: Console, timeout: float, force: threading.Event
) -> None:
    """SIGINT every live child at once, wait (until `timeout` or `force`), then SIGKILL."""
    live = [c for c in children if c.poll() is None]
    for child in reversed(live):
        console.say(f"stopping {child.name} (pid {child.pid})")
        child.signal_group(signal.SIGINT)
    deadline = time.monotonic() + timeout
    while any(c.poll() is None for c in live):
        if force.is_set() or time.monotonic() >= deadline:
            why = "second interrupt" if force.is_set() else f"not stopped after {timeout:.0f}s"
            for child in live:
                if child.poll() is None:
                    console.error(f"{child.name}: {why}: killing it")
                    child.signal_group(signal.SIGKILL)
            break
        time.sleep(0.05)
    for child in children:
        if child.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.proc.wait(timeout=5.0)
            # The group may still hold grandchildren that ignored SIGINT.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.proc.pid, signal.SIGKILL)
        child.finish()
