"""Each application's collaborators: the other applications it consults and its reads of
the read model, as plain functions (applications import no projection). careerflow.engine
calls `wire` once, after the store has opened every application."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import psycopg
from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from aggregates.assessment_round import Ratee
from aggregates.documents import MetricCatalog
from aggregates.ladder import Role
from careerflow.applications.access import TokenQuery
from careerflow.applications.assessments import Circle
from careerflow.applications.cycles import ActiveInRoles
from careerflow.applications.promotions import RolePercentiles
from careerflow.principal import SYSTEM
from careerflow.store import Store
from projections import people as people_view
from projections.access import token_list, token_page
from projections.metric_ranks import employee_percentiles
from projections.notifications import inbox_rows
from projections.plans import open_plan_ids
from projections.policies import support_teams


def percentiles_from(read_pool: ConnectionPool) -> RolePercentiles:
    """One employee's ranks against the whole organisation, from the monthly ranking the
    projections keep (projections.metric_ranks): two index counts per month."""

    def read(
        metric: str, role: Role, months: list[str], direction: str, employee_id: str
    ) -> dict[str, float]:
        with read_pool.connection() as conn:
            return employee_percentiles(conn, metric, role, months, direction, employee_id)

    return read


def roster_from(read_pool: ConnectionPool) -> ActiveInRoles:
    """The weekly roster from the employee directory read model (projections.people)."""

    def read(roles: list[str], after: str, limit: int) -> list[str]:
        with read_pool.connection() as conn:
            return people_view.active_in_roles(conn, roles, after, limit)

    return read


def open_plans_from(read_pool: ConnectionPool) -> Callable[[list[str]], list[str]]:
    """The running development plans of some employees (projections.plans)."""

    def read(employee_ids: list[str]) -> list[str]:
        with read_pool.connection() as conn:
            try:
                return open_plan_ids(conn, employee_ids)
            except psycopg.errors.UndefinedTable:
                return []  # no projection has run yet, so no plan is known

    return read


class ReadRoster:
    """Who takes part in a 360° round, from the people read model (projections.people)."""

    def __init__(self, read_pool: ConnectionPool) -> None:
        self.read_pool = read_pool

    @contextmanager
    def _connection(self) -> Iterator[Connection[DictRow]]:
        with self.read_pool.connection() as conn:
            yield cast(Connection[DictRow], conn)

    def employees(self, ids: list[str]) -> Mapping[str, Mapping[str, Any]]:
        with self._connection() as conn:
            return people_view.employees_by_id(conn, ids)

    def active_members(self, team_id: str) -> list[str]:
        with self._connection() as conn:
            return people_view.active_member_ids(conn, team_id)

    def circles(self, ratees: Sequence[Ratee]) -> list[Circle]:
        out: list[Circle] = []
        with self._connection() as conn:  # one connection for the whole round
            for r in ratees:
                reports = people_view.active_report_ids(conn, r.employee_id)
                peers = people_view.active_peer_ids(
                    conn, r.team_id, r.employee_id, reports, r.manager_id
                )
                manager_active = bool(r.manager_id) and people_view.is_active(
                    conn, r.manager_id or ""
                )
                out.append(Circle(manager_active=manager_active, reports=reports, peers=peers))
        return out


def wire(store: Store, read_pool: ConnectionPool, catalog: Callable[[], MetricCatalog]) -> None:
    """Gives every application of the store its collaborators."""

    def tokens() -> list[Any]:
        with read_pool.connection() as conn:
            return token_list(conn)

    def token_pages(query: TokenQuery) -> dict[str, Any]:
        with read_pool.connection() as conn:
            role = query.role.value if query.role else ""
            return token_page(conn, query.q, role, query.state, query.limit, query.cursor)

    def teams() -> dict[str, Any]:
        with read_pool.connection() as conn:
            return support_teams(conn)

    def inbox(recipient_id: str, unread_only: bool = False, limit: int = 200) -> list[Any]:
        with read_pool.connection() as conn:
            return inbox_rows(conn, recipient_id, unread_only, limit)

    def record_levels(rows: bytes, source: str, batch: str) -> object:
        return store.metrics.ingest(SYSTEM, rows, "jsonl", catalog(), source, batch)

    people, policies, ledger = store.people, store.policies, store.metrics.ledger
    store.metrics.wire(people=people)
    store.access.wire(people=people, support_teams=teams, token_list=tokens, token_page=token_pages)
    store.notifications.wire(inbox_rows=inbox)
    store.promotions.wire(
        employee=people.get,
        save_employee=people.save,
        policies=policies,
        ledger=ledger,
        role_percentiles=percentiles_from(read_pool),
    )
    store.support.wire(employee=people.get, policies=policies)
    store.assessments.wire(
        policies=policies,
        roster=ReadRoster(read_pool),
        catalog=catalog,
        record_levels=record_levels,
    )
    store.plans.wire(employee=people.get, policies=policies, ledger=ledger)
    store.cycles.wire(
        employee=people.get,
        policies=policies,
        ledger=ledger,
        active_in_roles=roster_from(read_pool),
        employees=people.get_many,
        ledgers=store.metrics.ledgers,
    )
