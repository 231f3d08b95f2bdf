"""The Temporal worker: workflows orchestrate, activities act on the event store.
Any number of workers may run against one task queue."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.metrics import MetricActivities
from careerflow.config import Settings
from careerflow.services.registry import Services
from workflows.metric_import import MetricImportWorkflow

log = logging.getLogger("careerflow.worker")

WORKFLOWS: list[type] = [MetricImportWorkflow]


def build_worker(
    client: Client, services: Services, task_queue: str, executor: concurrent.futures.Executor
) -> Worker:
    metric_activities = MetricActivities(services)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=[metric_activities.ingest_metrics],
        activity_executor=executor,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal.address,
        namespace=settings.temporal.namespace,
        data_converter=pydantic_data_converter,
    )


async def main(settings: Settings) -> None:
    client = await connect(settings)
    with (
        Services.open(settings) as services,
        concurrent.futures.ThreadPoolExecutor(max_workers=16) as executor,
    ):
        worker = build_worker(client, services, settings.temporal.task_queue, executor)
        log.info(
            "worker polling task queue %r at %s",
            settings.temporal.task_queue,
            settings.temporal.address,
        )
        await worker.run()


if __name__ == "__main__":
    from careerflow.runtime import load_settings

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(load_settings()))
