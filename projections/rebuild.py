"""Rebuilds read models without downtime (blue/green): new versions of the chosen
projections' tables are built in a shadow schema while the old ones keep serving, caught
up with the live log, then switched in one transaction.

1. Shadow: a fresh schema holds a view of each chosen projection (all read-model tables
   with the current DDL, and its own tracking table). The events stay where they are.
2. Bulk: the cycles projection (most of any store) is folded per aggregate and loaded
   with COPY, indexes after (projections/cycle_fold.py); the others run their batched
   handlers into the shadow, in large transactions.
3. Catch up: the shadow follows the log until it is a batch or less behind.
4. Switch, one transaction: the live tracking table of the projection is locked (the
   live runner's batch takes its position FOR UPDATE first, so it waits; readers of
   positions do not), the last events are projected into the shadow, the live tables
   move to a retired schema and the shadow ones take their place (indexes and
   constraints move with them), and the live position becomes the shadow's. A reader
   waits for that commit at most, and then sees the new tables; the live runner's
   waiting batch finds the moved position and skips what the shadow already holds.
   Readiness (derived from people, metrics and policies) is marked dirty for everyone
   in the same transaction: the old scores serve until the refresher recomputes them.

A projection rebuilt alone leaves every other table and position as it was."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL, Identifier

from careerflow.config import PostgresSettings
from careerflow.database import schema_lock
from careerflow.eventstore import PydanticApplication
from projections.base import Apply, EventHandlers, ReadModelView
from projections.cycle_fold import load_cycles, load_measurements
from projections.cycle_parts import Parts, processes_for, start_parts
from projections.cycles import CyclesProjection
from projections.log_reading import SECTION, events_at, events_of, notifications_of
from projections.metric_ranks import RANK_LOCK_KEY
from projections.metrics import MetricsProjection
from projections.people import PeopleProjection
from projections.policies import PoliciesProjection
from projections.readiness import EVERYONE
from projections.runner import PROJECTIONS, create_read_models, scratch_schema

log = logging.getLogger(__name__)

# (events done, events in all so far): called as the rebuild moves.
ProgressFn = Callable[[int, int], None]
BULK_BATCH = 5_000  # events per shadow transaction while catching up in bulk
# Switch once the shadow is this close to the head: the rest is projected under the lock.
SWITCH_GAP = 2_000
READINESS_INPUTS = (PeopleProjection, MetricsProjection, PoliciesProjection)
LOCK_TIMEOUT = "10s"  # of the switch; it is retried if readers hold the tables longer
SWITCH_TRIES = 5
PROGRESS_CHANNEL = "careerflow_projected"

T = TypeVar("T")
Pair = tuple[type[PydanticApplication], type[Projection[ReadModelView]]]


@dataclass
class RebuildResult:
    projections: list[str]
    events: int = 0
    rows_loaded: int = 0
    positions: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _by_name() -> dict[str, Pair]:
    by_name: dict[str, Pair] = {}
    for app_cls, proj_cls in PROJECTIONS:
        by_name[proj_cls.name] = by_name[app_cls.name.lower()] = (app_cls, proj_cls)
        by_name[proj_cls.name.removesuffix("_projection")] = (app_cls, proj_cls)
    return by_name


def known_names() -> list[str]:
    """The projections' short names ("cycles", "people", ...), as the CLI takes them."""
    return [p.name.removesuffix("_projection") for _, p in PROJECTIONS]


def unknown_names(names: Sequence[str]) -> list[str]:
    """The names that are no projection's (by projection or application name)."""
    by_name = _by_name()
    return [n for n in names if n.lower() not in by_name]


def chosen(names: Sequence[str]) -> list[Pair]:
    """The projections named (by projection or application name, e.g. "cycles" or
    "cycles_projection"); every one for no names."""
    if not names:
        return list(PROJECTIONS)
    if unknown := unknown_names(names):
        raise ValueError(f"no projection named {', '.join(unknown)} (known: {known_names()})")
    by_name = _by_name()
    picked = {by_name[n.lower()] for n in names}
    return [pair for pair in PROJECTIONS if pair in picked]


class _Shadow:
    """One projection being rebuilt: its application (read side), its shadow view."""

    def __init__(self, pair: Pair, env: dict[str, str], progress: Callable[[int], None]) -> None:
        app_cls, proj_cls = pair
        self.proj_cls = proj_cls
        self.app: PydanticApplication = app_cls(env)
        self.factory = InfrastructureFactory[ReadModelView].construct(
            env=ProjectionRunner._construct_env(proj_cls.name, env)
        )
        self.view = self.factory.tracking_recorder(ReadModelView)
        self.projection = proj_cls(view=self.view)
        self.env = env
        self.position = 0
        self.rows = 0
        self._progress = progress
        self._parts: Parts | None = None

    @property
    def name(self) -> str:
        return self.app.name

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def bulk(self, conninfo: str, schema: str) -> None:
        """From zero to the head as it is now, set-based where that pays. A large cycles
        log is folded by several processes: `finish_bulk` waits for them."""
        head = self.head()
        if isinstance(self.projection, CyclesProjection):
            parts = processes_for(self.env, head)
            if parts > 1:
                app_cls = type(self.app)
                self._parts = start_parts(app_cls, self.env, conninfo, schema, head, parts)
                self.position = head
                return
            stored = self._counted(notifications_of(self.app, 1, head))
            rows, late = load_cycles(conninfo, schema, self.projection, stored, self.app.mapper)
            self._settle(head, rows, late)
        elif isinstance(self.projection, MetricsProjection):
            rows, _ = load_measurements(
                conninfo, schema, self._counted(events_of(self.app, 1, head))
            )
            self._settle(head, rows, [])
        else:
            self.follow(head)

    def finish_bulk(self) -> None:
        if self._parts is None:
            return
        parts, self._parts = self._parts, None
        rows, late_ids = parts.finish(self._progress)
        assert isinstance(self.projection, CyclesProjection)
        late = [(nid, self.projection.change_for(e)) for nid, e in events_at(self.app, late_ids)]
        self._settle(self.position, rows, late)

    def _settle(self, head: int, rows: int, late: list[tuple[int, Apply | None]]) -> None:
        """The bulk's rows counted, the changes left to the handlers applied in log
        order, the shadow's position set to the head the bulk went to."""
        self.rows += rows
        for start in range(0, len(late), BULK_BATCH):
            self.view.apply_batch(self.name, late[start : start + BULK_BATCH])
        if head:
            self.view.apply_batch(self.name, [(head, None)])  # the position: the head
        self.position = head

    def follow(self, stop: int, size: int = BULK_BATCH) -> None:
        """Projects the events after the shadow's position up to `stop` with the batched
        handlers (one transaction and tracking record per batch)."""
        projection = self.projection
        assert isinstance(projection, EventHandlers)
        batch: list[tuple[Any, Tracking]] = []
        for nid, event in self._counted(events_of(self.app, self.position + 1, stop)):
            batch.append((event, Tracking(application_name=self.name, notification_id=nid)))
            if len(batch) >= size:
                projection.process_batch(batch)
                batch = []
        if batch:
            projection.process_batch(batch)
        self.position = max(self.position, self.view.max_tracking_id(self.name) or 0)

    def _counted(self, events: Iterator[T]) -> Iterator[T]:
        done = 0
        for item in events:
            yield item
            done += 1
            if done % SECTION == 0:
                self._progress(SECTION)
        self._progress(done % SECTION)

    def close(self) -> None:
        if self._parts is not None:  # stopped by an error elsewhere
            self._parts.pool.shutdown(cancel_futures=True)
        self.factory.close()
        self.app.close()


def rebuild_online(
    pg: PostgresSettings,
    env: dict[str, str],
    names: Sequence[str] = (),
    progress: ProgressFn | None = None,
) -> RebuildResult:
    """Rebuilds the named projections (every one for none) aside and switches them in;
    the live read models serve throughout and their runner may keep running."""
    pairs = chosen(names)
    started = time.monotonic()
    result = RebuildResult(projections=[p.name for _, p in pairs])
    live = pg.schema_name or "public"
    shadow = scratch_schema("rebuild")
    done = total = 0

    def moved(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, max(done, total))

    with psycopg.connect(pg.conninfo(), autocommit=True) as admin:
        missing = [
            p.name
            for _, p in pairs
            if admin.execute(
                "SELECT to_regclass(%s)", (f'"{live}"."{p.name}_tracking"',)
            ).fetchone()
            == (None,)
        ]
        if missing:  # a first start: the live tables and positions exist to be swapped
            with schema_lock(pg):  # as the runner's start: one process creates them
                create_read_models(pg, env)
        admin.execute(SQL("CREATE SCHEMA {0}").format(Identifier(shadow)))
        shadow_env = dict(env)
        shadow_env.update({f"{p.name.upper()}_POSTGRES_SCHEMA": shadow for _, p in pairs})
        shadows: list[_Shadow] = []
        try:
            shadows = [_Shadow(pair, shadow_env, moved) for pair in pairs]
            total = sum(s.head() for s in shadows)
            # A split fold first: its processes run while this one does the others.
            for s in sorted(shadows, key=lambda s: not isinstance(s.projection, CyclesProjection)):
                s.bulk(pg.conninfo(), shadow)
            for s in shadows:
                s.finish_bulk()
                result.rows_loaded += s.rows
            for s in shadows:
                # Catch up until close to the head: the switch holds the live runner of
                # this projection back only while it projects that last stretch.
                while (head := s.head()) - s.position > SWITCH_GAP:
                    total += head - s.position
                    s.follow(head)
                _switch(pg, live, shadow, s, admin)
                result.positions[s.proj_cls.name] = s.position
            if any(p in (MetricsProjection, PeopleProjection) for _, p in pairs):
                _refill_ranking(pg, live)
        finally:
            for s in shadows:
                s.close()
            admin.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(shadow)))
    result.events = done
    result.seconds = time.monotonic() - started
    return result


def _refill_ranking(pg: PostgresSettings, live: str) -> None:
    """rm_metric_rank is derived from rm_measurement and rm_employee, which two different
    projections own (the bulk load fills neither side of it): once they are switched in,
    it is refilled from them under the ranking lock the live projections take before
    writing it, so no batch interleaves."""
    ranks, measurements, employees = (
        Identifier(live, t) for t in ("rm_metric_rank", "rm_measurement", "rm_employee")
    )
    with psycopg.connect(pg.conninfo()) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (RANK_LOCK_KEY,))
        conn.execute(SQL("DELETE FROM {0}").format(ranks))
        conn.execute(
            SQL(
                "INSERT INTO {0} SELECT m.metric, m.period, m.employee_id, e.role, "
                "coalesce(e.active, false), round(m.value::numeric, 6)::double precision "
                "FROM {1} m LEFT JOIN {2} e USING (employee_id) "
                "WHERE m.item = '' AND m.period ~ '^[0-9]{{4}}-[0-9]{{2}}$'"
            ).format(ranks, measurements, employees)
        )
        conn.commit()


def _switch(
    pg: PostgresSettings,
    live: str,
    shadow: str,
    s: _Shadow,
    admin: psycopg.Connection[Any],
) -> None:
    """The atomic part: under the lock of the live position, the last events into the
    shadow, the tables swapped, the position moved with them."""
    owned: list[str] = list(getattr(s.proj_cls, "owned_tables", []))
    tracking = s.view.tracking_table_name
    for attempt in range(1, SWITCH_TRIES + 1):
        retired = scratch_schema("retired")
        try:
            with psycopg.connect(pg.conninfo()) as conn, conn.transaction():
                conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                # Blocks the live runner's next batch of this projection (it locks its
                # position row FOR UPDATE first); plain reads of positions go on.
                conn.execute(
                    SQL("LOCK TABLE {0} IN EXCLUSIVE MODE").format(Identifier(live, tracking))
                )
                s.follow(s.head())  # committed in the shadow; nothing live moves now
                if issubclass(s.proj_cls, READINESS_INPUTS):
                    # Before the tables' locks: the refresher takes this row, then reads.
                    conn.execute(
                        SQL("INSERT INTO {0} VALUES (%s) ON CONFLICT DO NOTHING").format(
                            Identifier(live, "rm_readiness_dirty")
                        ),
                        (EVERYONE,),
                    )
                conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(retired)))
                for table in owned:
                    conn.execute(
                        SQL("ALTER TABLE {0} SET SCHEMA {1}").format(
                            Identifier(live, table), Identifier(retired)
                        )
                    )
                    conn.execute(
                        SQL("ALTER TABLE {0} SET SCHEMA {1}").format(
                            Identifier(shadow, table), Identifier(live)
                        )
                    )
                conn.execute(
                    SQL(
                        "INSERT INTO {0} (application_name, notification_id) VALUES (%s, %s) "
                        "ON CONFLICT (application_name) DO UPDATE "
                        "SET notification_id = EXCLUDED.notification_id"
                    ).format(Identifier(live, tracking)),
                    (s.name, s.position),
                )
                # As every projected batch does on main since session 9 (base.py's
                # PROGRESS_CHANNEL): wakes the readiness refresher and position waiters.
                conn.execute("SELECT pg_notify(%s, %s)", (PROGRESS_CHANNEL, s.name))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected) as exc:
            # A reader held the tables too long, or took them in the other order (the
            # readiness refresher reads several in one transaction): all rolled back,
            # nothing switched; try again.
            log.warning("rebuild of %s: switch not done (%s), try %d",
                        s.proj_cls.name, type(exc).__name__, attempt)  # fmt: skip
            if attempt == SWITCH_TRIES:
                raise
            continue
        admin.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(retired)))
        return
