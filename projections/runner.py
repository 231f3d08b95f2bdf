"""Runs every projection of the read model, plus the readiness refresher.

One runner process holds a PostgreSQL advisory lock while it works, so any number may
be started (scale-out) and exactly one projects; the others wait as hot standbys."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.projection import ApplicationSubscription, Projection, ProjectionRunner
from psycopg.rows import dict_row

from careerflow.apps import (
    Access,
    Assessments,
    Cycles,
    Metrics,
    Notifications,
    People,
    Plans,
    Policies,
    Promotions,
    Support,
)
from careerflow.config import PostgresSettings
from careerflow.database import schema_lock
from careerflow.eventstore import PydanticApplication
from projections.access import AccessProjection
from projections.assessments import AssessmentsProjection
from projections.base import ReadModelView
from projections.cycles import CyclesProjection
from projections.metrics import MetricsProjection
from projections.notifications import NotificationsProjection
from projections.people import PeopleProjection
from projections.plans import PlansProjection
from projections.policies import PoliciesProjection
from projections.promotions import PromotionsProjection
from projections.readiness import ReadinessRefresher
from projections.support import SupportProjection

log = logging.getLogger(__name__)

PROJECTIONS: tuple[tuple[type[PydanticApplication], type[Projection[ReadModelView]]], ...] = (
    (People, PeopleProjection),
    (Metrics, MetricsProjection),
    (Policies, PoliciesProjection),
    (Notifications, NotificationsProjection),
    (Promotions, PromotionsProjection),
    (Plans, PlansProjection),
    (Cycles, CyclesProjection),
    (Access, AccessProjection),
    (Assessments, AssessmentsProjection),
    (Support, SupportProjection),
)
RUNNER_LOCK_KEY = 0x6361726565720001  # "career" + 1: one active projection runner
DERIVED_TABLES = ["rm_readiness", "rm_readiness_dirty"]


def batch_size(env: Mapping[str, str]) -> int:
    """Events per read-model transaction (CAREERFLOW_PROJECTION_BATCH, default 500)."""
    raw = (
        env.get("CAREERFLOW_PROJECTION_BATCH")
        or os.environ.get("CAREERFLOW_PROJECTION_BATCH")
        or "500"
    )
    try:
        size = int(raw)
    except ValueError:
        raise ValueError(
            f"CAREERFLOW_PROJECTION_BATCH must be a whole number of events, got {raw!r}"
        ) from None
    if size < 1:
        raise ValueError(f"CAREERFLOW_PROJECTION_BATCH must be at least 1, got {size}")
    return size


def _fetched(subscription: ApplicationSubscription[Any]) -> bool:
    """Whether the subscription holds another notification it has already fetched, so
    that taking it never waits (eventsourcing's ListenNotifySubscription keeps the last
    SELECT's rows in a list; tests/projections/test_batches.py pins this)."""
    inner = subscription.subscription
    held = getattr(inner, "_notifications", ())
    return bool(getattr(inner, "_notifications_index", len(held)) < len(held))


class BatchingRunner(ProjectionRunner[Any, ReadModelView]):
    """A projection runner that hands its projection what the subscription has already
    fetched (up to `size` events) as one batch: one transaction and one tracking record
    per batch, live and catching up alike. It never waits for more events to fill a
    batch, so live lag does not grow."""

    def __init__(self, *, size: int, **kwargs: Any) -> None:
        self.size = size  # before the base class starts the processing thread
        super().__init__(**kwargs)

    @staticmethod
    def _process_events_loop(
        subscription: ApplicationSubscription[Any],
        projection: Any,
        is_stopping: threading.Event,
        runner: weakref.ReferenceType[Any],
    ) -> None:
        try:
            live = runner()
            size = live.size if live is not None else 1
            del live  # the thread must not keep its runner alive
            for first in subscription:
                batch = [first]
                while len(batch) < size and _fetched(subscription):
                    batch.append(next(subscription))
                projection.process_batch(batch)
        except BaseException as exc:
            live = runner()
            if live is not None:
                live._thread_error = exc
        finally:
            is_stopping.set()


def scratch_schema(purpose: str) -> str:
    """A fresh schema name for read models rebuilt aside (e.g. "check", "asof"); named like
    the read models so an operator sees at once what a leftover one is."""
    return f"rm_{purpose}_{uuid.uuid4().hex[:10]}"


class ReadModels:
    """Starts the projection runners and the refresher, waits for positions, rebuilds."""

    # While behind: wait at least PACE times a recompute's duration before the next.
    PACE = 4.0

    def __init__(
        self,
        pg: PostgresSettings,
        env: dict[str, str],
        *,
        max_defer: float | None = 120.0,
        poll: float = 0.2,
    ) -> None:
        """`max_defer`: seconds the projections may stay behind before readiness is
        recomputed anyway, paced (None: only ever after catching up); `poll`: how often
        the refresher looks at the positions."""
        self.pg = pg
        self.env = env
        self.max_defer = max_defer
        self.poll = poll
        self.runners: list[ProjectionRunner[Any, ReadModelView]] = []
        self.refresher = ReadinessRefresher(pg)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        # Constructing a runner runs the library's lazy CREATE ... IF NOT EXISTS for its
        # application and view; under the schema lock, so no other process's first
        # start is creating the same catalog entries at that moment.
        size = batch_size(self.env)
        with schema_lock(self.pg):
            self.runners = [
                BatchingRunner(
                    size=size,
                    application_class=app_cls,
                    projection_class=proj_cls,
                    view_class=ReadModelView,
                    env=self.env,
                ).__enter__()
                for app_cls, proj_cls in PROJECTIONS
            ]
        self._stop.clear()
        self._thread = threading.Thread(target=self._refresh_loop, name="readiness", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for runner in self.runners:
            runner.__exit__(None, None, None)
        self.runners = []

    def __enter__(self) -> ReadModels:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def check(self) -> None:
        """Re-raises an error from a projection thread."""
        for runner in self.runners:
            runner.run_forever(timeout=0)

    def _caught_up(self) -> bool:
        for runner in self.runners:
            head = runner.app.recorder.max_notification_id() or 0
            if (runner.view.max_tracking_id(runner.app_name) or 0) < head:
                return False
        return True

    def _refresh_loop(self) -> None:
        # Readiness is recomputed once every projection has caught up with its
        # notification log, never while one is behind: each metric event of a bulk
        # import or a rebuild may mark the whole organisation dirty again ('*'), so
        # recomputing while they catch up redoes everyone once per such event (4.4x the
        # projections' own CPU in bench/README.md's profile). The dirty marks are a set:
        # the one recompute after catching up covers them all. Only if the projections
        # stay behind for longer than `max_defer` (writes outpacing them for good) is it
        # recomputed anyway, paced to at most a fifth of the time.
        behind_since = paced_until = 0.0
        while not self._stop.is_set():
            try:
                now = time.monotonic()
                if self._caught_up():
                    behind_since = 0.0
                    if self.refresher.refresh_batch() > 0:
                        continue  # more may be dirty: check the positions again at once
                else:
                    behind_since = behind_since or now
                    overdue = self.max_defer is not None and now - behind_since >= self.max_defer
                    if overdue and now >= paced_until:
                        self.refresher.refresh_batch()
                        paced_until = time.monotonic() + self.PACE * (time.monotonic() - now)
                self._stop.wait(self.poll)
            except Exception:  # keep projecting; the failure is logged and retried
                log.exception("readiness refresh failed; retrying")
                self._stop.wait(2.0)

    # -- read-your-writes ------------------------------------------------------------
    def wait(self, positions: dict[str, int], timeout: float = 30.0) -> None:
        """Blocks until every given application position is projected and readiness is
        recomputed for what it changed."""
        deadline = time.monotonic() + timeout
        for runner in self.runners:
            position = positions.get(runner.app_name)
            if position is not None:
                runner.wait(position, timeout=max(0.1, deadline - time.monotonic()))
        while self.refresher.pending() > 0:
            if time.monotonic() > deadline:
                raise TimeoutError("readiness refresh did not finish in time")
            time.sleep(0.05)

    def wait_caught_up(self, apps: Sequence[PydanticApplication], timeout: float = 60.0) -> None:
        positions = {app.name: app.recorder.max_notification_id() or 0 for app in apps}
        self.wait({k: v for k, v in positions.items() if v}, timeout)

    # -- rebuild ---------------------------------------------------------------------
    def rebuild(self) -> None:
        """Forgets every read model and its positions, then projects again from zero."""
        was_running = bool(self.runners)
        if was_running:
            self.stop()
        reset_read_models(self.pg, self.env)
        if was_running:
            self.start()


@contextmanager
def _views(
    env: dict[str, str],
) -> Iterator[list[tuple[type[Projection[ReadModelView]], ReadModelView]]]:
    """Each projection's view (creating its tables and tracking table if missing)."""
    from eventsourcing.persistence import InfrastructureFactory

    factories = [
        InfrastructureFactory[ReadModelView].construct(
            env=ProjectionRunner._construct_env(proj_cls.name, env)
        )
        for _app_cls, proj_cls in PROJECTIONS
    ]
    try:
        yield [
            (proj_cls, factory.tracking_recorder(ReadModelView))
            for (_app_cls, proj_cls), factory in zip(PROJECTIONS, factories, strict=True)
        ]
    finally:
        for factory in factories:
            factory.close()


def create_read_models(pg: PostgresSettings, env: dict[str, str]) -> None:
    with _views(env):
        pass  # constructing the views created their tables


def reset_read_models(pg: PostgresSettings, env: dict[str, str]) -> None:
    """Forgets every read model and its positions (the derived readiness tables too)."""
    with _views(env) as views:
        for proj_cls, view in views:
            owned: list[str] = list(getattr(proj_cls, "owned_tables", []))
            view.reset(owned + (DERIVED_TABLES if proj_cls is PeopleProjection else []))


@contextmanager
def runner_lock(pg: PostgresSettings, *, wait: bool) -> Iterator[bool]:
    """Holds the single-active-runner lock for as long as the block runs."""
    with psycopg.connect(pg.conninfo(), autocommit=True, row_factory=dict_row) as conn:
        if wait:
            conn.execute("SELECT pg_advisory_lock(%s)", (RUNNER_LOCK_KEY,))
            got = True
        else:
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s) AS ok", (RUNNER_LOCK_KEY,)
            ).fetchone()
            got = bool(row and row["ok"])
        try:
            yield got
        finally:
            if got and not conn.closed:
                # A dead session has already released its lock with it.
                with contextlib.suppress(psycopg.Error):
                    conn.execute("SELECT pg_advisory_unlock(%s)", (RUNNER_LOCK_KEY,))
