"""Time travel: any aggregate's state at a version or a moment, and a read model as it was
at a moment T, rebuilt from the events up to T (into a scratch schema, by the same
projections and readiness refresher, then queried by the same query service and
dropped). Auditors and HR; every use is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import psycopg
from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.projection import ProjectionRunner
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from aggregates.base import DomainError, DomainEvent, NotFoundError
from careerflow.principal import SYSTEM, AccessRole, Principal
from projections.base import ReadModelView
from projections.readiness import ReadinessRefresher
from projections.readiness_queries import QueryService
from projections.runner import PROJECTIONS, scratch_schema
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.audit.history import HistoryService
    from careerflow.store import Store

PAGE = 1000


class AggregateState(BaseModel):
    stream: str
    version: int
    recorded_at: datetime
    """When the event that produced this version was recorded."""
    state: dict[str, Any]
    pay_redacted: bool = False
    """Bonus and commission figures were emptied: the reader may not see this pay."""


class ReadModelAt(BaseModel):
    at: datetime
    events_applied: dict[str, int]
    result: Any


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _name(event: DomainEvent) -> str:
    return type(event).__qualname__.split(".")[-1]


class TimeTravelService:
    """`store`: the applications whose events are replayed; `history`: the subjects'
    streams, what a reader sees of them, and the record of each use."""

    def __init__(self, store: Store, history: HistoryService) -> None:
        self.store = store
        self.history = history

    def require(self, principal: Principal) -> None:
        """Who may travel in time (the faces ask before showing the tools)."""
        self._require(principal)

    def _require(self, principal: Principal) -> None:
        principal.require(
            AccessRole.auditor, AccessRole.hr, AccessRole.system, action=Message("travel in time")
        )

    # -- one aggregate -----------------------------------------------------------------
    def aggregate(
        self,
        principal: Principal,
        kind: str,
        ident: str,
        version: int | None = None,
        at: datetime | None = None,
    ) -> list[AggregateState]:
        """The state of the subject's aggregate(s) at `version` or as of `at` (the last
        version recorded at or before it); the latest when neither is given."""
        self._require(principal)
        if version is not None and at is not None:
            raise DomainError("give a version or a moment, not both")
        view = self.history.view(principal, kind, ident)
        states: list[AggregateState] = []
        for stream, app, ident_uuid in self.history._streams(kind, ident):
            events = [cast(DomainEvent, e) for e in app.events.get(ident_uuid)]
            if not events:
                continue
            # Where the state may be shown (not right after a 360° rating: its moment).
            stops = [e for e in events if view.may_stop_at(_name(e))]
            chosen = stops[-1] if stops else events[-1]
            if version is not None:
                matching = [e for e in events if e.originator_version == version]
                if not matching:
                    raise NotFoundError(
                        "{ident} has versions 1..{last}, not {version}",
                        ident=ident,
                        last=events[-1].originator_version,
                        version=version,
                    )
                chosen = matching[0]
                if not view.may_stop_at(_name(chosen)):
                    raise DomainError(
                        "{ident} version {version} is a 360° rating: ratings have no "
                        "moment in an audit; ask for the round at another version or a time",
                        ident=ident,
                        version=version,
                    )
            elif at is not None:
                before = [e for e in stops if e.timestamp <= at]
                if not before:
                    continue  # it did not exist yet
                chosen = before[-1]
            aggregate: Any = app.repository.get(ident_uuid, version=chosen.originator_version)
            state = view.state(
                {
                    k: _plain(v)
                    for k, v in vars(aggregate).items()
                    if not k.startswith("_") and k != "pending_events"
                }
            )
            states.append(
                AggregateState(
                    stream=stream,
                    version=chosen.originator_version,
                    recorded_at=chosen.timestamp,
                    state=state,
                    pay_redacted=view.pay_redacted,
                )
            )
        if not states:
            raise NotFoundError("nothing of {ident!r} existed then", ident=ident)
        self.history.record(
            principal, "time-travel", f"{kind} {ident}", f"version={version} at={at}"
        )
        return states

    # -- read models as of T -------------------------------------------------------------
    def readiness_at(self, principal: Principal, employee_id: str, at: datetime) -> ReadModelAt:
        self._require(principal)
        with self._rebuilt_until(at) as (pool, applied):
            result = QueryService(pool).readiness(SYSTEM, employee_id)
        self.history.record(principal, "time-travel", f"readiness {employee_id}", f"at={at}")
        return ReadModelAt(at=at, events_applied=applied, result=_plain(result))

    def candidate_pool_at(self, principal: Principal, at: datetime) -> ReadModelAt:
        self._require(principal)
        with self._rebuilt_until(at) as (pool, applied):
            result = QueryService(pool).candidate_pool(SYSTEM)
        self.history.record(principal, "time-travel", "candidate pool", f"at={at}")
        return ReadModelAt(at=at, events_applied=applied, result=_plain(result))

    @contextmanager
    def _rebuilt_until(self, at: datetime) -> Iterator[tuple[ConnectionPool, dict[str, int]]]:
        """Every read model rebuilt from the events recorded up to `at`, in a scratch
        schema that is dropped on exit."""
        if at.tzinfo is None:
            raise DomainError("give the moment with its time zone (e.g. 2026-11-01T00:00:00Z)")
        pg = self.store.pg
        scratch = scratch_schema("asof")
        admin = psycopg.connect(pg.conninfo(), autocommit=True)
        admin.execute(SQL("CREATE SCHEMA {0}").format(Identifier(scratch)))
        factories: list[Any] = []
        pool: ConnectionPool | None = None
        try:
            env = dict(self.store.env)
            env.update({f"{p.name.upper()}_POSTGRES_SCHEMA": scratch for _, p in PROJECTIONS})
            applications = {app.name: app for app in self.store.applications()}
            applied: dict[str, int] = {}
            for app_cls, projection_cls in PROJECTIONS:
                factory = InfrastructureFactory[ReadModelView].construct(
                    env=ProjectionRunner._construct_env(projection_cls.name, env)
                )
                factories.append(factory)
                view = factory.tracking_recorder(ReadModelView)
                projection = projection_cls(view=view)
                app = applications[app_cls.name]
                applied[app.name] = 0
                start = 1
                while True:
                    page = app.recorder.select_notifications(start, PAGE)
                    for notification in page:
                        event = cast(DomainEvent, app.mapper.to_domain_event(notification))
                        # Tracking for every notification (a gap-free position); only
                        # events recorded by T change anything.
                        if event.timestamp <= at:
                            projection.process_event(event, Tracking(app.name, notification.id))
                            applied[app.name] += 1
                    if len(page) < PAGE:
                        break
                    start = page[-1].id + 1
            refresher = ReadinessRefresher(pg.model_copy(update={"schema_name": scratch}))
            try:
                refresher.refresh_all()
            finally:
                refresher.close()
            pool = ConnectionPool(
                pg.conninfo(),
                min_size=1,
                max_size=2,
                kwargs={
                    "row_factory": dict_row,
                    "autocommit": True,
                    "options": f"-c search_path={scratch}",
                },
                open=True,
            )
            yield pool, applied
        finally:
            if pool is not None:
                pool.close()
            for factory in factories:
                factory.close()
            admin.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(scratch)))
            admin.close()
