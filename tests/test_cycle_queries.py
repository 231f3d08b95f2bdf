"""The weekly-cycle read models and their queries on a real PostgreSQL: a rep's week (live
plan vs actual, expected pay, rank and big deals to the top 3), the manager's board, HR's
completion rates, the month's bonus statement with its redaction, the access rules of
every role, and a rebuild from events that reproduces every row."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.conftest import create_database, drop_database

HR = Principal(person_id="H001", role=AccessRole.hr)
AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
SYSTEM = Principal(person_id="careerflow", role=AccessRole.system)


def rep(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.employee)


def manager(person: str) -> Principal:
    return Principal(person_id=person, role=AccessRole.manager)


WEEK = "2026-W47"  # 16-22 Nov 2026, month 2026-11
PREVIOUS = "2026-W46"
NEXT = "2026-W48"  # 23-29 Nov 2026, still month 2026-11 (its Thursday is the 26th)
MONTH = "2026-11"
BEFORE_PLAN_DEADLINE = datetime(2026, 11, 9, 1, tzinfo=UTC)  # Monday of W46, 09:00 Shanghai
W47_MONDAY = datetime(2026, 11, 16, 1, tzinfo=UTC)
W48_MONDAY = datetime(2026, 11, 23, 1, tzinfo=UTC)
WEEKEND = datetime(2026, 11, 21, 6, tzinfo=UTC)  # before W46's and W47's feedback deadlines
W46_WEEKEND = datetime(2026, 11, 14, 6, tzinfo=UTC)

# (employee, team, manager, role)
ORG = [
    ("M001", "R01", None, Role.sales_manager),
    ("S001", "T001", "M001", Role.sales_supervisor),
    ("S002", "T002", "M001", Role.sales_supervisor),
    *((f"E{i}", "T001", "S001", Role.sales_rep) for i in range(1, 8)),
    ("F1", "T002", "S002", Role.sales_rep),
]

Row = tuple[str, str, str, float]
MEASUREMENTS: list[Row] = [
    # E1: a sales history for its target (2025 mean 100,000 -> target 120,000), a month
    # figure that wins over its weeks, big deals inside and outside the 12-month window.
    *(("E1", f"2025-{m:02d}", "sales_amount", 100_000.0) for m in range(1, 13)),
    ("E1", "2025-11", "big_client_sales", 900_000.0),
    ("E1", "2025-11", "big_deals", 1.0),
    ("E1", MONTH, "sales_amount", 300_000.0),
    ("E1", "2026-W45", "sales_amount", 50_000.0),
    ("E1", MONTH, "retention_rate", 80.0),
    ("E1", MONTH, "small_deal_sales", 100_000.0),
    ("E1", MONTH, "big_client_sales", 200_000.0),
    ("E1", MONTH, "big_deals", 2.0),
    ("E1", MONTH, "repurchase_sales", 20_000.0),
    ("E1", WEEK, "customer_visits", 12.0),
    ("E1", WEEK, "new_customers", 3.0),
    ("E1", WEEK, "sales_amount", 35_000.0),
    ("E1", "2026-11-23", "customer_visits", 3.0),  # Monday of W48: live before Friday
    ("E2", MONTH, "sales_amount", 250_000.0),
    ("E2", WEEK, "customer_visits", 11.0),
    ("E2", WEEK, "new_customers", 5.0),
    ("E3", MONTH, "sales_amount", 200_000.0),
    ("E3", PREVIOUS, "customer_visits", 9.0),
    ("E3", WEEK, "customer_visits", 9.0),
    ("E3", WEEK, "new_customers", 2.0),
    ("E3", WEEK, "sales_amount", 25_000.0),
    ("E4", MONTH, "sales_amount", 150_000.0),
    ("E4", WEEK, "customer_visits", 10.0),
    ("E4", WEEK, "new_customers", 2.0),
    ("E4", WEEK, "sales_amount", 20_000.0),
    # E5: no month figure: weeks plus the days of weeks without their own figure
    # (40,000 + 30,000 + 10,000 + 10,000; the day inside W46 is already in W46's total).
    ("E5", "2026-W45", "sales_amount", 40_000.0),
    ("E5", "2026-W46", "sales_amount", 30_000.0),
    ("E5", "2026-11-10", "sales_amount", 5_000.0),
    ("E5", "2026-11-16", "sales_amount", 10_000.0),
    ("E5", "2026-11-17", "sales_amount", 10_000.0),
    ("E5", "2026-06", "big_client_sales", 100_000.0),
    ("E5", "2026-06", "big_deals", 2.0),
    ("E6", "2026-W46", "sales_amount", 50_000.0),
    ("F1", MONTH, "sales_amount", 500_000.0),
    ("F1", WEEK, "customer_visits", 10.0),
]


@dataclass
class World:
    pg: PostgresSettings
    services: Engine
    read_models: ReadModels

    def caught_up(self) -> None:
        self.read_models.wait_caught_up(self.services.store.applications(), timeout=120)


def build(services: Engine) -> None:
    services.policies.seed(HR)
    services.people.import_org(
        HR,
        OrgImport(
            teams=[
                TeamIn(team_id="R01", name="Region", manager_id="M001"),
                TeamIn(team_id="T001", name="Team 1", manager_id="S001", parent_team_id="R01"),
                TeamIn(team_id="T002", name="Team 2", manager_id="S002", parent_team_id="R01"),
            ],
            employees=[
                EmployeeIn(
                    employee_id=e,
                    name=f"name {e}",
                    role=role,
                    team_id=team,
                    manager_id=boss,
                    hire_date=date(2020, 1, 1),
                )
                for e, team, boss, role in ORG
            ],
        ),
    )
    lines = ["employee_id,period,metric,value,source,item"]
    lines += [f"{e},{p},{m},{v},crm," for e, p, m, v in MEASUREMENTS]
    services.ingest.ingest(
        HR, ("\n".join(lines) + "\n").encode(), "csv", services.catalog(), "test.csv"
    )
    c = services.store.cycles
    # E3's previous week ends with an agreed plan for WEEK.
    c.open_week("E3", PREVIOUS, "wf-E3-W46")
    c.submit_plan(
        "E3",
        PREVIOUS,
        rep("E3"),
        "p1",
        {"customer_visits": 8, "new_customers": 2, "sales_amount": 20_000},
        BEFORE_PLAN_DEADLINE,
    )
    c.build_report("E3", PREVIOUS)
    c.give_feedback(
        "E3",
        PREVIOUS,
        manager("S001"),
        "f1",
        "steady week",
        {"customer_visits": 8, "new_customers": 2, "sales_amount": 20_000},
        W46_WEEKEND,
    )
    for e in ("E1", "E2", "E3", "E4", "E5", "E6", "F1"):
        c.open_week(e, WEEK, f"wf-{e}-W47")
    plans = {
        "E1": {"customer_visits": 12, "new_customers": 4, "sales_amount": 30_000},
        "E4": {"customer_visits": 10, "new_customers": 2, "sales_amount": 20_000},
        "E5": {"customer_visits": 10, "new_customers": 3, "sales_amount": 25_000},
        "F1": {"customer_visits": 10, "new_customers": 2, "sales_amount": 20_000},
    }
    for e, items in plans.items():
        c.submit_plan(e, WEEK, rep(e), "p1", items, W47_MONDAY)
    c.default_plan("E2", WEEK)
    for e in ("E1", "E2", "E3", "F1"):
        c.build_report(e, WEEK)
    c.give_feedback(
        "E1",
        WEEK,
        manager("S001"),
        "f1",
        "more new customers next week",
        {"customer_visits": 12, "new_customers": 4, "sales_amount": 30_000},
        WEEKEND,
    )
    c.give_feedback("F1", WEEK, manager("S002"), "f1", "good", None, WEEKEND)
    c.miss_feedback("E2", WEEK)
    # The next week, before its report: E1's agreed plan, E4's own.
    c.open_week("E1", NEXT, "wf-E1-W48")
    c.open_week("E4", NEXT, "wf-E4-W48")
    c.submit_plan(
        "E4",
        NEXT,
        rep("E4"),
        "p1",
        {"customer_visits": 10, "new_customers": 2, "sales_amount": 20_000},
        W48_MONDAY,
    )
    c.close_month("E1", MONTH, "wf-close-2026-11")


@pytest.fixture(scope="module")
def world(pg_server: PostgresSettings) -> Iterator[World]:
    """One organisation and one month of cycles for every test in this module."""
    pg = create_database(pg_server)
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("POSTGRES_", "CIPHER_", "PERSISTENCE_")):
                mp.delenv(key, raising=False)
        try:
            with (
                Engine(Store(pg)) as services,
                ReadModels(pg, application_env(pg)) as read_models,
            ):
                build(services)
                w = World(pg, services, read_models)
                w.caught_up()
                yield w
        finally:
            drop_database(pg_server, pg.dbname)


# -- 1. a rep's week -----------------------------------------------------------------
def test_rep_week_after_the_report(world: World) -> None:
    week = world.services.cycle_queries.rep_week(rep("E1"), "E1", WEEK)
    assert week.cycle_id == "E1/2026-W47" and week.month == MONTH
    assert week.plan_source == "submitted" and week.plan_revisions == 1
    assert week.plan_at is not None
    assert week.plan_late == (week.plan_at > week.deadlines.plan_deadline)
    lines = {line.item: line for line in week.lines}
    assert (lines["customer_visits"].planned, lines["customer_visits"].actual) == (12, 12)
    assert lines["customer_visits"].met is True
    assert (lines["new_customers"].actual, lines["new_customers"].met) == (3, False)
    assert lines["new_customers"].target == 4
    assert (lines["sales_amount"].actual, lines["sales_amount"].met) == (35_000, True)
    assert all(line.reported_actual == line.actual for line in week.lines)
    assert all(line.reported_met == line.met for line in week.lines)
    assert (week.met, week.total, week.lagging, week.reported) == (2, 3, True, True)
    assert week.report is not None and len(week.report) == 3
    assert week.feedback.status == "given"
    assert week.feedback.by == "S001"
    assert week.feedback.text == "more new customers next week"
    assert week.feedback.next_plan == {
        "customer_visits": 12,
        "new_customers": 4,
        "sales_amount": 30_000,
    }


def test_rep_week_expected_pay_for_the_month_so_far(world: World) -> None:
    week = world.services.cycle_queries.rep_week(rep("E1"), "E1", WEEK)
    pay = week.expected
    # The month figure (300,000) wins over the weeks inside it.
    assert (pay.month, pay.sales_target, pay.month_sales) == (MONTH, 120_000, 300_000)
    assert pay.bonus is not None and pay.commission is not None and not pay.redacted
    # 5,000 base + 1% of 180,000 excess, +10% for retention 80% > 75%.
    assert [(line.key, line.amount) for line in pay.bonus.lines] == [
        ("base", 5_000),
        ("excess", 1_800),
        ("retention", 680),
    ]
    assert pay.bonus.amount == 7_480 and pay.bonus.rules_version == 1
    # 2% of small deals, 2.3% of big clients, 5% of repurchase sales.
    assert pay.commission.amount == 2_000 + 4_600 + 1_000
    assert pay.commission.inputs.big_client_sales == 200_000


def test_rep_week_live_before_the_friday_report(world: World) -> None:
    week = world.services.cycle_queries.rep_week(rep("E1"), "E1", NEXT)
    assert week.plan_source == "agreed" and week.plan_late is None
    assert not week.reported and week.report is None
    assert week.feedback.status == "pending"
    lines = {line.item: line for line in week.lines}
    # The Monday's day figure counts at once; nothing reported yet.
    assert (lines["customer_visits"].planned, lines["customer_visits"].actual) == (12, 3)
    assert lines["customer_visits"].met is False and lines["customer_visits"].reported_met is None
    assert (week.met, week.total, week.lagging) == (0, 3, True)
    assert week.expected.month == MONTH and week.expected.month_sales == 300_000


def test_rep_week_day_and_week_periods_and_no_plan(world: World) -> None:
    e5 = world.services.cycle_queries.rep_week(rep("E5"), "E5", WEEK)
    lines = {line.item: line for line in e5.lines}
    assert lines["sales_amount"].actual == 20_000  # two days of the week
    assert e5.expected.month_sales == 90_000  # W45 + W46 + the days of W47
    e6 = world.services.cycle_queries.rep_week(rep("E6"), "E6", WEEK)
    assert e6.plan_source is None and (e6.met, e6.total, e6.lagging) == (0, 0, False)
    assert {line.item for line in e6.lines} == {"customer_visits", "new_customers", "sales_amount"}
    assert all(line.planned is None and line.met is None for line in e6.lines)


def test_rank_in_team_and_big_deals_to_the_top_3(world: World) -> None:
    q = world.services.cycle_queries
    # Ranked: E1..E6 (cycles or sales); the supervisor and E7 (neither) are not.
    top = q.rep_week(rep("E1"), "E1", WEEK).rank
    assert (top.rank, top.of, top.text["en"]) == (1, 6, "1st of 6; in the top 3")
    assert top.big_deals_to_top3 == 0 and top.gap_to_top3 == 0
    # E5: 200,000 (3rd) - 90,000 = 110,000 over its own 50,000 per big deal -> 3.
    fifth = q.rep_week(rep("E5"), "E5", WEEK).rank
    assert (fifth.rank, fifth.of, fifth.month_sales) == (5, 6, 90_000)
    assert (fifth.third_place_sales, fifth.gap_to_top3) == (200_000, 110_000)
    assert (fifth.average_big_deal, fifth.average_big_deal_source) == (50_000, "own")
    assert fifth.big_deals_to_top3 == 3
    assert fifth.text == {
        "en": "5th of 6; 3 big deals from the top 3",
        "zh": "第5名（共6人）；距前三还差 3 个大单",
    }
    # E6 has no big deals of its own: the team's (E1 200,000/2 in the window, E5
    # 100,000/2; E1's deal of 2025-11 is outside it) is 75,000; 150,000 / 75,000 = 2.
    last = q.rep_week(rep("E6"), "E6", WEEK).rank
    assert (last.rank, last.average_big_deal, last.average_big_deal_source) == (6, 75_000, "team")
    assert last.text["en"] == "6th of 6; 2 big deals from the top 3"


def test_rep_week_access(world: World) -> None:
    q = world.services.cycle_queries
    assert q.rep_week(manager("S001"), "E1", WEEK).employee_id == "E1"
    assert q.rep_week(manager("M001"), "E1", WEEK).expected.bonus is not None  # the chain
    assert q.rep_week(HR, "E1", WEEK).expected.bonus is not None
    audited = q.rep_week(AUDITOR, "E1", WEEK)
    assert audited.expected.redacted and audited.expected.bonus is None
    assert audited.expected.commission is None
    assert audited.lines and audited.rank.rank == 1  # the week itself is visible
    for outsider in (rep("E2"), manager("S002"), rep("F1")):
        with pytest.raises(NotFoundError):
            q.rep_week(outsider, "E1", WEEK)
    # Unknown and hidden look the same; a week without a cycle is not found either.
    with pytest.raises(NotFoundError):
        q.rep_week(HR, "E99", WEEK)
    with pytest.raises(NotFoundError):
        q.rep_week(rep("E1"), "E1", "2026-W40")
    with pytest.raises(DomainError, match="expected a week"):
        q.rep_week(rep("E1"), "E1", MONTH)


# -- 2. the manager's board ----------------------------------------------------------
def test_team_board(world: World) -> None:
    board = world.services.cycle_queries.team_board(manager("S001"), "S001", WEEK)
    rows = {r.employee_id: r for r in board.rows}
    assert list(rows) == ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
    assert (rows["E1"].plan_source, rows["E1"].met, rows["E1"].total) == ("submitted", 2, 3)
    assert rows["E1"].behind == ["new_customers"] and rows["E1"].lagging
    assert rows["E1"].feedback == "given"
    assert (rows["E2"].plan_source, rows["E2"].feedback) == ("defaulted", "missed")
    assert rows["E2"].behind == ["sales_amount"]
    assert (rows["E3"].plan_source, rows["E3"].met, rows["E3"].lagging) == ("agreed", 3, False)
    # Not reported yet: plan vs actual from the live figures.
    assert not rows["E4"].reported and (rows["E4"].met, rows["E4"].lagging) == (3, False)
    assert rows["E5"].lagging and set(rows["E5"].behind) == {
        "customer_visits",
        "new_customers",
        "sales_amount",
    }
    assert not rows["E6"].planned and rows["E6"].has_cycle and not rows["E6"].lagging
    assert not rows["E7"].has_cycle and rows["E7"].feedback is None
    t = board.totals
    assert (t.reps, t.with_cycle, t.planned, t.not_planned) == (7, 6, 5, 2)
    assert (t.submitted, t.agreed, t.defaulted, t.reported) == (3, 1, 1, 3)
    assert (t.met, t.total, t.lagging) == (10, 15, 3)
    assert (t.feedback_given, t.feedback_missed, t.feedback_pending) == (1, 1, 4)


def test_team_board_access(world: World) -> None:
    q = world.services.cycle_queries
    assert len(q.team_board(manager("M001"), "S001", WEEK).rows) == 7  # the chain
    assert len(q.team_board(HR, "S001", WEEK).rows) == 7
    assert len(q.team_board(AUDITOR, "S002", WEEK).rows) == 1
    with pytest.raises(PermissionDeniedError):
        q.team_board(rep("E1"), "S001", WEEK)
    with pytest.raises(NotFoundError):
        q.team_board(manager("S002"), "S001", WEEK)
    with pytest.raises(NotFoundError):
        q.team_board(manager("S001"), "S404", WEEK)


# -- 3. HR's completion rates ---------------------------------------------------------
def test_completion_rates(world: World) -> None:
    rates = world.services.cycle_queries.completion_rates(HR, WEEK)
    teams = {t.team_id: t for t in rates.teams}
    t1 = teams["T001"]
    assert t1.team_name == "Team 1"
    assert (t1.cycles, t1.plans_submitted, t1.plans_agreed, t1.plans_defaulted) == (6, 3, 1, 1)
    assert (t1.plans_missing, t1.reports_built) == (1, 3)
    assert (t1.feedback_given, t1.feedback_missed, t1.feedback_pending) == (1, 1, 4)
    assert (t1.submitted_share, t1.reported_share) == (0.5, 0.5)
    t2 = teams["T002"]
    assert (t2.cycles, t2.plans_submitted, t2.reports_built, t2.feedback_given) == (1, 1, 1, 1)
    assert t2.feedback_given_share == 1.0
    o = rates.overall
    assert (o.cycles, o.plans_submitted, o.reports_built, o.feedback_given) == (7, 4, 4, 2)
    assert o.submitted_share == round(4 / 7, 4)
    assert world.services.cycle_queries.completion_rates(AUDITOR, WEEK) == rates
    empty = world.services.cycle_queries.completion_rates(HR, "2026-W30")
    assert empty.teams == [] and empty.overall.cycles == 0 and empty.overall.submitted_share is None


def test_completion_rates_are_for_hr_and_auditors(world: World) -> None:
    for who in (rep("E1"), manager("S001"), manager("M001"), SYSTEM):
        with pytest.raises(PermissionDeniedError):
            world.services.cycle_queries.completion_rates(who, WEEK)


# -- 4. the month's bonus statement ----------------------------------------------------
def test_bonus_statement(world: World) -> None:
    s = world.services.cycle_queries.bonus_statement(rep("E1"), "E1", MONTH)
    assert (s.statement_id, s.team_id, s.manager_id, s.redacted) == (
        "E1/2026-11",
        "T001",
        "S001",
        False,
    )
    assert (
        s.targets.monthly_sales_target == 120_000 and s.targets.baseline.source == "previous_year"
    )
    assert (s.bonus.amount, s.bonus.target_met, s.bonus.rules_version) == (7_480, True, 1)
    assert s.bonus.inputs is not None and s.bonus.inputs.sales_amount == 300_000
    assert s.bonus.inputs.retention_rate == 80
    assert s.bonus.lines is not None and [line.key for line in s.bonus.lines] == [
        "base",
        "excess",
        "retention",
    ]
    assert (s.commission.amount, s.commission.rules_version, s.commission.currency) == (
        7_600,
        1,
        "CNY",
    )
    assert s.commission.inputs is not None and s.commission.inputs.repurchase_sales == 20_000
    # 3 new customers against 4 a week over the month's 4 weeks: Prospecting Skills.
    assert [r.course for r in s.recommendations] == ["Prospecting Skills"]
    assert s.training_rules_version == 1
    checks = {c.rule_id: c.triggered for c in s.training_checks}
    assert checks == {"new_customers_short": True, "retention_below_target": False}


def test_bonus_statement_redaction_and_access(world: World) -> None:
    q = world.services.cycle_queries
    full = q.bonus_statement(rep("E1"), "E1", MONTH)
    for who in (manager("S001"), manager("M001"), HR):
        assert q.bonus_statement(who, "E1", MONTH) == full
    audited = q.bonus_statement(AUDITOR, "E1", MONTH)
    assert audited.redacted
    assert (audited.bonus.amount, audited.bonus.lines, audited.bonus.inputs) == (None, None, None)
    assert audited.bonus.target_met is None
    assert (audited.commission.amount, audited.commission.lines) == (None, None)
    assert audited.commission.inputs is None
    # What was decided and under which rules stays visible to the auditor.
    assert (audited.bonus.rules_version, audited.commission.rules_version) == (1, 1)
    assert audited.recommendations == full.recommendations
    assert audited.targets == full.targets
    assert q.bonus_statement(SYSTEM, "E1", MONTH).redacted
    for outsider in (rep("E2"), manager("S002")):
        with pytest.raises(NotFoundError):
            q.bonus_statement(outsider, "E1", MONTH)
    with pytest.raises(NotFoundError, match="not closed"):
        q.bonus_statement(rep("E1"), "E1", "2026-10")
    with pytest.raises(NotFoundError):
        q.bonus_statement(HR, "E99", MONTH)
    with pytest.raises(DomainError, match="expected a month"):
        q.bonus_statement(HR, "E1", WEEK)


# -- 5. a rep's weeks and months -------------------------------------------------------
def test_weeks_of_paged_newest_first_through_the_access_rules(world: World) -> None:
    q = world.services.cycle_queries
    first = q.weeks_of(rep("E1"), "E1", 1)
    assert [w.week for w in first.items] == [NEXT] and first.total == 2
    assert first.next_cursor == NEXT and first.limit == 1
    rest = q.weeks_of(rep("E1"), "E1", 1, first.next_cursor)
    assert [w.week for w in rest.items] == [WEEK] and rest.next_cursor is None
    reported = rest.items[0]
    assert (reported.plan_source, reported.reported, reported.met, reported.total) == (
        "submitted",
        True,
        2,
        3,
    )
    assert reported.feedback_status == "given" and reported.month == MONTH
    e3 = q.weeks_of(manager("S001"), "E3", 10)
    assert [w.week for w in e3.items] == [WEEK, PREVIOUS] and e3.next_cursor is None
    assert q.weeks_of(AUDITOR, "E1").total == 2
    for outsider in (rep("E2"), manager("S002")):
        with pytest.raises(NotFoundError):
            q.weeks_of(outsider, "E1")
    with pytest.raises(DomainError, match="expected a week"):
        q.weeks_of(HR, "E1", 10, "2026-11")


def test_months_of_and_the_training_names(world: World) -> None:
    q = world.services.cycle_queries
    months = q.months_of(rep("E1"), "E1")
    assert [m.month for m in months] == [MONTH]
    assert q.months_of(HR, "E2") == []
    with pytest.raises(NotFoundError):
        q.months_of(rep("E2"), "E1")
    statement = q.bonus_statement(rep("E1"), "E1", MONTH)
    names = q.training_names(statement.training_rules_version)
    assert {c.rule_id for c in statement.training_checks} <= set(names.reasons)
    assert all({"en", "zh"} <= set(label) for label in names.reasons.values())
    assert {r.course for r in statement.recommendations} <= set(names.courses)


# -- rebuild ---------------------------------------------------------------------------
def dump(pg: PostgresSettings) -> dict[str, list[dict[str, Any]]]:
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        return {
            table: [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY 1")]
            for table in ("rm_cycle", "rm_month_statement")
        }


def test_rebuild_reproduces_identical_rows(world: World) -> None:
    before = dump(world.pg)
    assert len(before["rm_cycle"]) == 10 and len(before["rm_month_statement"]) == 1
    board = world.services.cycle_queries.team_board(HR, "S001", WEEK)
    world.read_models.rebuild()
    world.caught_up()
    assert dump(world.pg) == before
    assert world.services.cycle_queries.team_board(HR, "S001", WEEK) == board
