"""The Policies application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.kpi_weights import KpiWeights
from aggregates.process import PromotionProcess
from aggregates.seed_policies import seed_documents
from careerflow.applications.policies import Policies
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
REP = Principal(person_id="E1", role=AccessRole.employee)


class TestPolicies:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def env(self) -> dict[str, str]:
        return {}

    @pytest.fixture
    def policies(self, env: dict[str, str]) -> Iterator[Policies]:
        with Policies(env=env) as app:
            yield app

    def test_runs_on_the_intended_persistence(self, policies: Policies) -> None:
        assert type(policies.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_nothing_in_force_before_the_seed(self, policies: Policies) -> None:
        with pytest.raises(NotFoundError, match="no weekly_cycle/default has been published"):
            policies.current("weekly_cycle", "default")
        with pytest.raises(NotFoundError, match="no weekly_cycle/default has been published"):
            policies.version("weekly_cycle", "default", 1)
        assert policies.in_force_if_any(KpiWeights) == (None, None)
        assert policies.promotion_process() == (PromotionProcess(), None)

    def test_seed_publishes_version_one_once(self, policies: Policies) -> None:
        seeded = policies.seed(HR)
        assert len(seeded) == len(seed_documents()) + 1
        assert set(seeded.values()) == {1}
        assert policies.seed(HR) == {}  # idempotent: what exists is not published again
        assert policies.current("promotion_process", "default").version == 1
        assert policies.promotion_process()[1] == 1

    def test_publish_adds_a_version_and_keeps_the_old(self, policies: Policies) -> None:
        policies.seed(HR)
        first, version = policies.in_force(WeeklyCycleSettings)
        assert policies.in_force(WeeklyCycleSettings)[0] is first  # parsed once per version
        changed = first.model_dump(mode="json") | {"max_plan_factor": first.max_plan_factor + 1}
        assert policies.publish(HR, "weekly_cycle", "default", changed, "wider") == version + 1
        latest, latest_version = policies.in_force(WeeklyCycleSettings)
        assert latest_version == version + 1
        assert latest.max_plan_factor == first.max_plan_factor + 1
        old = policies.version("weekly_cycle", "default", version)
        assert old.document == first.model_dump(mode="json")

    def test_publish_refusals_change_nothing(self, policies: Policies) -> None:
        kpis = next(doc for kind, _, doc in seed_documents() if kind == "kpi_weights")
        kpi_document = kpis.model_dump(mode="json")
        with pytest.raises(DomainError, match="publish the metric catalog first"):
            policies.publish(HR, "kpi_weights", "default", kpi_document, "too early")
        policies.seed(HR)
        with pytest.raises(PermissionDeniedError, match="may not publish policy documents"):
            policies.publish(REP, "weekly_cycle", "default", {}, "mine")
        with pytest.raises(DomainError, match="unknown policy kind 'recipes'"):
            policies.publish(HR, "recipes", "default", {}, "?")
        with pytest.raises(DomainError, match="potential_weights/default is not valid"):
            policies.publish(HR, "potential_weights", "default", {"dimensions": {}}, "broken")
        with pytest.raises(DomainError, match="weekly_cycle/default is not valid"):
            policies.publish(HR, "weekly_cycle", "default", {"time_zone": "Mars/Base"}, "typo")
        assert policies.current("potential_weights", "default").version == 1
        assert policies.current("weekly_cycle", "default").version == 1

    def test_a_version_published_elsewhere_is_seen(
        self, policies: Policies, env: dict[str, str]
    ) -> None:
        if self.persistence == "popo":
            pytest.skip("in-memory stores are not shared between applications")
        policies.seed(HR)
        first, version = policies.in_force(WeeklyCycleSettings)
        with Policies(env=env) as other:
            changed = first.model_dump(mode="json") | {"max_plan_factor": 9}
            assert other.publish(HR, "weekly_cycle", "default", changed, "elsewhere") == 2
        assert policies.in_force(WeeklyCycleSettings)[1] == version + 1


class TestPoliciesOnPostgres(TestPolicies):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def env(self, pg: PostgresSettings) -> dict[str, str]:
        return application_env(pg)
