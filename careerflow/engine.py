"""The engine, built in one place for every process (worker, API, CLI, demo loader, bench):
the store's applications with their collaborators wired, the views (read-model queries) on
one read pool, the audit services, and the Temporal client.

It sits above the store, the applications, the projections and the audit, so none of them
imports another through it."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from aggregates.documents import MetricCatalog, parse_document
from careerflow.audit.history import HistoryService
from careerflow.audit.reevaluation import ReevaluationService
from careerflow.audit.time_travel import TimeTravelService
from careerflow.config import PostgresSettings, Settings
from careerflow.database import schema_lock
from careerflow.pools import most_recent_first
from careerflow.services.assessment_process import AssessmentProcessService
from careerflow.services.cycle_process import CycleProcessService
from careerflow.services.metric_import import MetricImportProcess
from careerflow.services.plan_process import PlanProcessService
from careerflow.services.promotion_process import PromotionProcessService
from careerflow.services.support_process import SupportProcessService
from careerflow.services.verify_process import VerifyProcess
from careerflow.store import Store
from careerflow.wiring import open_plans_from, wire
from projections.assessment_queries import AssessmentQueries
from projections.audit_queries import AuditQueries
from projections.cycle_queries import CycleQueries
from projections.goal_queries import GoalQueries
from projections.people_queries import PeopleQueries
from projections.plan_queries import PlanQueries
from projections.promotion_queries import PromotionQueries
from projections.readiness_queries import QueryService
from projections.runner import create_read_models
from projections.support_queries import SupportQueries

if TYPE_CHECKING:
    from temporalio.client import Client


def open_store(pg: PostgresSettings, cipher_key: str = "") -> Store:
    """The store, after creating (under the schema lock) what a new database lacks."""
    with schema_lock(pg):
        store = Store(pg, cipher_key)  # creates the event tables
        create_read_models(pg, store.env)
    return store


def store_from_settings(settings: Settings) -> Store:
    return open_store(settings.require_postgres(), settings.cipher_key)


def prepare_database(pg: PostgresSettings, cipher_key: str = "") -> None:
    """For processes that don't otherwise open a store (the projection runner)."""
    open_store(pg, cipher_key).close()


async def connect(settings: Settings) -> Client:
    """Every engine process's Temporal client: payloads encrypted (careerflow/codec.py)."""
    from temporalio.client import Client

    from careerflow.codec import engine_data_converter

    return await Client.connect(
        settings.temporal.address,
        namespace=settings.temporal.namespace,
        data_converter=engine_data_converter(settings.var_dir),
    )


class Engine:
    """The applications (commands), the views (queries) and the audit over one store.
    Faces and the worker take what they need from here; nothing below is handed the
    whole engine."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.read_pool: ConnectionPool = most_recent_first(
            ConnectionPool(
                store.pg.conninfo(),
                min_size=1,
                max_size=8,
                kwargs={"row_factory": dict_row, "autocommit": True},
                open=True,
            )
        )
        # The store opens the applications first; then they get their collaborators.
        wire(store, self.read_pool, self.catalog)
        # -- applications (commands)
        self.people = store.people
        self.ingest = store.metrics  # ingest, validate, ledger
        self.policies = store.policies
        self.tokens = store.access
        self.notifications = store.notifications
        # -- views (read-model queries)
        self.queries = QueryService(self.read_pool)
        self.promotion_queries = PromotionQueries(self.read_pool)
        self.plan_queries = PlanQueries(self.read_pool)
        self.cycle_queries = CycleQueries(self.read_pool)
        self.goal_queries = GoalQueries(self.read_pool)
        self.assessment_queries = AssessmentQueries(self.read_pool)
        self.support_queries = SupportQueries(self.read_pool)
        self.audit_queries = AuditQueries(self.read_pool)
        self.people_queries = PeopleQueries(self.read_pool)
        self.open_plans_of = open_plans_from(self.read_pool)
        # -- audit
        self.history = HistoryService(store, self.read_pool)
        self.reevaluation = ReevaluationService(store, self.policies, self.people, self.history)
        self.time_travel = TimeTravelService(store, self.history)

    @classmethod
    def open(cls, settings: Settings) -> Engine:
        return cls(store_from_settings(settings))

    # -- the processes (each starts and steers its workflows through a Temporal client)
    def promotion_process(
        self, client: Client, task_queue: str, use_search_attributes: bool = True
    ) -> PromotionProcessService:
        return PromotionProcessService(
            self.store.promotions,
            self.people,
            self.policies,
            self.read_pool,
            client,
            task_queue,
            use_search_attributes,
        )

    def plan_process(self, client: Client, task_queue: str) -> PlanProcessService:
        return PlanProcessService(self.store.plans, self.people, client, task_queue, self.read_pool)

    def cycle_process(self, client: Client, task_queue: str) -> CycleProcessService:
        return CycleProcessService(
            self.store.cycles, self.people, client, task_queue, self.cycle_queries
        )

    def metric_import(self, client: Client, task_queue: str) -> MetricImportProcess:
        return MetricImportProcess(self.store.metrics, self.catalog, client, task_queue)

    def support_process(self, client: Client, task_queue: str) -> SupportProcessService:
        return SupportProcessService(self.store.support, client, task_queue, self.support_queries)

    def assessment_process(self, client: Client, task_queue: str) -> AssessmentProcessService:
        return AssessmentProcessService(self.store.assessments, client, task_queue)

    def verify_process(self, client: Client, task_queue: str) -> VerifyProcess:
        return VerifyProcess(client, task_queue)

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
