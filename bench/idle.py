"""Idle cost: the CPU an idle projection runner process uses, in % of one core.

The deployed process (`python -m careerflow projections run`) starts on a small loaded
database, catches up, and is then left alone for `seconds`; its CPU time is read from
/proc (every thread's run time, /proc/<pid>/task/*/schedstat, nanoseconds), and so is
that of the PostgreSQL server processes (what its queries cost there). The same-run
baseline is the same process with the readiness refresher looking at the positions every
0.2 s, as it did before it waited for the projections' notifications
(`CAREERFLOW_READINESS_POLL=0.2`). An idle `sleep` process is measured too (a floor)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.common import Lab, Report
from bench.stack import wait_caught_up
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store

NAME = "idle"
TITLE = "idle projection runner: CPU in % of one core"
DEFAULTS: dict[str, Any] = {"seconds": 30.0, "settle": 3.0}
SMOKE: dict[str, Any] = {"seconds": 2.0, "settle": 0.5}
ROOT = Path(__file__).resolve().parents[1]
READY = "projecting:"


def cpu_seconds(pid: int) -> float:
    """Run time of every live thread of `pid` (threads that exit take theirs along)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def server_pids(pg: PostgresSettings) -> list[int]:
    """The PostgreSQL server's processes, if it runs on this machine (else none)."""
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    backend = int(row[0]) if row else 0
    try:
        status = Path(f"/proc/{backend}/status").read_text()
    except OSError:
        return []
    parent = next(line for line in status.splitlines() if line.startswith("PPid:"))
    postmaster = int(parent.split()[1])
    children = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            # Not the backend of the connection that asked (it is ending).
            if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster and int(proc.name) != backend:
                children.append(int(proc.name))
    return [postmaster, *children]


def server_cpu(pg: PostgresSettings) -> dict[int, float]:
    """Run time of each live server process."""
    found: dict[int, float] = {}
    for pid in server_pids(pg):
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:
            continue  # a backend that ended
    return found


def server_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """The server's run time between two readings: every process alive at the second
    (one started in between counts whole). A backend that ended in between took its
    time along, so comparing the two sums could subtract it."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def runner_env(pg: PostgresSettings, poll: str | None) -> dict[str, str]:
    """What `careerflow start` gives the runner (as tests/fault/conftest.py builds it)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POSTGRES_", "TEMPORAL_", "CAREERFLOW_", "PERSISTENCE_", "CIPHER_"))
    }
    env.update(pg.eventsourcing_env())
    env["PYTHONUNBUFFERED"] = "1"
    if poll is not None:
        env["CAREERFLOW_READINESS_POLL"] = poll
    return env


def measure(
    pg: PostgresSettings, argv: list[str], env: dict[str, str], seconds: float, settle: float
) -> tuple[float, float]:
    """(process CPU %, PostgreSQL server CPU %) of one core over `seconds`, once the
    process said it is ready (if it says so) and everything caught up."""
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-idle-{os.getpid()}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        if argv[1:3] == ["-m", "careerflow"]:
            deadline = time.monotonic() + 120
            while READY not in log_path.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"runner not ready:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.1)
            wait_caught_up(pg, 300)
        time.sleep(settle)
        started = time.monotonic()
        own0, server0 = cpu_seconds(proc.pid), server_cpu(pg)
        time.sleep(seconds)
        own1, server1 = cpu_seconds(proc.pid), server_cpu(pg)
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log_path.unlink(missing_ok=True)
    return 100 * (own1 - own0) / elapsed, 100 * server_delta(server0, server1) / elapsed


async def run(lab: Lab, seconds: float, settle: float) -> Report:
    pg = lab.database("idle")
    try:
        with Engine(open_store(pg)) as services:
            services.policies.seed(DEMO_HR)
        runner = [sys.executable, "-m", "careerflow", "projections", "run"]
        own, server = measure(pg, runner, runner_env(pg, None), seconds, settle)
        polled, polled_server = measure(pg, runner, runner_env(pg, "0.2"), seconds, settle)
        sleeper = [sys.executable, "-c", f"import time; time.sleep({seconds + settle + 30})"]
        floor, _ = measure(pg, sleeper, runner_env(pg, None), seconds, settle)
    finally:
        lab.drop(pg)
    report = Report(NAME, TITLE, {"seconds": seconds, "settle": settle})
    report.add(
        "idle runner process (wakes on progress)",
        own,
        "% core",
        "same process, refresher polling every 0.2 s (as before)",
        polled,
        higher_is_better=False,
    )
    report.add(
        "PostgreSQL server while the runner idles",
        server,
        "% core",
        "same, refresher polling every 0.2 s",
        polled_server,
        higher_is_better=False,
    )
    load_avg = Path("/proc/loadavg").read_text().split()[:3]
    report.note(
        f"an idle `python -c 'time.sleep(...)'` measured the same way: {floor:.3f} % core; "
        f"load average at the end: {' '.join(load_avg)}"
    )
    report.note(
        "CPU = run time of every thread from /proc/<pid>/task/*/schedstat over the window; "
        "the server's = its postmaster and every child process"
    )
    return report
