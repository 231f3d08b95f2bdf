"""The 360° round commands are the Assessments application's (careerflow.applications.
assessments); this wires its collaborators from the services (the employee directory
from the people read model, the metric ledger) and keeps the old names importable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from psycopg import Connection
from psycopg.rows import DictRow

# The round's contracts live beside its activities; the faces and tests import them here.
from activities.assessments import (
    ANONYMOUS_DEFAULT,
    CloseRound,
    OpenRound,
    RateCommand,
    RatingReceipt,
    RoundInfo,
    RoundRequest,
    SealedRating,
    sealed_order,
)
from aggregates.assessment_round import Ratee
from aggregates.assessment_rules import local_label
from careerflow.applications.assessments import MAX_RATEES, MIN_LEAD, ROUND_ID, Assessments, Circle
from careerflow.principal import SYSTEM
from projections import people as people_view

__all__ = [
    "ANONYMOUS_DEFAULT",
    "MAX_RATEES",
    "MIN_LEAD",
    "ROUND_ID",
    "CloseRound",
    "OpenRound",
    "RateCommand",
    "RatingReceipt",
    "ReadRoster",
    "RoundInfo",
    "RoundRequest",
    "SealedRating",
    "local_label",
    "sealed_order",
    "wire",
]

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from careerflow.services.registry import Services


class ReadRoster:
    """Who takes part in a round, from the people read model (projections.people)."""

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


def wire(services: Services) -> Assessments:
    """Gives the store's Assessments application its collaborators."""

    def record_levels(rows: bytes, source: str, batch: str) -> object:
        return services.ingest.ingest(SYSTEM, rows, "jsonl", services.catalog(), source, batch)

    assessments = services.store.assessments
    assessments.wire(
        policies=services.policies,
        roster=ReadRoster(services.read_pool),
        catalog=services.catalog,
        record_levels=record_levels,
    )
    return assessments
