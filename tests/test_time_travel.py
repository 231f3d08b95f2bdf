"""Time travel: an aggregate at a version or a moment, and read models (one employee's
readiness, the candidate pool) as they were at a moment, rebuilt from the events up to
it while the live read model has moved on."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.seed_policies import sales_supervisor_criteria_v1
from careerflow.cli.auth import ExitCode
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import build_org, ingest, year_of_metrics
from tests.workflows.test_promotion_e2e import cli

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)


@pytest.fixture
def history(pg: PostgresSettings) -> Iterator[tuple[Engine, ReadModels, datetime]]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        ingest(s, year_of_metrics("E1", "2026-10", {}, mentored=2))
        time.sleep(0.05)
        moment = datetime.now(UTC)
        time.sleep(0.05)
        # Afterwards: E2 outshines everyone and the criteria get stricter.
        ingest(
            s,
            year_of_metrics(
                "E2",
                "2026-10",
                {"sales_completion": 160.0, "repurchase_rate": 80.0, "satisfaction": 99.0},
                mentored=3,
            ),
        )
        stricter = sales_supervisor_criteria_v1().model_dump(mode="json")
        for criterion in stricter["criteria"]:
            if criterion["id"] == "satisfaction":
                criterion["threshold"] = 99.5
        s.policies.publish(DEMO_HR, "promotion_criteria", "sales_supervisor", stricter, "v2")
        rm.wait_caught_up(s.store.applications())
        yield s, rm, moment


def test_read_models_as_they_were(history: tuple[Engine, ReadModels, datetime]) -> None:
    services, _, moment = history
    now_pool = [r["employee_id"] for r in services.queries.candidate_pool(DEMO_HR)]
    then_pool = services.time_travel.candidate_pool_at(AUDITOR, moment)
    assert now_pool == ["E2"]
    assert [r["employee_id"] for r in then_pool.result] == ["E1"]
    assert (
        then_pool.events_applied["policies"]
        < services.store.policies.recorder.max_notification_id()
    )  # type: ignore[operator]
    now = services.queries.readiness(DEMO_HR, "E1")
    then = services.time_travel.readiness_at(AUDITOR, "E1", moment).result
    assert now["eligible"] is False  # the stricter satisfaction criterion
    assert then["eligible"] is True
    assert then["policy_versions"]["promotion_criteria/sales_supervisor"] == 1


def test_an_aggregate_at_a_version_and_a_moment(
    history: tuple[Engine, ReadModels, datetime],
) -> None:
    services, _, moment = history
    key = "promotion_criteria/sales_supervisor"
    (latest,) = services.time_travel.aggregate(AUDITOR, "policy", key)
    (first,) = services.time_travel.aggregate(AUDITOR, "policy", key, version=2)
    (then,) = services.time_travel.aggregate(AUDITOR, "policy", key, at=moment)
    assert len(latest.state["versions"]) == 2
    assert then.version == first.version == 2 and len(then.state["versions"]) == 1
    ledger = services.time_travel.aggregate(AUDITOR, "employee", "E2", at=moment)
    assert [s.stream for s in ledger] == ["employee E2"]  # no metrics recorded yet then
    with pytest.raises(NotFoundError, match="not 99"):
        services.time_travel.aggregate(AUDITOR, "policy", key, version=99)
    with pytest.raises(DomainError, match="time zone"):
        services.time_travel.candidate_pool_at(AUDITOR, moment.replace(tzinfo=None))
    with pytest.raises(PermissionDeniedError):
        services.time_travel.candidate_pool_at(
            Principal(person_id="E1", role=AccessRole.employee), moment
        )


async def test_from_the_command_line(
    history: tuple[Engine, ReadModels, datetime], tmp_path: Path
) -> None:
    services, _, moment = history
    pg = services.store.pg
    auditor = CliTokens(pg).args("auditor:A001")
    shown = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "pool-at",
                      moment.isoformat(), "--json", *auditor)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert [r["employee_id"] for r in json.loads(shown.stdout)["result"]] == ["E1"]
    naive = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "pool-at",
                      "2026-11-01T00:00:00", *auditor)  # fmt: skip
    assert naive.returncode == ExitCode.INVALID and "has no time zone" in naive.stderr
