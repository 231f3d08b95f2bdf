"""MetricImport end to end on the Temporal dev server and the real event store."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Iterator

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from activities.metrics import IngestRequest
from aggregates.metric_rules import IngestResult
from careerflow.config import PostgresSettings
from careerflow.demo_loader import load_demo_into
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store
from worker import build_worker
from workflows.metric_import import MetricImportWorkflow


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        load_demo_into(s, reps=10, teams=2, if_empty=False)
        yield s


async def test_metric_import_records_once_and_rejects_bad_files(
    dev_env: WorkflowEnvironment, services: Engine
) -> None:
    queue = f"test-{uuid.uuid4()}"
    integration = Principal(person_id="crm", role=AccessRole.integration)
    good = IngestRequest(
        principal=integration,
        data="employee_id,period,metric,value,source\nE00001,2026-10,customer_visits,9,crm\n",
        format="csv",
        source_name="crm.csv",
    )
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with build_worker(dev_env.client, services, queue, executor):
            first: IngestResult = await dev_env.client.execute_workflow(
                MetricImportWorkflow.run, good, id=f"import-{uuid.uuid4()}", task_queue=queue
            )
            again: IngestResult = await dev_env.client.execute_workflow(
                MetricImportWorkflow.run, good, id=f"import-{uuid.uuid4()}", task_queue=queue
            )
            bad = good.model_copy(update={"data": good.data.replace("E00001", "E09999")})
            with pytest.raises(WorkflowFailureError) as info:
                await dev_env.client.execute_workflow(
                    MetricImportWorkflow.run, bad, id=f"import-{uuid.uuid4()}", task_queue=queue
                )
    assert first.events_written == 1 and not first.already_ingested
    assert again.already_ingested and again.events_written == 0
    assert "unknown employee 'E09999'" in str(info.value.cause.__cause__)
