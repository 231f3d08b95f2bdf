"""A Temporal worker in a process of its own, as the deployment runs it (`careerflow
worker`, apart from the API that starts the workflows; samples-python's worker and
starter apart), for the engine and for the bare baseline alike: the benchmark's process
only drives the workflows, so neither side's worker shares a GIL with the driver."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.synchronize
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from temporalio.client import Client
from temporalio.worker import Worker

from bench.bare import BarePromotion, noop, noop_local
from bench.stack import stop_process
from careerflow.codec import CodecKeys, EncryptionCodec, data_converter
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.heap import freeze_startup_heap
from worker import WORKFLOW_RUNNER, build_worker

Kind = Literal["engine", "bare"]
ACTIVITY_THREADS = 16


@dataclass(frozen=True)
class WorkerSpec:
    kind: Kind
    target: str  # the Temporal frontend, host:port
    namespace: str
    queue: str
    keys: CodecKeys | None  # the payload codec's key; None: no codec
    pg: dict[str, Any] | None = None  # the engine's PostgreSQL settings


@asynccontextmanager
async def running_worker(
    client: Client, kind: Kind, queue: str, engine: Engine | None = None
) -> AsyncIterator[None]:
    """A worker of either side polling `queue` in this process until the block ends."""
    with concurrent.futures.ThreadPoolExecutor(ACTIVITY_THREADS) as executor:
        if kind == "engine":
            assert engine is not None, "the engine's worker needs the engine"
            worker = build_worker(client, engine, queue, executor)
        else:
            worker = Worker(
                client,
                task_queue=queue,
                workflows=[BarePromotion],
                activities=[noop, noop_local],
                activity_executor=executor,
                workflow_runner=WORKFLOW_RUNNER,
            )
        async with worker:
            yield


async def _serve(spec: WorkerSpec, ready: Any, stop: Any) -> None:
    codec = EncryptionCodec(spec.keys) if spec.keys is not None else None
    client = await Client.connect(
        spec.target, namespace=spec.namespace, data_converter=data_converter(codec)
    )
    with contextlib.ExitStack() as stack:
        engine = None
        if spec.pg is not None:  # the engine's side: its own connections to the store
            pg = PostgresSettings.model_validate(spec.pg)
            engine = stack.enter_context(Engine(open_store(pg)))
        async with running_worker(client, spec.kind, spec.queue, engine):
            # As `careerflow worker` does once ready; the bare side's process too, alike.
            freeze_startup_heap()
            ready.set()
            await asyncio.to_thread(stop.wait)


def _main(spec: WorkerSpec, ready: Any, stop: Any) -> None:
    asyncio.run(_serve(spec, ready, stop))


def spec_for(
    client: Client, kind: Kind, queue: str, pg: dict[str, Any] | None = None
) -> WorkerSpec:
    """The spec of a worker that reaches the same server, namespace and key as `client`."""
    codec = client.data_converter.payload_codec
    keys = codec.keys if isinstance(codec, EncryptionCodec) else None
    return WorkerSpec(
        kind, client.service_client.config.target_host, client.namespace, queue, keys, pg
    )


class WorkerProcess:
    """`async with WorkerProcess(spec):` the worker polls its queue until the block ends."""

    def __init__(self, spec: WorkerSpec) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ready = ctx.Event()
        self._stop = ctx.Event()
        self._process = ctx.Process(
            target=_main, args=(spec, self._ready, self._stop), name=f"bench-worker-{spec.kind}"
        )

    async def __aenter__(self) -> Self:
        self._process.start()
        while not await asyncio.to_thread(self._ready.wait, 0.5):
            if not self._process.is_alive():
                raise RuntimeError(f"the worker process exited ({self._process.exitcode})")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(stop_process, self._process, self._stop, 60)
