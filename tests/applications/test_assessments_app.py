"""The Assessments application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). No Temporal and no read model: the employee directory
is an injected roster (here a dictionary), the metric ledger an injected function."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from aggregates.assessment_round import AssessmentRound, Ratee, round_uuid
from aggregates.assessment_rules import RoundRequest
from aggregates.base import DomainError
from aggregates.competency import RatingItem
from aggregates.documents import MetricCatalog, parse_document
from careerflow.applications.assessments import Assessments, Circle
from careerflow.apps import Policies
from careerflow.config import PostgresSettings
from careerflow.principal import AccessRole, Principal
from careerflow.store import application_env

HR = Principal(person_id="H1", role=AccessRole.hr)
ROUND = "R-APP-1"
WORKFLOW = f"assessment-{ROUND}"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=7)
# M1 manages the team; E1..E4 are its reps; E9 has left.
DIRECTORY: dict[str, dict[str, Any]] = {
    e: {"name": e, "team_id": "T1", "manager_id": m, "active": e != "E9"}
    for e, m in [("M1", None), *((rep, "M1") for rep in ("E1", "E2", "E3", "E4", "E9"))]
}


def person(person_id: str, role: AccessRole = AccessRole.employee) -> Principal:
    return Principal(person_id=person_id, role=role)


class DictRoster:
    """The directory's reads from a dictionary (the read model's in production)."""

    def employees(self, ids: list[str]) -> Mapping[str, Mapping[str, Any]]:
        return {e: DIRECTORY[e] for e in ids if e in DIRECTORY}

    def active_members(self, team_id: str) -> list[str]:
        return sorted(e for e, d in DIRECTORY.items() if d["team_id"] == team_id and d["active"])

    def circles(self, ratees: Sequence[Ratee]) -> list[Circle]:
        out = []
        for r in ratees:
            active = [e for e, d in sorted(DIRECTORY.items()) if d["active"]]
            reports = [e for e in active if DIRECTORY[e]["manager_id"] == r.employee_id]
            peers = [
                e
                for e in active
                if DIRECTORY[e]["team_id"] == r.team_id
                and e not in (r.employee_id, r.manager_id, *reports)
            ]
            manager_active = bool(r.manager_id) and r.manager_id in active
            out.append(Circle(manager_active=manager_active, reports=reports, peers=peers))
        return out


@dataclass
class World:
    assessments: Assessments
    recorded: list[tuple[bytes, str, str]] = field(default_factory=list)

    def events(self) -> list[Any]:
        return list(self.assessments.repository.event_store.get(round_uuid(ROUND)))

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events()]

    def round(self) -> AssessmentRound:
        return self.assessments.get(ROUND)

    def ratings(self, level: int = 4) -> dict[str, RatingItem]:
        model, _ = self.assessments.model()
        return {cid: RatingItem(level=level) for cid in model.ids()}


def build(env: dict[str, str]) -> Iterator[World]:
    policies_app = Policies(env=env)
    policies = policies_app
    policies.seed(HR)

    def catalog() -> MetricCatalog:
        doc = parse_document(policies.current("metric_catalog", "default").document)
        assert isinstance(doc, MetricCatalog)
        return doc

    recorded: list[tuple[bytes, str, str]] = []
    # The bankaccounts shape: collaborators are keyword arguments after env.
    assessments = Assessments(
        env=env,
        policies=policies,
        roster=DictRoster(),
        catalog=catalog,
        record_levels=lambda rows, source, batch: recorded.append((rows, source, batch)),
    )
    try:
        yield World(assessments, recorded)
    finally:
        for app in (assessments, policies_app):
            app.close()


class TestAssessments:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def world(self) -> Iterator[World]:
        yield from build({})

    # -- helpers -------------------------------------------------------------------------
    def opened(self, world: World) -> AssessmentRound:
        request = RoundRequest(round_id=ROUND, employee_ids=["E1"], deadline=DEADLINE)
        return world.assessments.open_round(request, HR, WORKFLOW, NOW)

    def rate_all(self, world: World, now: datetime = NOW) -> None:
        for rater in ("E1", "M1", "E2", "E3", "E4"):
            world.assessments.rate(ROUND, person(rater), "E1", world.ratings(), f"k-{rater}", now)

    # -- tests ---------------------------------------------------------------------------
    def test_runs_on_the_intended_persistence(self, world: World) -> None:
        assert type(world.assessments.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_open_derives_the_raters_and_is_idempotent_on_retry(self, world: World) -> None:
        rnd = self.opened(world)
        assert [(t.rater_id, t.group, t.anonymous) for t in rnd.tasks] == [
            ("E1", "self", False),
            ("M1", "manager", False),
            ("E2", "peers", True),
            ("E3", "peers", True),
            ("E4", "peers", True),
        ]
        assert rnd.reminders == [DEADLINE - timedelta(hours=72), DEADLINE - timedelta(hours=24)]
        assert world.events()[0].meta.command_id == f"{WORKFLOW}/open"
        again = self.opened(world)
        assert again.version == rnd.version
        assert len(world.events()) == 1

    def test_open_refuses_with_every_reason_and_records_nothing(self, world: World) -> None:
        bad = RoundRequest(round_id="no good!", deadline=NOW + timedelta(minutes=5))
        with pytest.raises(DomainError) as refused:
            world.assessments.open_round(bad, HR, WORKFLOW, NOW)
        said = str(refused.value)
        assert "use 1-64 letters" in said
        assert "name the people assessed" in said
        assert "must be at least 1 hour from now" in said
        gone = RoundRequest(round_id=ROUND, employee_ids=["E9", "X1"], deadline=DEADLINE)
        with pytest.raises(DomainError, match="unknown employee 'X1'") as refused:
            world.assessments.open_round(gone, HR, WORKFLOW, NOW)
        assert "E9 has left" in str(refused.value)
        assert world.assessments.find_round(ROUND) is None

    def test_a_rating_is_taken_once_and_a_retry_records_nothing(self, world: World) -> None:
        self.opened(world)
        rated = world.assessments.rate(ROUND, person("E2"), "E1", world.ratings(), "k1", NOW)
        assert (rated.task.group, rated.task.anonymous, rated.late, rated.remaining) == (
            "peers",
            True,
            False,
            0,
        )
        recorded = len(world.events())
        again = world.assessments.rate(ROUND, person("E2"), "E1", world.ratings(), "k1", NOW)
        assert again.task == rated.task
        assert len(world.events()) == recorded
        with pytest.raises(DomainError, match="ratings are final"):
            world.assessments.rate(ROUND, person("E2"), "E1", world.ratings(), "k2", NOW)
        assert world.events()[-1].meta.command_id == f"{WORKFLOW}/rate/k1"

    def test_ratings_are_refused_with_the_rules_words(self, world: World) -> None:
        self.opened(world)
        with pytest.raises(DomainError, match="raters rate for themselves"):
            world.assessments.rate(ROUND, HR, "E1", world.ratings(), "k1", NOW)
        with pytest.raises(DomainError, match="E1 has no rating task for E2"):
            world.assessments.rate(ROUND, person("E1"), "E2", world.ratings(), "k1", NOW)
        with pytest.raises(DomainError, match="the rating was not taken"):
            world.assessments.rate(ROUND, person("E1"), "E1", {}, "k1", NOW)
        with pytest.raises(DomainError, match="late ratings are not accepted"):
            world.assessments.rate(ROUND, person("E1"), "E1", world.ratings(), "k1", DEADLINE)
        assert len(world.events()) == 1
        with pytest.raises(DomainError, match="late ratings are not accepted"):
            world.assessments.explain_closed(ROUND, person("E1"), "E1")

    def test_reminders_and_the_deadline_are_recorded_once(self, world: World) -> None:
        self.opened(world)
        world.assessments.rate(ROUND, person("E1"), "E1", world.ratings(), "k1", NOW)
        rnd, pending = world.assessments.remind(ROUND, 0)
        assert pending == {"E2": ["E1"], "E3": ["E1"], "E4": ["E1"], "M1": ["E1"]}
        recorded = len(world.events())
        world.assessments.remind(ROUND, 0)
        assert len(world.events()) == recorded
        raters, after, label = world.assessments.raters(ROUND, "", 2, None)
        assert (list(raters), after) == (["E1", "E2"], "E2")
        assert label.endswith(f"({rnd.time_zone})")
        world.assessments.pass_deadline(ROUND)
        world.assessments.pass_deadline(ROUND)
        assert len(world.events()) == recorded + 1

    def test_the_close_seals_publishes_and_records_the_levels_once(self, world: World) -> None:
        self.opened(world)
        self.rate_all(world)
        sealed = {("E1", "peers"): [world.ratings(3), world.ratings(4), world.ratings(5)]}
        rnd, model, gaps = world.assessments.close_round(ROUND, sealed, DEADLINE)
        assert rnd.closed and "E1" in rnd.profiles
        assert gaps == world.events()[-1].gap_summary
        assert world.recorded and world.recorded[0][1:] == (
            f"round {ROUND}",
            f"assessment:{ROUND}",
        )
        recorded = len(world.events())
        world.assessments.close_round(ROUND, sealed, DEADLINE)
        assert len(world.events()) == recorded
        notes = world.assessments.all_notes(rnd, model)
        assert [n.employee_id for n in notes] == ["E1"]
        # The round's title, typed by HR, stays apart from the sentence around it.
        assert notes[0].title["params"]["title"] == {"$quote": rnd.title}
        assert set(notes[0].body) == {"en", "zh"}
        with pytest.raises(DomainError, match=r"has passed|closed at"):
            world.assessments.rate(ROUND, person("E1"), "E1", world.ratings(), "late", DEADLINE)

    def test_the_paged_close_seals_then_finishes(self, world: World) -> None:
        self.opened(world)
        self.rate_all(world)
        with pytest.raises(DomainError, match="1 people are not sealed yet"):
            world.assessments.finish(ROUND, DEADLINE)
        assert world.assessments.seal(ROUND, {}, None) == (1, 1)
        recorded = len(world.events())
        assert world.assessments.seal(ROUND, {}, None) == (1, 1)
        assert len(world.events()) == recorded
        rnd, _, _ = world.assessments.finish(ROUND, DEADLINE)
        assert rnd.closed
        world.assessments.finish(ROUND, DEADLINE)
        assert len(world.events()) == recorded + 1
        notes, after = world.assessments.notes(ROUND, "", 10)
        assert ([n.employee_id for n in notes], after) == (["E1"], None)


class TestAssessmentsOnPostgres(TestAssessments):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def world(self, pg: PostgresSettings) -> Iterator[World]:
        yield from build(application_env(pg))
