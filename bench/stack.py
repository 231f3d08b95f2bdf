"""The deployment's processes for the end-to-end benchmarks: the projection runner in a
process of its own (as `careerflow projections` runs it beside the worker and the API),
and "caught up" read straight from the tables, so the measuring process does no
projection work itself."""

from __future__ import annotations

import multiprocessing
import multiprocessing.synchronize
import time
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg.sql import SQL, Identifier

from careerflow.config import PostgresSettings
from projections.runner import PROJECTIONS


def positions(pg: PostgresSettings) -> dict[str, tuple[int, int]]:
    """Per application: (last stored notification id, last projected one)."""
    out: dict[str, tuple[int, int]] = {}
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        for app_cls, proj_cls in PROJECTIONS:
            head = conn.execute(
                SQL("SELECT coalesce(max(notification_id), 0) FROM {0}").format(
                    Identifier(f"{app_cls.name.lower()}_events")
                )
            ).fetchone()
            done = conn.execute(
                SQL(
                    "SELECT coalesce(max(notification_id), 0) FROM {0} WHERE application_name = %s"
                ).format(Identifier(f"{proj_cls.name.lower()}_tracking")),
                (app_cls.name,),
            ).fetchone()
            out[app_cls.name] = (int(head[0]) if head else 0, int(done[0]) if done else 0)
    return out


def pending_readiness(pg: PostgresSettings) -> int:
    with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM rm_readiness_dirty").fetchone()
    return int(row[0]) if row else 0


def caught_up(pg: PostgresSettings, *, readiness: bool = True) -> bool:
    if any(done < head for head, done in positions(pg).values()):
        return False
    return not readiness or pending_readiness(pg) == 0


def wait_caught_up(
    pg: PostgresSettings, timeout: float = 600.0, *, readiness: bool = True, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not caught_up(pg, readiness=readiness):
        if time.monotonic() > deadline:
            raise TimeoutError(f"read models not caught up after {timeout} s: {positions(pg)}")
        time.sleep(poll)


def _project(settings: dict[str, Any], stop: multiprocessing.synchronize.Event) -> None:
    from careerflow.store import application_env
    from projections.runner import ReadModels

    pg = PostgresSettings.model_validate(settings)
    read_models = ReadModels(pg, application_env(pg))
    read_models.start()
    try:
        while not stop.wait(0.5):
            read_models.check()
    finally:
        read_models.stop()
        read_models.refresher.close()


def stop_process(
    process: multiprocessing.process.BaseProcess,
    stop: multiprocessing.synchronize.Event,
    grace: float,
) -> None:
    """Asks a child to stop (its `stop` event) and waits `grace` s before terminating it."""
    stop.set()
    process.join(timeout=grace)
    if process.is_alive():
        process.terminate()
        process.join(timeout=10)


class ProjectionProcess:
    """The projection runner (every projection and the readiness refresher) in a child
    process, like the deployment's `projections` service."""

    def __init__(self, pg: PostgresSettings) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._process = ctx.Process(
            target=_project, args=(pg.model_dump(), self._stop), name="bench-projections"
        )

    def __enter__(self) -> Self:
        self._process.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stop_process(self._process, self._stop, 30)
