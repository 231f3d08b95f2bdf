"""Runs every projection of the read model, plus the readiness refresher.

Scale-out: each projection and the refresher has a PostgreSQL advisory lock of its own;
a runner process (`ReadModels(shared=True)`) runs what it holds, keeps a fair share and
keeps trying for the rest, so runner processes share the work and a survivor takes over
what a dead one held. Exactly once holds whoever runs a projection: rows and tracking
record commit together, and positions at or below the recorded one are skipped."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
import time
import uuid
import weakref
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.projection import ApplicationSubscription, Projection, ProjectionRunner
from psycopg.sql import SQL, Composed, Identifier

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
from careerflow.listen import Waker, wait_for_notifies
from projections.access import AccessProjection
from projections.assessments import AssessmentsProjection
from projections.base import PROGRESS_CHANNEL, ReadModelView
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
DERIVED_TABLES = ["rm_readiness", "rm_readiness_dirty"]
_PROJECTION_OF_APP = {app_cls.name: proj_cls for app_cls, proj_cls in PROJECTIONS}
READINESS = "readiness"  # the refresher's lock name, beside the projections' names
SWITCH_INTERVAL = 0.0005  # seconds (Python default 0.005): see ReadModels.start
# Advisory lock keys: "cfPR" in the high half (pg_locks.classid), a CRC of schema and
# name in the low half (objid); "cfRP" for the runner processes' shared presence lock.
LOCKS_APPLICATION = "careerflow-projections"
LOCK_CLASS = 0x63665052
_PRESENCE_CLASS = 0x63665250


def lock_key(schema: str, name: str) -> int:
    """One projection's (or the refresher's) advisory lock in one schema: stable across
    releases, so old and new runner processes exclude each other during a deploy."""
    return (LOCK_CLASS << 32) | zlib.crc32(f"{schema}.{name}".encode())


class ProjectionLocks:
    """A runner process's advisory locks, held by one session of its own (a killed
    process's session ends, and PostgreSQL releases its locks with it)."""

    def __init__(self, pg: PostgresSettings, names: Sequence[str], *, member: bool = True) -> None:
        schema = pg.schema_name or "public"
        self.keys = {name: lock_key(schema, name) for name in names}
        self.presence = (_PRESENCE_CLASS << 32) | zlib.crc32(schema.encode())
        self.held: set[str] = set()
        # Named after the process, so that pg_stat_activity tells who holds what.
        self.conn = psycopg.connect(
            pg.conninfo(), autocommit=True, application_name=f"{LOCKS_APPLICATION}/{os.getpid()}"
        )
        if member:
            # Shared: every runner process holds it, so pg_locks counts its holders.
            self.conn.execute("SELECT pg_advisory_lock_shared(%s)", (self.presence,))

    def members(self) -> int:
        """Runner processes present on this database and schema (this one included)."""
        row = self.conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s::bigint::oid AND objid = %s::bigint::oid AND objsubid = 1",
            (self.presence >> 32, self.presence & 0xFFFFFFFF),
        ).fetchone()
        return max(1, int(row[0]) if row else 1)

    def free(self) -> list[str]:
        """The names whose lock no session holds (in the order given)."""
        rows = self.conn.execute(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = %s::bigint::oid AND objsubid = 1",
            (LOCK_CLASS,),
        ).fetchall()
        taken = {int(r[0]) for r in rows}
        return [n for n, k in self.keys.items() if k & 0xFFFFFFFF not in taken]

    def take(self, names: Sequence[str]) -> list[str]:
        """Tries each lock once, without waiting; returns those it got."""
        if not names:
            return []
        rows = self.conn.execute(
            "SELECT n FROM unnest(%s::text[], %s::bigint[]) AS l(n, k) "
            "WHERE pg_try_advisory_lock(k)",
            (list(names), [self.keys[n] for n in names]),
        ).fetchall()
        got = [str(r[0]) for r in rows]
        self.held.update(got)
        return got

    def release(self, name: str) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.keys[name],))
        self.held.discard(name)

    def close(self) -> None:
        """Gives every lock (and the presence) up before the session ends: closing alone
        returns before the server has ended the session, so another runner checking at
        once would still count this one and find its locks taken."""
        with contextlib.suppress(psycopg.Error):
            self.conn.execute("SELECT pg_advisory_unlock_all()")
        with contextlib.suppress(psycopg.Error):
            self.conn.close()
        self.held.clear()


def _position_query(env: Mapping[str, str], heads: bool) -> Composed:
    """Each application's projected position (and its log's head), in one statement.
    The same statement every time for an environment: built once (the refresher asks
    after every projected batch). Not a prepared statement: the refresher's first look
    may come before another process has created every table."""
    return _built_position_query(tuple(sorted(env.items())), heads)


@functools.lru_cache(maxsize=16)
def _built_position_query(env_items: tuple[tuple[str, str], ...], heads: bool) -> Composed:
    env = dict(env_items)
    parts = []
    for app_cls, proj_cls in PROJECTIONS:
        tracking = Identifier(
            ProjectionRunner._construct_env(proj_cls.name, dict(env)).get("POSTGRES_SCHEMA")
            or "public",
            f"{proj_cls.name.lower()}_tracking",
        )
        events = Identifier(
            ProjectionRunner._construct_env(app_cls.name, dict(env)).get("POSTGRES_SCHEMA")
            or "public",
            f"{app_cls.name.lower()}_events",
        )
        head = (
            SQL("(SELECT coalesce(max(notification_id), 0) FROM {0})").format(events)
            if heads
            else SQL("0")
        )
        parts.append(
            SQL(
                "SELECT {0}::text, {1}::bigint, (SELECT coalesce(max(notification_id), 0) "
                "FROM {2} WHERE application_name = {0})::bigint"
            ).format(app_cls.name, head, tracking)
        )
    return SQL(" UNION ALL ").join(parts)


def positions(conn: psycopg.Connection[Any], env: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Per application: (its log's last notification id, the last one projected), read
    from the tables (whichever process runs the projection). A table not created yet
    counts as nothing projected."""
    try:
        rows = conn.execute(_position_query(env, heads=True)).fetchall()
    except psycopg.errors.UndefinedTable:
        return {app_cls.name: (1, 0) for app_cls, _ in PROJECTIONS}
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def projected(conn: psycopg.Connection[Any], env: Mapping[str, str]) -> dict[str, int]:
    """Per application: the last notification id projected."""
    try:
        rows = conn.execute(_position_query(env, heads=False)).fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return {str(r[0]): int(r[2]) for r in rows}


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
    """Starts the projection runners and the refresher, waits for positions, rebuilds.

    `shared=True` (the `careerflow projections run` process): each projection and the
    refresher run only where their advisory lock is held (`ProjectionLocks`), so any
    number of runner processes share the work and take over from one that dies."""

    # While behind: wait at least PACE times a recompute's duration before the next.
    PACE = 4.0

    def __init__(
        self,
        pg: PostgresSettings,
        env: dict[str, str],
        *,
        max_defer: float | None = 120.0,
        poll: float | None = None,
        shared: bool = False,
        claim_every: float = 1.0,
    ) -> None:
        """`max_defer`: seconds the projections may stay behind before readiness is
        recomputed anyway, paced (None: only ever after catching up); `poll`: also look
        at the positions this often (None: only when a batch is projected, see
        PROGRESS_CHANNEL); `claim_every`: how often a shared runner competes for locks."""
        self.pg = pg
        self.env = env
        self.max_defer = max_defer
        self.poll = poll
        self.shared = shared
        self.claim_every = claim_every
        self.runners: list[ProjectionRunner[Any, ReadModelView]] = []
        self.refresher = ReadinessRefresher(pg)
        self.locks: ProjectionLocks | None = None
        self._claimed_at = 0.0
        self._stop = threading.Event()
        self._waker = Waker()
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        # The runner's threads mostly wait on the database. Each wake-up (a notification,
        # a query's answer) waits for the interpreter while another thread computes: up
        # to the 5 ms switch interval each, a dozen times per batch. Handing it over
        # sooner keeps a small batch's lag short beside a large one (bench lag).
        sys.setswitchinterval(SWITCH_INTERVAL)
        if not self.shared:
            self._start_projections([proj_cls.name for _, proj_cls in PROJECTIONS])
            self._start_refresher()
            return
        # Every table exists before the positions are read, whoever runs what.
        with schema_lock(self.pg):
            create_read_models(self.pg, self.env)
        self.locks = ProjectionLocks(self.pg, self.lock_names())
        self.claim()

    def _start_projections(self, names: Sequence[str]) -> None:
        # Constructing a runner runs the library's lazy CREATE ... IF NOT EXISTS for its
        # application and view; under the schema lock, so no other process's first
        # start is creating the same catalog entries at that moment.
        size = batch_size(self.env)
        with schema_lock(self.pg):
            for app_cls, proj_cls in PROJECTIONS:
                if proj_cls.name in names:
                    self.runners.append(
                        BatchingRunner(
                            size=size,
                            application_class=app_cls,
                            projection_class=proj_cls,
                            view_class=ReadModelView,
                            env=self.env,
                        ).__enter__()
                    )

    def _start_refresher(self) -> None:
        self._stop.clear()
        self._waker.drain()
        self._thread = threading.Thread(target=self._refresh_loop, name="readiness", daemon=True)
        self._thread.start()

    def _stop_refresher(self) -> None:
        self._stop.set()
        self._waker.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def stop(self) -> None:
        try:
            self._stop_refresher()
            for runner in self.runners:
                runner.stop()  # all at once: their threads wind down side by side
            runners, self.runners = self.runners, []
            for runner in runners:
                runner.__exit__(None, None, None)
        finally:
            if self.locks is not None:
                self.locks.close()  # the session ends: PostgreSQL releases every lock
                self.locks = None

    def __enter__(self) -> ReadModels:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def check(self) -> None:
        """Re-raises an error from a projection thread; a shared runner also competes
        for the locks it lacks (every `claim_every` seconds)."""
        self._raise_thread_errors()
        if self.locks is not None and time.monotonic() - self._claimed_at >= self.claim_every:
            self.claim()

    def _raise_thread_errors(self) -> None:
        for runner in list(self.runners):
            runner.run_forever(timeout=0)

    # -- scale-out -------------------------------------------------------------------
    @staticmethod
    def lock_names() -> list[str]:
        return [proj_cls.name for _, proj_cls in PROJECTIONS] + [READINESS]

    def held(self) -> list[str]:
        """What this process runs: projection names, and READINESS for the refresher."""
        names = [self._projection_of(r) for r in self.runners]
        return names + ([READINESS] if self._thread is not None else [])

    @staticmethod
    def _projection_of(runner: ProjectionRunner[Any, ReadModelView]) -> str:
        return next(p.name for a, p in PROJECTIONS if a.name == runner.app_name)

    def claim(self) -> tuple[list[str], list[str]]:
        """One round of sharing: this process keeps its fair share of the locks (their
        number over the runner processes present), releases what is above it (another
        process takes it over) and takes free ones up to it. Returns (taken, released).
        A lost lock connection raises, as a lost database does everywhere else."""
        assert self.locks is not None
        self._claimed_at = time.monotonic()
        fair = -(-len(self.lock_names()) // self.locks.members())
        held = self.held()
        released: list[str] = []
        for name in reversed(held[fair:]):
            self._release(name)
            released.append(name)
        short = fair - len(held)  # below the fair share: try the free locks
        taken = (
            self.locks.take([n for n in self.locks.free() if n not in held][:short])
            if short > 0
            else []
        )
        self._start_projections([n for n in taken if n != READINESS])
        if READINESS in taken:
            self._start_refresher()
        if taken or released:
            log.info("projection locks: took %s, released %s", taken or "-", released or "-")
        return taken, released

    def _release(self, name: str) -> None:
        """Stops one projection (after its batch in flight commits) or the refresher,
        then gives its lock up."""
        assert self.locks is not None
        if name == READINESS:
            self._stop_refresher()
        else:
            runner = next(r for r in self.runners if self._projection_of(r) == name)
            runner.__exit__(None, None, None)
            self.runners.remove(runner)
        self.locks.release(name)

    # -- readiness -------------------------------------------------------------------
    def _caught_up(self, conn: psycopg.Connection[Any]) -> bool:
        return all(done >= head for head, done in positions(conn, self.env).values())

    def _refresh_loop(self) -> None:
        # Readiness is recomputed once every projection has caught up with its
        # notification log, never while one is behind: each metric event of a bulk
        # import or a rebuild may mark the whole organisation dirty again ('*'), so
        # recomputing while they catch up redoes everyone once per such event (4.4x the
        # projections' own CPU in bench/HISTORY.md's profile). The dirty marks are a set:
        # the one recompute after catching up covers them all. Only if the projections
        # stay behind for longer than `max_defer` (writes outpacing them for good) is it
        # recomputed anyway, paced to at most a fifth of the time.
        # The loop sleeps until a batch is projected (any process's runners notify
        # PROGRESS_CHANNEL in the batch's transaction), a deadline of the pacing comes,
        # or it is stopped: an idle runner does not look at the positions at all.
        behind_since = paced_until = 0.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.pg.conninfo(), autocommit=True) as listen:
                    listen.execute(SQL("LISTEN {0}").format(Identifier(PROGRESS_CHANNEL)))
                    timeout: float | None = 0.0  # look once at the start
                    while not self._stop.is_set():
                        if timeout != 0.0:
                            wait_for_notifies(listen, self._waker, timeout)
                            if self._stop.is_set():
                                return
                        now = time.monotonic()
                        timeout = self.poll
                        if self._caught_up(listen):
                            behind_since = 0.0
                            if self.refresher.refresh_batch() > 0:
                                timeout = 0.0  # more may be dirty: again at once
                            continue
                        behind_since = behind_since or now
                        if self.max_defer is None:
                            continue
                        due = max(behind_since + self.max_defer, paced_until)
                        if now >= due:
                            self.refresher.refresh_batch()
                            paced_until = time.monotonic() + self.PACE * (time.monotonic() - now)
                            due = paced_until
                        left = max(0.001, due - time.monotonic())
                        timeout = left if timeout is None else min(timeout, left)
            except Exception:  # keep projecting; the failure is logged and retried
                log.exception("readiness refresh failed; retrying")
                self._stop.wait(2.0)

    # -- read-your-writes ------------------------------------------------------------
    def wait(self, positions: dict[str, int], timeout: float = 30.0) -> None:
        """Blocks until every given application position is projected and readiness is
        recomputed for what it changed. Reads the tracking tables, so it holds in a
        process that runs only some of the projections (or none)."""
        deadline = time.monotonic() + timeout
        wanted = {app: at for app, at in positions.items() if app in _PROJECTION_OF_APP}
        with psycopg.connect(self.pg.conninfo(), autocommit=True) as conn:
            conn.execute(SQL("LISTEN {0}").format(Identifier(PROGRESS_CHANNEL)))
            while True:
                done = projected(conn, self.env)
                behind = {
                    a: (done.get(a, 0), at) for a, at in wanted.items() if done.get(a, 0) < at
                }
                if not behind:
                    break
                self._raise_thread_errors()  # a projection that failed fails the wait
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"not projected in time (at, wanted): {behind}")
                # Woken by the next batch; the timeout only bounds a missed notification.
                wait_for_notifies(conn, None, min(left, 0.5))
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
def all_projection_locks(pg: PostgresSettings) -> Iterator[bool]:
    """Holds every projection's and the refresher's lock for as long as the block runs,
    if no runner process holds any (yields False otherwise, holding none)."""
    locks = ProjectionLocks(pg, ReadModels.lock_names(), member=False)
    try:
        names = ReadModels.lock_names()
        got = locks.take(names)
        yield len(got) == len(names)
    finally:
        locks.close()
