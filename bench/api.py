"""API read latency of the main dashboard endpoints on a large organisation (by
default 10,000 reps in 1,000 teams, their 1,000 supervisors and 100 regional managers:
11,100 employees, twelve months of metrics), against a trivial endpoint of the same app
(`/api/v1/me`: the same token check, no query), called the same way in the same run.

The FastAPI app is called in-process over ASGI by httpx (no socket), sequentially, as
HR, each endpoint over rotating ids; the read models are loaded and caught up first
(a week of weekly cycles for every rep, and open promotion applications)."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Any

import httpx
from temporalio.client import Client

from aggregates.ladder import Role, next_role
from bench.common import Lab, Report, p50, percentile
from bench.org import catch_up, shared_org
from bench.rebuild import write_cycles
from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole

NAME = "api"
TITLE = "API read latency of the dashboard endpoints vs a trivial endpoint"
DEFAULTS: dict[str, Any] = {"reps": 10000, "teams": 1000, "requests": 200, "applications": 200}
SMOKE: dict[str, Any] = {"reps": 20, "teams": 2, "requests": 5, "applications": 3}
WEEK = "2026-W40"
DATA_KEY = "api-data"


async def _no_temporal() -> Client:
    raise RuntimeError("the read benchmark does not talk to Temporal")


def _prepare(services: Engine, rep_ids: list[str], applications: int) -> None:
    """A week of cycles for every rep, and open applications for the pipeline."""
    write_cycles(services, rep_ids, [WEEK])
    commands = services.store.promotions
    for i, employee_id in enumerate(rep_ids[:applications]):
        employee = services.people.get(employee_id)
        target = next_role(Role(employee.role))
        assert target is not None
        application_id = f"bench-application-{employee_id}"
        commands.open_application(
            DEMO_HR, application_id, employee_id, target, f"promotion-{employee_id}-bench"
        )
        if i % 10 == 0:  # a tenth with their report, at manager review
            commands.submit_report(application_id, 1, date(2026, 11, 2), DEMO_HR)


async def _measure(
    http: httpx.AsyncClient, headers: dict[str, str], paths: list[str], n: int
) -> list[float]:
    for path in paths[:5]:  # warm-up
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    samples = []
    for i in range(n):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        response = await http.get(path, headers=headers)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return samples


async def run(lab: Lab, reps: int, teams: int, requests: int, applications: int) -> Report:
    report = Report(
        NAME,
        TITLE,
        {"reps": reps, "teams": teams, "requests": requests, "applications": applications},
    )
    org = await asyncio.to_thread(shared_org, lab, reps, teams)
    pg = org.pg
    with Engine(open_store(pg)) as services:
        key = f"{DATA_KEY}-{pg.dbname}"
        if key not in lab.cache:
            await asyncio.to_thread(_prepare, services, org.rep_ids, applications)
            await asyncio.to_thread(catch_up, pg)
            lab.cache[key] = True
        token = services.tokens.issue(DEMO_HR, "H001", AccessRole.hr, "bench").token
        headers = {"Authorization": f"Bearer {token}"}
        app = create_app(ApiContext(services, _no_temporal, "bench"))
        reps_sample = org.rep_ids[:: max(1, len(org.rep_ids) // 100)]
        supervisors = org.supervisor_ids[:: max(1, len(org.supervisor_ids) // 50)]
        endpoints = {
            "readiness (an employee's)": [f"/api/v1/employees/{e}/readiness" for e in reps_sample],
            "a rep's week": [f"/api/v1/cycles/{e}/{WEEK}" for e in reps_sample],
            "team board (a manager's week)": [
                f"/api/v1/cycles/weeks/{WEEK}/teams/{s}" for s in supervisors
            ],
            "promotion pipeline": ["/api/v1/promotions/pipeline"],
            "candidate pool": ["/api/v1/promotions/candidate-pool"],
        }
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            baseline = await _measure(http, headers, ["/api/v1/me"], requests)
            for label, paths in endpoints.items():
                samples = await _measure(http, headers, paths, requests)
                report.add(
                    f"{label} p50",
                    p50(samples) * 1000,
                    "ms",
                    "GET /api/v1/me p50",
                    p50(baseline) * 1000,
                    higher_is_better=False,
                )
                report.add(
                    f"{label} p95",
                    percentile(samples, 95) * 1000,
                    "ms",
                    "GET /api/v1/me p95",
                    percentile(baseline, 95) * 1000,
                    higher_is_better=False,
                )
    report.note(
        f"{org.employees:,} employees in {teams:,} teams, {org.measurements:,} measurements; "
        f"{requests} sequential requests per endpoint as HR (everything visible), in-process "
        "ASGI (no socket, one client)."
    )
    report.note(
        f"loading the organisation took {org.seconds_load:.0f} s (import + ingest) and "
        f"{org.seconds_projected:.0f} s (projections, then readiness once)."
    )
    return report
