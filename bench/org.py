"""The demo organisation at benchmark size, loaded in bulk through the services (the
same import and ingest paths the CLI uses): the seed policies, the organisation in one
import, and twelve months of metrics in chunked exports (one transaction each).

The read models are then brought up to date by the product's projections and its
readiness refresher, run in the order a bulk load wants (`catch_up`): projections first,
readiness once at the end. Run concurrently, as the runner does during a live bulk
import, the refresher recomputes the whole organisation again and again while metric
events still arrive (see bench/HISTORY.md, "Profile")."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from dataclasses import dataclass

import psycopg

from careerflow.config import PostgresSettings
from careerflow.database import schema_lock
from careerflow.demo import generate, write_csv_stream
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.store import application_env
from projections.base import ReadModelView
from projections.runner import PROJECTIONS, ReadModels

# Employees per metric export (one transaction each).
CHUNK = 500
# Not in the product schema (see the README's profile): created for a bulk load only,
# dropped again before anything is measured on the loaded data.
PERIOD_INDEX = "CREATE INDEX IF NOT EXISTS bench_rm_measurement_period ON rm_measurement (period)"


@dataclass
class LoadedOrg:
    pg: PostgresSettings
    reps: int
    teams: int
    employees: int
    measurements: int
    seconds_load: float
    seconds_projected: float
    rep_ids: list[str]
    supervisor_ids: list[str]


def catch_up(
    pg: PostgresSettings,
    timeout: float = 3600.0,
    *,
    readiness: bool = True,
    view_class: type[ReadModelView] = ReadModelView,
) -> None:
    """Runs every projection until it has the last stored event, then recomputes
    readiness once (`ReadinessRefresher.refresh_all`)."""
    from eventsourcing.projection import ProjectionRunner

    from bench.stack import wait_caught_up

    read_models = ReadModels(pg, application_env(pg))
    with schema_lock(pg):
        read_models.runners = [
            ProjectionRunner(
                application_class=app_cls,
                projection_class=proj_cls,
                view_class=view_class,
                env=read_models.env,
            ).__enter__()
            for app_cls, proj_cls in PROJECTIONS
        ]
    try:
        wait_caught_up(pg, timeout, readiness=False, poll=0.2)
        read_models.check()
    finally:
        read_models.stop()
    if readiness:
        read_models.refresher.refresh_all()
    read_models.refresher.close()


def period_index(pg: PostgresSettings, present: bool) -> None:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        conn.execute(
            PERIOD_INDEX if present else "DROP INDEX IF EXISTS bench_rm_measurement_period"
        )


def load_org(pg: PostgresSettings, reps: int, teams: int) -> LoadedOrg:
    """Loads `reps` reps in `teams` teams (plus their supervisors and regional managers)
    and brings every read model, readiness included, up to date."""
    started = time.perf_counter()
    demo = generate(reps=reps, teams=teams)
    with Engine(open_store(pg)) as services:
        services.policies.seed(DEMO_HR)
        services.people.import_org(DEMO_HR, demo.org)
        catalog = services.catalog()
        by_employee = defaultdict(list)
        for m in demo.measurements:
            by_employee[m.employee_id].append(m)
        ids = sorted(by_employee)
        for offset in range(0, len(ids), CHUNK):
            chunk = [m for e in ids[offset : offset + CHUNK] for m in by_employee[e]]
            buffer = io.StringIO()
            write_csv_stream(chunk, buffer)
            services.ingest.ingest(
                DEMO_HR, buffer.getvalue().encode(), "csv", catalog, source_name="bench"
            )
    loaded = time.perf_counter()
    period_index(pg, True)
    try:
        catch_up(pg)
    finally:
        period_index(pg, False)
    projected = time.perf_counter()
    people = demo.org.employees
    return LoadedOrg(
        pg=pg,
        reps=reps,
        teams=teams,
        employees=len(people),
        measurements=len(demo.measurements),
        seconds_load=loaded - started,
        seconds_projected=projected - loaded,
        rep_ids=[p.employee_id for p in people if p.employee_id.startswith("E")],
        supervisor_ids=[p.employee_id for p in people if p.employee_id.startswith("S")],
    )


def shared_org(lab: object, reps: int, teams: int) -> LoadedOrg:
    """One loaded organisation of a size per run, shared by the benchmarks that read it
    (the cycle launch and the API): loading 10,000 reps takes minutes."""
    from bench.common import Lab

    assert isinstance(lab, Lab)
    key = f"org-{reps}-{teams}"
    if key not in lab.cache:
        lab.cache[key] = load_org(lab.database(f"org{reps}"), reps, teams)
    loaded: LoadedOrg = lab.cache[key]
    return loaded
