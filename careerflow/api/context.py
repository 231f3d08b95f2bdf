"""What every request handler needs: the services, a Temporal client (connected on first
use, so reads work while Temporal restarts) and the process services built on both."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from careerflow.engine import Engine
from careerflow.services.assessment_process import AssessmentProcessService
from careerflow.services.cycle_process import CycleProcessService
from careerflow.services.metric_import import MetricImportProcess
from careerflow.services.plan_process import PlanProcessService
from careerflow.services.promotion_process import PromotionProcessService
from careerflow.services.support_process import SupportProcessService
from careerflow.services.verify_process import VerifyProcess


class ApiContext:
    def __init__(
        self,
        services: Engine,
        connect: Callable[[], Awaitable[Client]],
        task_queue: str,
    ) -> None:
        self.services = services
        self._connect = connect
        self._client: Client | None = None
        self._lock = asyncio.Lock()
        self.task_queue = task_queue

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                self._client = await self._connect()
            return self._client

    async def promotions(self) -> PromotionProcessService:
        return self.services.promotion_process(await self.client(), self.task_queue)

    async def plans(self) -> PlanProcessService:
        return self.services.plan_process(await self.client(), self.task_queue)

    async def cycles(self) -> CycleProcessService:
        return self.services.cycle_process(await self.client(), self.task_queue)

    async def metric_import(self) -> MetricImportProcess:
        return self.services.metric_import(await self.client(), self.task_queue)

    async def support(self) -> SupportProcessService:
        return self.services.support_process(await self.client(), self.task_queue)

    async def assessments(self) -> AssessmentProcessService:
        return self.services.assessment_process(await self.client(), self.task_queue)

    async def verify(self) -> VerifyProcess:
        return self.services.verify_process(await self.client(), self.task_queue)
