"""One place that opens the store and the services on it: the CLI, the API and the
activities all go through this."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from aggregates.documents import MetricCatalog, parse_document
from careerflow.config import Settings
from careerflow.engine import store_from_settings
from careerflow.services.assessment_queries import AssessmentQueries
from careerflow.services.cycle_queries import CycleQueries
from careerflow.services.cycles import wire as wire_cycles
from careerflow.services.goal_queries import GoalQueries
from careerflow.services.history import HistoryService
from careerflow.services.ingest import IngestService
from careerflow.services.notifications import NotificationService
from careerflow.services.people import PeopleService
from careerflow.services.plan_queries import PlanQueries
from careerflow.services.plans import wire as wire_plans
from careerflow.services.policies import PolicyService
from careerflow.services.promotion_queries import PromotionQueries
from careerflow.services.promotions import wire as wire_promotions
from careerflow.services.queries import QueryService
from careerflow.services.reevaluation import ReevaluationService
from careerflow.services.support_queries import SupportQueries
from careerflow.services.time_travel import TimeTravelService
from careerflow.services.tokens import TokenService
from careerflow.store import Store


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
        self.people = PeopleService(store.people)
        self.ingest = IngestService(store.people, store.metrics)
        self.policies = PolicyService(store.policies)
        self.queries = QueryService(self.read_pool)
        self.promotion_queries = PromotionQueries(self.read_pool)
        self.plan_queries = PlanQueries(self.read_pool)
        self.cycle_queries = CycleQueries(self.read_pool)
        self.goal_queries = GoalQueries(self.read_pool)
        self.assessment_queries = AssessmentQueries(self.read_pool)
        self.support_queries = SupportQueries(self.read_pool)
        self.tokens = TokenService(store.access, store.people, self.read_pool)
        self.history = HistoryService(self)
        self.reevaluation = ReevaluationService(self)
        self.time_travel = TimeTravelService(self)
        self.notifications = NotificationService(store.notifications, self.read_pool)
        # The store opens the applications first; their collaborators are the services.
        wire_promotions(self)
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
