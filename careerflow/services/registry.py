"""One place that opens the store and the services on it: the CLI, the API and the
activities all go through this."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from aggregates.documents import MetricCatalog, parse_document
from careerflow.audit.history import HistoryService
from careerflow.audit.reevaluation import ReevaluationService
from careerflow.audit.time_travel import TimeTravelService
from careerflow.config import Settings
from careerflow.engine import store_from_settings
from careerflow.services.assessments import wire as wire_assessments
from careerflow.services.cycles import wire as wire_cycles
from careerflow.services.plans import wire as wire_plans
from careerflow.services.promotions import wire as wire_promotions
from careerflow.services.support import wire as wire_support
from careerflow.store import Store
from projections.access import token_list
from projections.assessment_queries import AssessmentQueries
from projections.audit_queries import AuditQueries
from projections.cycle_queries import CycleQueries
from projections.goal_queries import GoalQueries
from projections.notifications import inbox_rows
from projections.plan_queries import PlanQueries
from projections.policies import support_teams
from projections.promotion_queries import PromotionQueries
from projections.readiness_queries import QueryService
from projections.support_queries import SupportQueries


def wire_applications(store: Store, read_pool: ConnectionPool) -> None:
    """Gives the store's applications their collaborators: each other, and their reads
    of the read model as query functions (the applications import no projection)."""

    def tokens() -> list[Any]:
        with read_pool.connection() as conn:
            return token_list(conn)

    def teams() -> dict[str, Any]:
        with read_pool.connection() as conn:
            return support_teams(conn)

    def inbox(recipient_id: str, unread_only: bool = False, limit: int = 200) -> list[Any]:
        with read_pool.connection() as conn:
            return inbox_rows(conn, recipient_id, unread_only, limit)

    store.metrics.wire(people=store.people)
    store.access.wire(people=store.people, support_teams=teams, token_list=tokens)
    store.notifications.wire(inbox_rows=inbox)


class Services:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.read_pool: ConnectionPool = ConnectionPool(
            store.pg.conninfo(),
            min_size=1,
            max_size=8,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
        )
        # The store opens the applications first; then they get their collaborators.
        wire_applications(store, self.read_pool)
        self.people = store.people
        self.ingest = store.metrics  # ingest, validate, ledger
        self.policies = store.policies
        self.queries = QueryService(self.read_pool)
        self.promotion_queries = PromotionQueries(self.read_pool)
        self.plan_queries = PlanQueries(self.read_pool)
        self.cycle_queries = CycleQueries(self.read_pool)
        self.goal_queries = GoalQueries(self.read_pool)
        self.assessment_queries = AssessmentQueries(self.read_pool)
        self.support_queries = SupportQueries(self.read_pool)
        self.tokens = store.access
        self.audit_queries = AuditQueries(self.read_pool)
        self.history = HistoryService(store, self.read_pool)
        self.reevaluation = ReevaluationService(store, self.policies, self.people, self.history)
        self.time_travel = TimeTravelService(store, self.history)
        self.notifications = store.notifications
        # The store opens the applications first; their collaborators are the services.
        wire_promotions(self)
        wire_support(self)
        wire_assessments(self)
        wire_plans(self)
        wire_cycles(self)

    @classmethod
    def open(cls, settings: Settings) -> Services:
        return cls(store_from_settings(settings))

    def catalog(self) -> MetricCatalog:
        doc = parse_document(self.policies.current("metric_catalog", "default").document)
        assert isinstance(doc, MetricCatalog)
        return doc

    def close(self) -> None:
        self.read_pool.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
