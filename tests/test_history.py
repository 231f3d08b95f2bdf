"""An auditor's history of a subject from the event store: ordered events with who, when,
command, workflow and policy versions; JSON lines and HTML exports; the read is recorded;
nobody else may read it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aggregates.audit_action import AuditAction
from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.audit.history import to_html, to_jsonl
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import build_org
from tests.workflows.test_promotion_e2e import cli

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
WEEK = "2030-W10"


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        build_org(s)
        cycles = s.store.cycles
        cycles.open_week("E1", WEEK, "cycle-E1-2030-W10")
        monday = datetime(2030, 3, 4, 2, tzinfo=UTC)
        e1 = Principal(person_id="E1", role=AccessRole.employee)
        plan = {"customer_visits": 10, "new_customers": 4, "sales_amount": 25_000}
        cycles.submit_plan("E1", WEEK, e1, "k1", plan, monday)
        yield s


def test_an_ordered_history_with_who_and_which_versions(services: Engine) -> None:
    history = services.history.history(AUDITOR, "cycle", f"E1/{WEEK}")
    assert [e.event for e in history.entries] == ["Opened", "PlanSubmitted"]
    opened, submitted = history.entries
    assert (opened.actor, opened.role, opened.workflow_id) == (
        "careerflow",
        "system",
        "cycle-E1-2030-W10",
    )
    assert opened.command_id == "cycle-E1-2030-W10/open"
    assert opened.policy_versions["targets.cascade_version"] == 1
    assert (submitted.actor, submitted.role) == ("E1", "employee")
    assert submitted.data["items"]["customer_visits"] == 10
    lines = to_jsonl(history).splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["Opened", "PlanSubmitted"]
    page = to_html(history)
    assert "PlanSubmitted" in page and "E1 (employee)" in page
    # An employee's history spans their record and their metric ledger.
    employee = services.history.history(AUDITOR, "employee", "E1")
    assert {e.stream for e in employee.entries} == {"employee E1"}
    policy = services.history.history(AUDITOR, "policy", "promotion_criteria/sales_supervisor")
    assert policy.entries[-1].data["entry"]["version"] == 1


def test_every_read_is_recorded(services: Engine) -> None:
    before = services.store.audit.recorder.max_notification_id() or 0
    services.history.history(AUDITOR, "cycle", f"E1/{WEEK}")
    notifications = services.store.audit.recorder.select_notifications(before + 1, 10)
    assert len(notifications) == 1
    action = services.store.audit.repository.get(notifications[0].originator_id)
    assert isinstance(action, AuditAction)
    assert (action.action, action.subject) == ("history", f"cycle E1/{WEEK}")


def test_refusals(services: Engine) -> None:
    with pytest.raises(PermissionDeniedError):
        services.history.history(
            Principal(person_id="E1", role=AccessRole.employee), "cycle", f"E1/{WEEK}"
        )
    with pytest.raises(NotFoundError):
        services.history.history(AUDITOR, "application", "nope")
    with pytest.raises(DomainError, match="EMPLOYEE/YYYY-Www"):
        services.history.history(AUDITOR, "cycle", "E1")
    with pytest.raises(DomainError, match="unknown history kind"):
        services.history.history(AUDITOR, "gossip", "E1")


async def test_exported_from_the_command_line(
    services: Engine, pg: PostgresSettings, tmp_path: Path
) -> None:
    out = tmp_path / "history.html"
    shown = await cli(
        pg, "localhost:1", "unused", tmp_path,
        "audit", "history", "cycle", f"E1/{WEEK}", "--format", "html", "--out", str(out),
        *CliTokens(pg).args("auditor:A001"),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "wrote 2 events" in shown.stdout
    assert "PlanSubmitted" in out.read_text()
