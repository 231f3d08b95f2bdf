"""Audit of seed 004's processes and of pay, on the real PostgreSQL: a support request's
and a 360° round's history, time travel and re-evaluation through the services and the
command line; the round shows its sealed results and never a rater of an anonymous
group, an individual rating or the moment of one; a month close's bonus and commission
figures are in HR's history and state, and in nobody else's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from activities.assessments import (
    AssessmentActivities,
    CloseRound,
    OpenRound,
    RateCommand,
    RoundRequest,
    SealedRating,
    sealed_order,
)
from aggregates.base import DomainError, NotFoundError
from aggregates.competency import RatingItem
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.config import PostgresSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env
from projections.runner import ReadModels
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import build_org, ingest
from tests.workflows.test_promotion_e2e import cli

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
HR = Principal(person_id="H001", role=AccessRole.hr)
ROUND = "2030-q1"
REQUEST = "SRAUDIT0001"
MONTH = "2030-01"
ANONYMOUS_PEERS = ("E2", "E3", "E4")
# A level pattern and a comment only an anonymous peer gave: never in an audit read
# except where the published profile shows it (the comment, with its group only).
PEER_SECRET = "only-a-peer-wrote-this"


def _person(who: str, role: AccessRole = AccessRole.employee) -> Principal:
    return Principal(person_id=who, role=role)


def _rating(ci: int, rm: int, rc: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {
        "customer_insight": RatingItem(level=ci),
        "relationship_maintenance": RatingItem(level=rm),
        "resource_coordination": RatingItem(level=rc, comment=comment),
    }


@dataclass
class World:
    services: Engine
    raised_at: datetime


@pytest.fixture
def world(pg: PostgresSettings) -> Iterator[World]:
    with Engine(open_store(pg)) as s, ReadModels(pg, application_env(pg)) as rm:
        build_org(s)
        s.people.import_org(
            DEMO_HR,
            OrgImport(
                employees=[
                    EmployeeIn(
                        employee_id="E4",
                        name="E4",
                        role=Role.sales_rep,
                        team_id="T001",
                        manager_id="S001",
                        hire_date=date(2024, 1, 1),
                    )
                ]
            ),
        )
        # E1's month: 150,000 sold against 120,000 (last year's 100,000 a month +20%).
        rows = [("E1", f"2029-{m:02d}", "sales_amount", 100_000.0, "") for m in range(1, 13)]
        rows += [
            ("E1", MONTH, "sales_amount", 150_000.0, ""),
            ("E1", MONTH, "retention_rate", 80.0, ""),
            ("E1", MONTH, "small_deal_sales", 50_000.0, ""),
        ]
        ingest(s, rows)
        rm.wait_caught_up(s.store.applications())
        s.store.cycles.close_month("E1", MONTH, "month-close-E1-2030-01")

        # A support request raised on a Monday morning, acknowledged, answered, confirmed.
        support = s.store.support
        raised = datetime(2030, 3, 4, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
        support.raise_request(
            REQUEST, _person("E1"), "product", "when can product answer?", "Lianxin", raised,
            f"support-{REQUEST}",
        )  # fmt: skip
        support.acknowledge(REQUEST, _person("PD02"), "ack", raised + timedelta(minutes=20))
        support.answer(REQUEST, _person("PD02"), "ans", "by Friday", raised + timedelta(hours=1))
        support.confirm(REQUEST, _person("E1"), "ok", raised + timedelta(hours=2))

        # A round for E1: self, manager, and three anonymous peers, closed.
        commands = AssessmentActivities(s.store.assessments)
        opened = datetime.now(UTC) - timedelta(days=10)
        deadline = opened + timedelta(days=7)
        commands.open(
            OpenRound(
                request=RoundRequest(round_id=ROUND, employee_ids=["E1"], deadline=deadline),
                started_by=HR,
                workflow_id=f"assessment-{ROUND}",
                now=opened,
            )
        )
        given = [
            (_person("E1"), _rating(5, 5, 4)),
            (_person("S001", AccessRole.manager), _rating(4, 4, 2)),
            (_person("E2"), _rating(1, 2, 3, PEER_SECRET)),
            (_person("E3"), _rating(3, 4, 2)),
            (_person("E4"), _rating(4, 4, 3)),
        ]
        sealed: list[SealedRating] = []
        for i, (who, items) in enumerate(given):
            receipt = commands.rate(
                RateCommand(
                    round_id=ROUND,
                    principal=who,
                    ratee_id="E1",
                    ratings=items,
                    key=f"rate-{i}",
                    now=opened + timedelta(hours=i + 1),
                )
            )
            if receipt.anonymous:
                sealed.append(SealedRating(ratee_id="E1", group=receipt.group, ratings=items))
        commands.close(
            CloseRound(round_id=ROUND, sealed=sorted(sealed, key=sealed_order), now=deadline)
        )
        rm.wait_caught_up(s.store.applications())
        yield World(services=s, raised_at=raised)


def _no_anonymous_rater(text: str) -> None:
    for rater in ANONYMOUS_PEERS:
        assert f'"{rater}"' not in text and f"/{rater}" not in text, rater


def test_a_support_request_history_state_and_reevaluation(world: World) -> None:
    s = world.services
    history = s.history.history(AUDITOR, "support", REQUEST)
    assert [e.event for e in history.entries] == [
        "Raised",
        "Acknowledged",
        "Answered",
        "Confirmed",
    ]
    assert [(e.actor, e.role) for e in history.entries][:2] == [
        ("E1", "employee"),
        ("PD02", "employee"),
    ]
    assert history.entries[0].policy_versions["routing.process_version"] == 1
    assert history.entries[1].data["sla_met"] is True

    (state,) = s.time_travel.aggregate(AUDITOR, "support", REQUEST, version=2)
    assert (state.state["status"], state.state["acknowledged_by"]) == ("acknowledged", "PD02")
    (latest,) = s.time_travel.aggregate(AUDITOR, "support", REQUEST)
    assert latest.state["status"] == "resolved"

    result = s.reevaluation.reevaluate(AUDITOR, "support", REQUEST)
    assert result.identical, result.decisions
    assert [d.decision for d in result.decisions] == ["routing", "SLA clock", "acknowledgement"]
    assert result.decisions[0].policy_versions == {"support_process/default": 1}
    with pytest.raises(NotFoundError):
        s.history.history(AUDITOR, "support", "SRNOTHERE")


def test_a_round_shows_its_sealed_results_and_no_rater(world: World) -> None:
    s = world.services
    history = s.history.history(AUDITOR, "assessment", ROUND)
    assert [e.event for e in history.entries] == [
        "Started",
        "GroupSealed",
        "ProfileComputed",
        "Closed",
    ]
    # Every per-rater event is withheld: who rated, what and when.
    assert history.withheld == {"RatingRecorded": 2, "AnonymousTaskCompleted": 3}
    started, group, profile, closed = history.entries
    tasks = {(t["ratee_id"], t["group"]): t for t in started.data["tasks"]}
    assert tasks[("E1", "peers")] == {
        "ratee_id": "E1",
        "group": "peers",
        "anonymous": True,
        "asked": 3,
        "rater_ids": None,
    }
    assert tasks[("E1", "manager")]["rater_ids"] == ["S001"]
    assert (group.data["raters"], group.data["published"]) == (3, True)
    assert "ratings" not in group.data
    peers = profile.data["profile"]["competencies"][0]["groups"]
    assert {g["group"]: g["raters"] for g in peers}["peers"] == 3
    assert closed.data["rated"] == 5
    exported = history.model_dump_json()
    _no_anonymous_rater(exported)
    # E2's individual levels (1, 2, 3) appear only folded into the published averages.
    assert '"level"' not in exported

    (state,) = s.time_travel.aggregate(AUDITOR, "assessment", ROUND)
    assert state.state["closed"] is True and state.state["rated"] == 5
    assert not {"named", "completed", "commands"} & set(state.state)
    assert "E1" in state.state["profiles"]
    _no_anonymous_rater(json.dumps(state.state))
    # Time travel never stops right after a rating (its moment would show).
    with pytest.raises(DomainError, match="is a 360° rating"):
        s.time_travel.aggregate(AUDITOR, "assessment", ROUND, version=3)
    (before_close,) = s.time_travel.aggregate(
        AUDITOR, "assessment", ROUND, at=history.entries[1].at - timedelta(microseconds=1)
    )
    assert before_close.version == 1 and before_close.state["rated"] == 0

    result = s.reevaluation.reevaluate(AUDITOR, "assessment", ROUND)
    assert result.identical, result.decisions
    assert [d.decision for d in result.decisions] == ["profile E1", "gap summary"]
    assert result.decisions[0].policy_versions == {"competency_model/default": 1}


def test_a_round_with_a_hidden_group_reevaluates_from_its_count(world: World) -> None:
    """Two anonymous raters are sealed with their count only; the re-evaluation rebuilds
    the hidden group from that count and still comes out identical."""
    s = world.services
    commands = AssessmentActivities(s.store.assessments)
    opened = datetime.now(UTC) - timedelta(days=10)
    deadline = opened + timedelta(days=7)
    commands.open(
        OpenRound(
            request=RoundRequest(round_id="hidden", employee_ids=["E1"], deadline=deadline),
            started_by=HR,
            workflow_id="assessment-hidden",
            now=opened,
        )
    )
    sealed = []
    for i, who in enumerate(("E2", "E3")):
        items = _rating(2, 2, 2)
        commands.rate(
            RateCommand(
                round_id="hidden",
                principal=_person(who),
                ratee_id="E1",
                ratings=items,
                key=f"h-{i}",
                now=opened + timedelta(hours=i + 1),
            )
        )
        sealed.append(SealedRating(ratee_id="E1", group="peers", ratings=items))
    commands.close(CloseRound(round_id="hidden", sealed=sealed, now=deadline))
    result = s.reevaluation.reevaluate(AUDITOR, "assessment", "hidden")
    assert result.identical, result.decisions
    groups = s.store.assessments.find(s.store.assessments.get("hidden").id).profiles["E1"]
    assert groups.competencies[0].groups[-1].hidden is True


def test_an_open_round_is_not_reevaluated(world: World) -> None:
    commands = AssessmentActivities(world.services.store.assessments)
    now = datetime.now(UTC)
    commands.open(
        OpenRound(
            request=RoundRequest(
                round_id="open", employee_ids=["E1"], deadline=now + timedelta(days=3)
            ),
            started_by=HR,
            workflow_id="assessment-open",
            now=now,
        )
    )
    with pytest.raises(NotFoundError, match="results exist only once a round has closed"):
        world.services.reevaluation.reevaluate(AUDITOR, "assessment", "open")


def test_pay_in_a_month_history_and_state_follows_the_pay_rule(world: World) -> None:
    s = world.services
    ident = f"E1/{MONTH}"
    figures = {
        e.event: e.data["result"]
        for e in s.history.history(HR, "month", ident).entries
        if "result" in e.data
    }
    assert figures["BonusComputed"]["amount"] == 5_830.0
    assert figures["BonusComputed"]["inputs"]["sales_amount"] == 150_000.0
    assert figures["CommissionComputed"]["amount"] is not None

    audited = s.history.history(AUDITOR, "month", ident)
    assert audited.pay_redacted
    hidden = {e.event: e.data["result"] for e in audited.entries if "result" in e.data}
    for result in (hidden["BonusComputed"], hidden["CommissionComputed"]):
        assert all(result[k] is None for k in ("amount", "inputs", "lines"))
        assert result["rules_version"] == 1 and result["currency"] == "CNY"
    assert hidden["BonusComputed"]["target_met"] is None
    assert "5830" not in audited.model_dump_json() and "150000" not in audited.model_dump_json()

    (hr_state,) = s.time_travel.aggregate(HR, "month", ident)
    assert hr_state.state["bonus"]["amount"] == 5_830.0 and not hr_state.pay_redacted
    (state,) = s.time_travel.aggregate(AUDITOR, "month", ident)
    assert state.pay_redacted and state.state["bonus"]["amount"] is None
    assert state.state["commission"]["inputs"] is None
    assert state.state["targets"]["monthly_sales_target"] == 120_000.0  # not pay


async def test_support_and_round_audits_from_the_command_line(
    world: World, pg: PostgresSettings, tmp_path: Path
) -> None:
    auditor = CliTokens(pg).args("auditor:A001")

    async def run(*args: str) -> dict[str, object] | list[object]:
        as_json = () if args[0] == "history" else ("--json",)
        done = await cli(pg, "localhost:1", "unused", tmp_path, "audit", *args, *as_json, *auditor)
        assert done.returncode == 0, done.stderr
        parsed: dict[str, object] | list[object] = json.loads(done.stdout)
        return parsed

    support = await run("history", "support", REQUEST)
    assert isinstance(support, dict)
    assert [e["event"] for e in support["entries"]][-1] == "Confirmed"  # type: ignore[index, union-attr]
    round_history = await run("history", "assessment", ROUND)
    assert isinstance(round_history, dict)
    assert round_history["withheld"] == {"RatingRecorded": 2, "AnonymousTaskCompleted": 3}
    _no_anonymous_rater(json.dumps(round_history))
    state = await run("state", "assessment", ROUND)
    assert isinstance(state, list) and state[0]["state"]["rated"] == 5  # type: ignore[index]
    for kind, ident in (("support", REQUEST), ("assessment", ROUND)):
        result = await run("reevaluate", kind, ident)
        assert isinstance(result, dict) and result["identical"] is True
    # Without --json: said in the CLI's language.
    for lang, statement in (
        ("en", f"{REQUEST}: re-evaluated, identical to the recorded outcome"),
        ("zh", f"{REQUEST}：已重新评估，与记录的结果一致"),
    ):
        done = await cli(
            pg, "localhost:1", "unused", tmp_path, "audit", "reevaluate", "support", REQUEST,
            *auditor, lang=lang,
        )  # fmt: skip
        assert done.returncode == 0 and statement in done.stdout, done.stdout + done.stderr
    month = await run("history", "month", f"E1/{MONTH}")
    assert isinstance(month, dict) and month["pay_redacted"] is True
    assert "5830" not in json.dumps(month)
    listed = await run("items", "--kind", "support", "--person", "E1")
    assert isinstance(listed, dict)
    assert [i["ident"] for i in listed["items"]] == [REQUEST]  # type: ignore[index, union-attr]
    # A page at a time: the policies two by two, the second page after the first.
    first = await run("items", "--kind", "policy", "--limit", "2")
    assert isinstance(first, dict) and first["total"] > 2 and first["next"]
    second = await run("items", "--kind", "policy", "--limit", "2", "--cursor", str(first["next"]))
    assert isinstance(second, dict) and second["previous"]
    assert not {i["ident"] for i in first["items"]} & {i["ident"] for i in second["items"]}  # type: ignore[union-attr]
