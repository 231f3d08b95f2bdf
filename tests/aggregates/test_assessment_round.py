"""Unit tests of 360° assessments (seed 004): the competency model document, profiles
with small anonymous groups hidden, gaps and courses, the competency criterion in
promotion criteria, and the AssessmentRound aggregate (what its events hold, and what
they never hold, about anonymous raters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from aggregates.assessment_round import AssessmentRound, Ratee, RaterTask, round_uuid
from aggregates.base import DomainError
from aggregates.competency import (
    CompetencyModel,
    GroupRatings,
    RatingItem,
    build_profile,
    canonical,
    competency_metric,
    competency_model_problems,
    gap_summary,
    rating_problems,
)
from aggregates.criteria_evaluation import evaluate_criteria
from aggregates.documents import (
    CompetencyLevel,
    Measurement,
    PromotionCriteria,
    consistency_problems,
    parse_document,
)
from aggregates.ladder import Role
from aggregates.seed_policies import competency_model_v1, metric_catalog_v1
from words.catalogue import in_every_language
from words.messages import Message

MODEL = competency_model_v1()
CATALOG = metric_catalog_v1()
IDS = ("customer_insight", "relationship_maintenance", "resource_coordination")


def english(problems: list[Message]) -> list[str]:
    """The problems as their English text (they are Messages, said in any language)."""
    return [str(problem) for problem in problems]


def rating(ci: int, rm: int, rc: int, comment: str | None = None) -> dict[str, RatingItem]:
    return {
        "customer_insight": RatingItem(level=ci),
        "relationship_maintenance": RatingItem(level=rm),
        "resource_coordination": RatingItem(level=rc, comment=comment),
    }


# -- the document --------------------------------------------------------------------------
def test_the_seed_model_is_seed_004s_big_client_model() -> None:
    assert MODEL.ids() == list(IDS)
    assert [c.label["zh"] for c in MODEL.competencies] == ["客户洞察", "关系维护", "资源协调"]
    assert MODEL.top == 5 and MODEL.min_group_size == 3
    assert MODEL.competency("resource_coordination").courses == [
        "Cross-Department Communication Skills",
        "Big-Client Resource Coordination",
    ]
    assert CATALOG.courses["Cross-Department Communication Skills"]["zh"] == "跨部门沟通技巧"
    assert CATALOG.courses["Big-Client Resource Coordination"]["zh"] == "大客户资源协调"
    # Publishable beside the seed catalog: every course titled, every ledger metric there.
    assert english(competency_model_problems(MODEL, CATALOG)) == []
    for cid in IDS:
        definition = CATALOG.metric(competency_metric(cid))
        assert (definition.unit, definition.window) == ("score5", "items")
    data = MODEL.model_dump(mode="json")
    assert data["kind"] == "competency_model"
    assert CompetencyModel.model_validate(data) == MODEL


def test_a_broken_model_is_refused_with_the_reason() -> None:
    data = MODEL.model_dump(mode="json")
    with pytest.raises(ValidationError, match=r"target_level 6 is off the scale 1\.\.5"):
        CompetencyModel.model_validate(
            {**data, "competencies": [{**data["competencies"][0], "target_level": 6}]}
        )
    with pytest.raises(ValidationError, match=r"unique, repeated: \['customer_insight'\]"):
        CompetencyModel.model_validate(
            {**data, "competencies": [data["competencies"][0], data["competencies"][0]]}
        )
    with pytest.raises(ValidationError, match="scale levels must run 1, 2"):
        CompetencyModel.model_validate({**data, "scale": data["scale"][1:]})
    with pytest.raises(ValidationError, match="label needs non-empty zh"):
        CompetencyModel.model_validate({**data, "label": {"en": "x"}})
    orphan = CompetencyModel.model_validate(
        {
            **data,
            "competencies": [
                {**data["competencies"][0], "id": "negotiation", "courses": ["Haggling 101"]}
            ],
        }
    )
    assert english(competency_model_problems(orphan, CATALOG)) == [
        "competency 'negotiation': metric 'competency_negotiation' is not in the metric "
        "catalog (profiles are recorded in the metric ledger under it)",
        "competency 'negotiation': course 'Haggling 101' has no bilingual title in the catalog",
    ]


def test_a_rating_covers_every_competency_on_the_scale() -> None:
    assert english(rating_problems(MODEL, rating(3, 4, 5))) == []
    assert english(
        rating_problems(MODEL, {"customer_insight": RatingItem(level=0), "x": RatingItem(level=3)})
    ) == [
        "rate every competency; missing: relationship_maintenance, resource_coordination",
        "unknown competency: x (the model has customer_insight, relationship_maintenance, "
        "resource_coordination)",
        "customer_insight: level 0 is off the scale 1..5",
    ]
    assert english(rating_problems(MODEL, rating(3, 3, 3, "x" * 1001))) == [
        "resource_coordination: the comment is longer than 1000 characters"
    ]


# -- profiles --------------------------------------------------------------------------------
def groups(**given: Any) -> list[GroupRatings]:
    return [
        GroupRatings(group=name, anonymous=name in ("peers", "reports"), asked=asked, ratings=r)
        for name, (asked, r) in given.items()
    ]


def test_a_profile_hides_small_anonymous_groups_and_builds_the_overall_from_the_rest() -> None:
    profile = build_profile(
        MODEL,
        1,
        "r1",
        "S001",
        groups(
            self=(1, [rating(5, 5, 5, "I coordinate well")]),
            manager=(1, [rating(4, 3, 2, "push product for the client")]),
            peers=(3, [rating(4, 4, 3, "b"), rating(3, 4, 2, "a"), rating(4, 5, 3)]),
            reports=(2, [rating(1, 1, 1, "reveals me"), rating(2, 2, 2)]),
        ),
        labels=in_every_language,
    )
    rc = profile.score("resource_coordination")
    by_group = {g.group: g for g in rc.groups}
    assert by_group["self"].average == 5.0 and by_group["manager"].average == 2.0
    assert (by_group["peers"].average, by_group["peers"].raters) == (2.67, 3)
    reports = by_group["reports"]
    # Two reports: no average, no count, and the reason shown instead.
    assert (reports.average, reports.raters, reports.hidden) == (None, None, True)
    assert reports.note == {"en": "hidden: fewer than 3 raters", "zh": "已隐藏：评价人少于3人"}
    # Overall: manager and peers only (self beside it, the hidden reports nowhere).
    assert rc.overall == 2.33  # (2 + 8/3) / 2, from the exact means
    assert (rc.below_target, rc.shortfall) == (True, round(3.5 - rc.overall, 2))
    assert rc.courses == [
        "Cross-Department Communication Skills",
        "Big-Client Resource Coordination",
    ]
    # Comments: published groups only, sorted by text (never in arrival order).
    assert [(c.group, c.text) for c in rc.comments] == [
        ("self", "I coordinate well"),
        ("manager", "push product for the client"),
        ("peers", "a"),
        ("peers", "b"),
    ]
    assert all("reveals me" not in c.text for s in profile.competencies for c in s.comments)
    ci = profile.score("customer_insight")
    assert (ci.overall, ci.below_target, ci.courses) == (3.83, False, [])
    assert profile.gaps == ["resource_coordination"]
    assert profile.courses == rc.courses
    # Only published figures go to the ledger.
    assert ("resource_coordination", "reports", 1.5) not in profile.values()
    assert {s for c, s, _ in profile.values() if c == "resource_coordination"} == {
        "overall",
        "self",
        "manager",
        "peers",
    }


def test_groups_without_ratings_and_rounds_without_an_overall() -> None:
    profile = build_profile(
        MODEL,
        1,
        "r1",
        "E1",
        groups(self=(1, [rating(3, 3, 3)]), manager=(1, []), peers=(2, [])),
        labels=in_every_language,
    )
    score = profile.score("customer_insight")
    by_group = {g.group: g for g in score.groups}
    assert (by_group["manager"].average, by_group["manager"].raters) == (None, 0)
    assert by_group["manager"].note == {"en": "no ratings", "zh": "无评价"}
    assert by_group["peers"].hidden is False  # none is not "too few": nothing to hide
    assert (score.overall, score.below_target, score.courses) == (None, None, [])
    assert profile.gaps == []


def test_anonymous_ratings_are_kept_in_content_order() -> None:
    arrived = [rating(4, 4, 4, "z"), rating(2, 5, 1), rating(4, 4, 4, "a"), rating(2, 1, 5)]
    assert canonical(arrived) == [arrived[3], arrived[1], arrived[2], arrived[0]]
    assert canonical(list(reversed(arrived))) == canonical(arrived)


def test_the_gap_summary_says_who_has_a_gap() -> None:
    def person(employee: str, rc: int) -> Any:
        return build_profile(
            MODEL,
            1,
            "r1",
            employee,
            groups(manager=(1, [rating(4, 4, rc)])),
            labels=in_every_language,
        )

    # Seed 004: 65 of 100 below target in resource coordination.
    profiles = [person(f"E{i}", 2 if i < 65 else 4) for i in range(100)]
    summary = {g.competency: g for g in gap_summary(MODEL, profiles, labels=in_every_language)}
    rc = summary["resource_coordination"]
    assert (rc.assessed, rc.below_target, rc.share) == (100, 65, 0.65)
    assert rc.text["en"] == "65% (65 of 100) have a resource coordination gap"
    assert rc.text["zh"] == "65%（100人中65人）在资源协调方面存在差距"
    assert summary["customer_insight"].share == 0.0


# -- the competency criterion ------------------------------------------------------------
def criteria(**kwargs: Any) -> PromotionCriteria:
    return PromotionCriteria(
        target_role=Role.sales_supervisor,
        criteria=[
            CompetencyLevel(
                id="coordination",
                label={"en": "resource coordination", "zh": "资源协调"},
                competency="resource_coordination",
                suggestion={"en": "course *Big-Client Resource Coordination*", "zh": "参加课程"},
                **kwargs,
            )
        ],
    )


def level(period: str, value: float, item: str = "overall") -> Measurement:
    return Measurement(
        employee_id="E1",
        period=period,
        metric="competency_resource_coordination",
        item=item,
        value=value,
        source="assessment:r1",
    )


def test_a_criterion_can_require_a_competency_level() -> None:
    doc = criteria(min_level=3.5)
    assert parse_document(doc.model_dump(mode="json")) == doc
    # The latest assessment in the window counts, even from a day after the as-of month.
    rows = [level("2026-03-10", 3.8), level("2026-11-30", 3.0), level("2026-12-05", 3.6)]
    result = evaluate_criteria(doc, rows, CATALOG, "2026-11", labels=in_every_language).results[0]
    assert (result.value, result.met, result.display_value, result.threshold) == (
        3.6,
        True,
        "3.6",
        "≥ 3.5",
    )
    assert result.detail == {
        "en": "overall 360° level of 2026-12-05",
        "zh": "2026-12-05 360°评估（综合）",
    }
    unmet = evaluate_criteria(doc, rows[:2], CATALOG, "2026-11", labels=in_every_language).results[
        0
    ]
    assert (unmet.value, unmet.met) == (3.0, False)
    assert unmet.suggestion == {"en": "course *Big-Client Resource Coordination*", "zh": "参加课程"}
    assert str(unmet.message()) == "resource coordination 3 ✗"
    # Another figure (the manager's), and a window that leaves old rounds out.
    by_manager = criteria(min_level=3, source="manager", within_months=6)
    rows_m = [level("2026-03-10", 4.0, "manager"), level("2026-10-01", 2.0, "overall")]
    none = evaluate_criteria(
        by_manager, rows_m, CATALOG, "2026-11", labels=in_every_language
    ).results[0]
    assert (none.value, none.met, none.display_value) == (None, False, "")


def test_competency_criteria_are_checked_against_the_model_and_catalog() -> None:
    scales = {cid: 5 for cid in IDS}
    assert (
        english(
            consistency_problems(CATALOG, criteria=criteria(min_level=3.5), competencies=scales)
        )
        == []
    )
    unknown = PromotionCriteria(
        target_role=Role.sales_supervisor,
        criteria=[
            CompetencyLevel(
                id="negotiation",
                label={"en": "negotiation", "zh": "谈判"},
                competency="negotiation",
                min_level=6,
                suggestion={"en": "x", "zh": "x"},
            )
        ],
    )
    assert english(consistency_problems(CATALOG, criteria=unknown, competencies=scales)) == [
        "criterion 'negotiation': metric 'competency_negotiation' is not in the catalog",
        "criterion 'negotiation': competency 'negotiation' is not in the competency model in force",
    ]
    assert english(
        consistency_problems(CATALOG, criteria=criteria(min_level=6), competencies=scales)
    ) == ["criterion 'coordination': min_level 6 is above the scale's top level 5"]


# -- the aggregate ---------------------------------------------------------------------------
DEADLINE = datetime(2026, 12, 15, 10, 0, tzinfo=UTC)


def opened() -> AssessmentRound:
    tasks = [
        RaterTask(rater_id="E1", ratee_id="E1", group="self", anonymous=False),
        RaterTask(rater_id="S001", ratee_id="E1", group="manager", anonymous=False),
        RaterTask(rater_id="E2", ratee_id="E1", group="peers", anonymous=True),
        RaterTask(rater_id="E3", ratee_id="E1", group="peers", anonymous=True),
    ]
    return AssessmentRound(
        round_id="2026-q4",
        title="Q4",
        model_key="default",
        model_version=1,
        competencies=list(IDS),
        scale_top=5,
        min_group_size=3,
        anonymous_groups=["peers", "reports"],
        ratees=[Ratee(employee_id="E1", name="达标者", manager_id="S001", team_id="T001")],
        tasks=tasks,
        deadline=DEADLINE,
        close_at=DEADLINE,
        reminders=[DEADLINE - timedelta(hours=72), DEADLINE - timedelta(hours=24)],
        time_zone="Asia/Shanghai",
        workflow_id="assessment-2026-q4",
        started_by="H001",
    )


def test_named_ratings_are_recorded_anonymous_ones_only_as_done() -> None:
    rnd = opened()
    assert rnd.id == round_uuid("2026-q4")
    manager = rnd.task("S001", "E1")
    peer = rnd.task("E2", "E1")
    assert manager is not None and peer is not None and rnd.task("E9", "E1") is None
    assert rnd.complete("k1", manager, rating(4, 3, 2), late=False)
    assert rnd.complete("k2", peer, rating(1, 1, 1, "secret"), late=True)
    assert not rnd.complete("k2", peer, rating(1, 1, 1), late=True)  # a retried command
    with pytest.raises(
        DomainError, match="E2 already rated E1 in round 2026-q4; ratings are final"
    ):
        rnd.complete("k3", peer, rating(2, 2, 2), late=False)
    assert rnd.named == {"E1/S001": rating(4, 3, 2)}
    assert rnd.completed == ["E1/S001", "E1/E2"]
    assert rnd.late == 1
    assert [t.key for t in rnd.pending()] == ["E1/E1", "E1/E3"]
    events = rnd.collect_events()
    names = [type(e).__qualname__.split(".")[-1] for e in events]
    assert names == ["Started", "RatingRecorded", "AnonymousTaskCompleted"]
    completed = events[-1].model_dump(mode="json")
    # Who completed the task, never what they gave.
    assert "items" not in completed and "secret" not in str(completed)
    assert completed["task"] == {
        "rater_id": "E2",
        "ratee_id": "E1",
        "group": "peers",
        "anonymous": True,
    }


def test_sealed_groups_carry_no_rater_and_hidden_groups_no_ratings() -> None:
    rnd = opened()
    rnd.seal_group(ratee_id="E1", group="peers", raters=2, published=False, ratings=[])
    rnd.close(
        rated=2,
        asked=4,
        late=0,
        gap_summary=[],
        ledger_batch="assessment:2026-q4",
        ledger_metrics=[],
    )
    sealed = rnd.collect_events()[1].model_dump(mode="json")
    assert sealed["ratings"] == [] and sealed["raters"] == 2 and sealed["published"] is False
    assert not {"rater_id", "task", "command"} & set(sealed)
    peer = rnd.task("E3", "E1")
    assert peer is not None
    with pytest.raises(DomainError, match="round 2026-q4 is closed"):
        rnd.complete("k9", peer, rating(3, 3, 3), late=True)
    assert not rnd.remind(0, ["E3"], 1)
