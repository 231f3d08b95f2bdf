"""A manager's team is transitive by default; the access_rules document can narrow it to
direct reports, for every read model at once, without a code change."""

from __future__ import annotations

import pytest

from aggregates.base import NotFoundError
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.workflows.promotion_support import build_org

M001 = Principal(person_id="M001", role=AccessRole.manager)
S001 = Principal(person_id="S001", role=AccessRole.manager)


def test_manager_scope_follows_the_access_rules(pg: PostgresSettings) -> None:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        rm.wait_caught_up(s.store.applications())
        # M001 manages S001, who manages E1: by default M001 sees E1.
        assert s.queries.employee(M001, "E1")["employee_id"] == "E1"
        s.policies.publish(
            DEMO_HR, "access_rules", "default", {"manager_scope": "direct"}, "direct only"
        )
        rm.wait_caught_up(s.store.applications())
        with pytest.raises(NotFoundError):
            s.queries.employee(M001, "E1")
        assert s.queries.employee(M001, "S001")["employee_id"] == "S001"
        assert s.queries.employee(S001, "E1")["employee_id"] == "E1"
        with pytest.raises(Exception, match="manager_scope"):
            s.policies.publish(
                DEMO_HR, "access_rules", "default", {"manager_scope": "everyone"}, "bad"
            )
