"""Unit tests of development-plan templates and live plan progress (pure domain layer).

The seed plan runs from 2026-11-01: plan months 1-3 are 2026-11..2027-01 (due 2027-01-31),
4-6 are 2027-02..2027-04 (due 2027-04-30), 7 is 2027-05 and 12 is 2027-10.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from aggregates.documents import Measurement
from aggregates.ladder import Role
from aggregates.plan_progress import (
    MilestoneProgress,
    PlanProgress,
    due_for_reminder,
    evaluate_plan,
)
from aggregates.plan_template import (
    CountMeasure,
    Measure,
    MetricMeasure,
    Milestone,
    MonthlyMeasure,
    PlanTemplate,
    add_months,
    due_date,
    month_keys,
    plan_month_at,
    plan_month_bounds,
    plan_template_problems,
)
from aggregates.seed_policies import metric_catalog_v1, sales_supervisor_plan_v1, seed_documents
from words.catalogue import in_every_language
from words.messages import Message

CATALOG = metric_catalog_v1()
PLAN = sales_supervisor_plan_v1()
START = date(2026, 11, 1)
STM, GD = "Sales Team Management", "Goal Decomposition"


def english(problems: list[Message]) -> list[str]:
    """The problems as their English text (they are Messages, said in any language)."""
    return [str(problem) for problem in problems]


def m(period: str, metric: str, value: float, item: str | None = None) -> Measurement:
    return Measurement(
        employee_id="E00042", period=period, metric=metric, value=value, item=item, source="crm"
    )


def evaluate(
    rows: list[Measurement], today: date, confirmed: dict[str, str] | None = None
) -> PlanProgress:

    return evaluate_plan(
        PLAN.milestones,
        rows,
        START,
        today,
        confirmed or {},
        catalog=CATALOG,
        labels=in_every_language,
    )


def status(progress: PlanProgress) -> dict[str, str]:
    return {p.id: p.status for p in progress.milestones}


def all_done_record() -> list[Measurement]:
    return [
        m("2026-11-20", "course_completed", 9.5, STM),
        m("2027-W02", "course_completed", 88, GD),  # a week period, rolled up to its month
        m("2027-02", "new_hires_mentored", 1),
        m("2027-03", "new_hires_mentored", 2),
        m("2027-02", "new_customers", 6),
        m("2027-03", "new_customers", 5),
        m("2027-04", "new_customers", 5),
        m("2027-05", "team_sales_growth", 8),
        m("2027-10", "team_sales_growth", 16.5),
    ]


# --------------------------------------------------------------------------- template


def test_seed_plan_template() -> None:
    assert PLAN.kind == "plan_template"
    assert PLAN.role == Role.sales_supervisor
    assert PLAN.months == 12
    spans = {x.id: (x.start_month, x.due_month, x.kind) for x in PLAN.milestones}
    assert spans == {
        "courses": (1, 3, "measured"),
        "team_meetings": (1, 3, "confirmed"),
        "mentoring": (4, 6, "measured"),
        "new_customers": (4, 6, "measured"),
        "team_goal": (7, 7, "confirmed"),
        "team_sales": (7, 12, "measured"),
    }
    assert PLAN.milestone("mentoring").reminder == {
        "en": "mentor one more new hire by the end of the month",
        "zh": "月底前再带教一名新人",
    }
    assert english(plan_template_problems(PLAN, CATALOG)) == []
    growth = CATALOG.metric("team_sales_growth")
    assert (growth.unit, growth.window, growth.direction) == ("percent", "last", "higher")
    assert growth.label == {"en": "team sales growth", "zh": "团队销售额增长率"}
    assert growth.improve_course == GD
    # a stored document parses back to the same template
    data = PLAN.model_dump(mode="json")
    assert PlanTemplate.model_validate(data) == PLAN
    assert PlanTemplate.model_validate_json(PLAN.model_dump_json()) == PLAN


def test_seed_documents_include_the_plan() -> None:
    templates = [(k, key, doc) for k, key, doc in seed_documents() if k == "plan_template"]
    assert templates == [("plan_template", "sales_supervisor", PLAN)]


def test_plan_template_problems() -> None:
    mentoring = PLAN.milestone("mentoring")
    broken = PLAN.model_copy(
        update={
            "milestones": [
                mentoring.model_copy(
                    update={
                        "measure": CountMeasure(
                            metric="live_stream_conversion", target=2, label=_l("live", "直播")
                        )
                    }
                ),
                PLAN.milestone("courses").model_copy(
                    update={
                        "measure": TypeAdapter(Measure).validate_python(
                            {"type": "courses", "courses": ["Live-Stream Sales Skills"]}
                        )
                    }
                ),
            ]
        }
    )
    assert english(plan_template_problems(broken, CATALOG)) == [
        "milestone 'mentoring': metric 'live_stream_conversion' is not in the catalog",
        "milestone 'courses': course 'Live-Stream Sales Skills' has no bilingual title "
        "in the catalog",
    ]


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _milestone(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "x",
        "label": _l("x", "某项"),
        "start_month": 1,
        "due_month": 2,
        "kind": "confirmed",
        "reminder": _l("do x", "完成某项"),
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("milestone", "message"),
    [
        (_milestone(kind="measured"), "is measured, so it needs a measure"),
        (
            _milestone(
                measure={"type": "count", "metric": "a", "target": 1, "label": _l("a", "甲")}
            ),
            "takes no measure",
        ),
        (_milestone(start_month=3, due_month=2), "before start_month"),
        (_milestone(start_month=0), "greater than or equal to 1"),
        (_milestone(label={"en": "x"}), "non-empty zh"),
        (_milestone(reminder={"en": "do x", "zh": " "}), "non-empty zh"),
        (
            _milestone(
                kind="measured", measure={"type": "count", "metric": "a", "target": 1, "label": {}}
            ),
            "non-empty en and zh",
        ),
        (
            _milestone(kind="measured", measure={"type": "nope", "metric": "a"}),
            "does not match any of the expected tags",
        ),
        (
            _milestone(kind="measured", measure={"type": "courses", "courses": [STM, STM]}),
            "courses must be unique",
        ),
        (_milestone(remind_days_before=-1), "greater than or equal to 0"),
    ],
)
def test_milestone_validation(milestone: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Milestone.model_validate(milestone)


def test_plan_template_validation() -> None:
    data = PLAN.model_dump(mode="json")
    with pytest.raises(ValidationError, match=r"unique, repeated: \['courses'\]"):
        PlanTemplate.model_validate(
            {**data, "milestones": [*data["milestones"], data["milestones"][0]]}
        )
    with pytest.raises(
        ValidationError, match=r"due after the plan's 6 months: \['team_goal', 'team_sales'\]"
    ):
        PlanTemplate.model_validate({**data, "months": 6})
    with pytest.raises(ValidationError, match="entry rung"):
        PlanTemplate.model_validate({**data, "role": "sales_rep"})
    with pytest.raises(ValidationError):
        PlanTemplate.model_validate({**data, "milestones": []})
    with pytest.raises(ValidationError):
        PlanTemplate.model_validate({**data, "surprise": 1})
    with pytest.raises(ValidationError):
        PlanTemplate.model_validate({**data, "kind": "promotion_criteria"})


# --------------------------------------------------------------------------- plan calendar


def test_plan_calendar() -> None:
    assert plan_month_bounds(START, 1) == (date(2026, 11, 1), date(2026, 11, 30))
    assert plan_month_bounds(START, 3) == (date(2027, 1, 1), date(2027, 1, 31))
    assert plan_month_bounds(START, 12) == (date(2027, 10, 1), date(2027, 10, 31))
    assert due_date(START, PLAN.milestone("mentoring")) == date(2027, 4, 30)
    assert month_keys(START, 1, 3) == ["2026-11", "2026-12", "2027-01"]
    assert month_keys(START, 7, 7) == ["2027-05"]
    assert [plan_month_at(START, d) for d in (date(2026, 10, 31), START, date(2027, 4, 30))] == [
        0,
        1,
        6,
    ]
    assert plan_month_at(START, date(2028, 1, 5)) == 15  # open-ended after the plan
    with pytest.raises(ValueError, match="start at 1"):
        plan_month_bounds(START, 0)
    with pytest.raises(ValueError, match="start_month <= due_month"):
        month_keys(START, 3, 2)


def test_plan_calendar_any_start_day() -> None:
    # Not used by the promotion process (always the 1st) but must not drift or overlap.
    jan31 = date(2027, 1, 31)
    assert add_months(jan31, 1) == date(2027, 2, 28)
    assert plan_month_bounds(jan31, 1) == (jan31, date(2027, 2, 27))
    assert plan_month_bounds(jan31, 2) == (date(2027, 2, 28), date(2027, 3, 30))
    assert plan_month_bounds(jan31, 3) == (date(2027, 3, 31), date(2027, 4, 29))
    assert plan_month_bounds(jan31, 12)[1] == date(2028, 1, 30)
    for n in range(1, 24):
        assert plan_month_bounds(jan31, n + 1)[0] == plan_month_bounds(jan31, n)[1] + timedelta(1)
        first, last = plan_month_bounds(jan31, n)
        assert plan_month_at(jan31, first) == plan_month_at(jan31, last) == n
    mid = date(2026, 3, 15)
    assert plan_month_bounds(mid, 1) == (mid, date(2026, 4, 14))
    assert plan_month_at(mid, date(2026, 4, 14)) == 1
    assert plan_month_at(mid, date(2026, 4, 15)) == 2
    assert month_keys(mid, 1, 2) == ["2026-03", "2026-04"]


# --------------------------------------------------------------------------- progress


def test_month_two_courses_behind_or_on_track() -> None:
    today = date(2026, 12, 10)  # plan month 2: month 1 is over, so 1 of 2 courses is due
    behind = evaluate([], today)
    courses = behind.milestone("courses")
    assert courses.status == "behind"
    assert (courses.value, courses.target) == (0, 2)
    assert courses.suggestion == PLAN.milestone("courses").suggestion
    assert behind.overall == "at_risk"
    assert status(behind) == {
        "courses": "behind",
        "team_meetings": "awaiting_confirmation",
        "mentoring": "not_started",
        "new_customers": "not_started",
        "team_goal": "not_started",
        "team_sales": "not_started",
    }

    on_track = evaluate([m("2026-11-20", "course_completed", 9.5, STM)], today)
    courses = on_track.milestone("courses")
    assert courses.status == "on_track"
    assert courses.suggestion is None
    assert courses.text == {
        "en": "course Sales Team Management done, score 9.5; "
        "course Goal Decomposition not done yet",
        "zh": "课程《销售团队管理》已完成，成绩 9.5；课程《目标拆解技巧》未完成",
    }
    assert courses.details[0] == {
        "en": "course Sales Team Management done, score 9.5",
        "zh": "课程《销售团队管理》已完成，成绩 9.5",
    }
    assert on_track.overall == "on_track"
    assert on_track.done == 0 and on_track.total == 6

    # in plan month 1 nothing is due yet
    assert evaluate([], date(2026, 11, 15)).milestone("courses").status == "on_track"


def test_courses_scores_as_given_and_only_since_the_plan_start() -> None:
    rows = [
        m("2026-10-28", "course_completed", 90, GD),  # before the promotion: does not count
        m("2026-12", "course_completed", 95, STM),  # a 0-100 exam score, shown as given
    ]
    courses = evaluate(rows, date(2026, 12, 20)).milestone("courses")
    assert courses.value == 1
    assert courses.details == [
        {
            "en": "course Sales Team Management done, score 95",
            "zh": "课程《销售团队管理》已完成，成绩 95",
        },
        {"en": "course Goal Decomposition not done yet", "zh": "课程《目标拆解技巧》未完成"},
    ]
    # without a catalog the course names are shown as they are
    bare = evaluate_plan(
        PLAN.milestones, rows, START, date(2026, 12, 20), {}, labels=in_every_language
    )
    assert (
        bare.milestone("courses").details[0]["zh"] == "课程《Sales Team Management》已完成，成绩 95"
    )


def test_month_five_live_progress() -> None:
    rows = [
        m("2026-11-20", "course_completed", 9.5, STM),
        m("2027-01-15", "course_completed", 9.0, GD),
        m("2027-02", "new_hires_mentored", 1),
        m("2027-03", "new_hires_mentored", 1),
        m("2027-02", "new_customers", 6),
        m("2027-03", "new_customers", 3),
        m("2027-03", "new_customers", 4),  # a later figure for the month supersedes
    ]
    progress = evaluate(rows, date(2027, 3, 15), {"team_meetings": "M007"})
    mentoring = progress.milestone("mentoring")
    assert mentoring.status == "on_track"  # 1 expected after February, 2 done
    assert (mentoring.value, mentoring.target) == (2, 3)
    assert mentoring.text == {"en": "mentored 2 of 3", "zh": "带教新人 2/3"}
    assert mentoring.details == [_l("2027-02: 1", "2027-02：1"), _l("2027-03: 1", "2027-03：1")]

    customers = progress.milestone("new_customers")
    assert customers.status == "on_track"  # February met; March is judged when it ends
    assert (customers.value, customers.target) == (4, 5)
    assert customers.text == {"en": "new customers 4 of 5", "zh": "新客户 4/5"}
    assert customers.details == [
        _l("2027-02: 6 of 5 ✓", "2027-02：6/5 ✓"),
        _l("2027-03: 4 of 5 (so far)", "2027-03：4/5（截至目前）"),
    ]
    assert progress.milestone("courses").status == "done"
    assert progress.milestone("team_meetings").status == "confirmed"
    assert progress.milestone("team_meetings").details == [_l("confirmed by M007", "确认人：M007")]
    assert progress.overall == "on_track"
    assert (progress.done, progress.total) == (2, 6)
    assert progress.summary() == (
        "course Sales Team Management done, score 9.5; course Goal Decomposition done, "
        "score 9; join team meetings with the sales manager: confirmed; mentored 2 of 3; "
        "new customers 4 of 5"
    )
    assert progress.summary("zh").endswith("；带教新人 2/3；新客户 4/5")
    assert progress.counts() == {"done": 1, "confirmed": 1, "on_track": 2, "not_started": 2}


def test_off_pace_mid_window() -> None:
    rows = [m("2027-02", "new_customers", 3)]  # February below target, no mentoring yet
    progress = evaluate(rows, date(2027, 3, 10))
    assert progress.milestone("mentoring").status == "behind"
    customers = progress.milestone("new_customers")
    assert customers.status == "behind"
    assert customers.text == _l("new customers 0 of 5", "新客户 0/5")  # nothing yet in March
    assert customers.details[0] == _l("2027-02: 3 of 5 ✗", "2027-02：3/5 ✗")
    assert customers.suggestion == PLAN.milestone("new_customers").suggestion


def test_overdue_after_the_due_date() -> None:
    rows = [
        m("2027-02", "new_hires_mentored", 1),
        m("2027-04", "new_hires_mentored", 1),
        *(m(month, "new_customers", 5) for month in ("2027-02", "2027-03", "2027-04")),
    ]
    on_due_day = evaluate(rows, date(2027, 4, 30)).milestone("mentoring")
    assert on_due_day.status == "behind"
    progress = evaluate(rows, date(2027, 5, 1))
    mentoring = progress.milestone("mentoring")
    assert mentoring.status == "overdue"
    assert mentoring.text == _l("mentored 2 of 3", "带教新人 2/3")
    assert mentoring.suggestion == PLAN.milestone("mentoring").suggestion
    assert progress.milestone("new_customers").status == "done"
    assert progress.overall == "overdue"
    # mentoring after the window does not count towards it
    late = evaluate([*rows, m("2027-05", "new_hires_mentored", 1)], date(2027, 5, 20))
    assert late.milestone("mentoring").status == "overdue"


def test_all_done_is_completed() -> None:
    confirmed = {"team_meetings": "M007", "team_goal": "M007"}
    progress = evaluate(all_done_record(), date(2027, 10, 31), confirmed)
    assert set(status(progress).values()) == {"done", "confirmed"}
    assert progress.overall == "completed"
    assert (progress.done, progress.total) == (6, 6)
    team_sales = progress.milestone("team_sales")
    assert team_sales.text == _l("team sales +16.5% of +15%", "团队销售额 +16.5%/+15%")
    assert team_sales.details == [_l("as of 2027-10", "截至 2027-10")]
    assert progress.milestone("mentoring").text["en"] == "mentored 3 of 3"
    assert due_for_reminder(progress, PLAN.milestones, date(2027, 10, 31)) == []


def test_team_sales_is_judged_on_the_due_month() -> None:
    confirmed = {"team_meetings": "M007", "team_goal": "M007"}
    base = [r for r in all_done_record() if r.metric != "team_sales_growth"]
    growing = evaluate([*base, m("2027-08", "team_sales_growth", 12)], date(2027, 8, 20), confirmed)
    team_sales = growing.milestone("team_sales")
    assert team_sales.status == "behind"
    assert team_sales.text == _l("team sales +12% of +15%", "团队销售额 +12%/+15%")
    assert (team_sales.value, team_sales.target) == (12, 15)
    assert growing.overall == "at_risk"

    ahead = evaluate([*base, m("2027-08", "team_sales_growth", 17)], date(2027, 8, 20), confirmed)
    assert ahead.milestone("team_sales").status == "on_track"  # met so far, not yet final
    assert ahead.overall == "on_track"

    silent = evaluate(base, date(2027, 6, 3), confirmed).milestone("team_sales")
    assert silent.status == "behind"  # May ended without a figure
    assert silent.text == _l(
        "team sales: no data yet (target ≥ +15%)", "团队销售额：暂无数据（目标 ≥ +15%）"
    )
    assert evaluate(base, date(2027, 5, 20), confirmed).milestone("team_sales").status == (
        "on_track"
    )

    missed = [*base, m("2027-10", "team_sales_growth", -2)]
    late = evaluate(missed, date(2027, 11, 1), confirmed).milestone("team_sales")
    assert late.status == "overdue"
    assert late.text["en"] == "team sales -2% of +15%"


def test_confirmed_milestone_awaiting_then_confirmed() -> None:
    goal = [
        evaluate([], day).milestone("team_goal") for day in (date(2027, 4, 30), date(2027, 5, 2))
    ]
    assert [g.status for g in goal] == ["not_started", "awaiting_confirmation"]
    assert goal[1].text == _l(
        "set the team goal: awaiting the manager's confirmation", "制定团队目标：待经理确认"
    )
    assert (goal[1].value, goal[1].target) == (None, None)
    confirmed = evaluate([], date(2027, 5, 2), {"team_goal": "M007"}).milestone("team_goal")
    assert confirmed.status == "confirmed"
    assert confirmed.text == _l("set the team goal: confirmed", "制定团队目标：已确认")
    assert confirmed.is_done
    overdue = evaluate([], date(2027, 6, 1)).milestone("team_goal")
    assert overdue.status == "overdue"
    assert overdue.text == _l(
        "set the team goal: not confirmed by the due date", "制定团队目标：逾期未确认"
    )
    # confirmed late still counts; confirmations of measured or dropped milestones are ignored
    later = evaluate([], date(2027, 6, 1), {"team_goal": "M007", "courses": "M007", "gone": "M007"})
    assert later.milestone("team_goal").status == "confirmed"
    assert later.milestone("courses").status == "overdue"


def test_reminders_before_the_due_date() -> None:
    rows = [
        m("2027-02", "new_hires_mentored", 1),
        m("2027-03", "new_hires_mentored", 1),
        *(m(month, "new_customers", 5) for month in ("2027-02", "2027-03")),
        m("2027-04", "new_customers", 4),
    ]
    # 8 days before the end of April: both on pace, nothing to remind
    early = evaluate(rows, date(2027, 4, 22))
    assert status(early)["mentoring"] == status(early)["new_customers"] == "on_track"
    assert due_for_reminder(early, PLAN.milestones, date(2027, 4, 22)) == []
    # 7 days before (the default remind_days_before): behind, reminded
    today = date(2027, 4, 23)
    progress = evaluate(rows, today)
    due = due_for_reminder(progress, PLAN.milestones, today)
    assert [(p.id, p.status) for p in due] == [("mentoring", "behind"), ("new_customers", "behind")]
    assert [p.text["en"] for p in due] == ["mentored 2 of 3", "new customers 4 of 5"]
    assert progress.overall == "overdue"  # months 1-3 were left undone in this record
    # the number of days is the template's setting
    shorter = [
        x.model_copy(update={"remind_days_before": 3}) if x.id == "mentoring" else x
        for x in PLAN.milestones
    ]
    assert [
        p.id
        for p in due_for_reminder(
            evaluate_plan(shorter, rows, START, today, {}, labels=in_every_language), shorter, today
        )
    ] == ["new_customers"]
    # met: no reminder; past the due date: overdue, no reminder
    met = evaluate([*rows, m("2027-04", "new_hires_mentored", 1)], today)
    assert [p.id for p in due_for_reminder(met, PLAN.milestones, today)] == ["new_customers"]
    after = date(2027, 5, 1)
    assert due_for_reminder(evaluate(rows, after), PLAN.milestones, after) == []


def test_reminder_for_an_awaiting_confirmation() -> None:
    today = date(2027, 1, 25)  # 6 days before the end of plan month 3
    rows = [m("2026-11-20", "course_completed", 9.5, STM), m("2027-01", "course_completed", 9, GD)]
    progress = evaluate(rows, today)
    assert [p.id for p in due_for_reminder(progress, PLAN.milestones, today)] == ["team_meetings"]
    confirmed = evaluate(rows, today, {"team_meetings": "M007"})
    assert due_for_reminder(confirmed, PLAN.milestones, today) == []
    # milestones no longer in the plan are not reminded
    assert due_for_reminder(progress, [PLAN.milestone("courses")], today) == []


def test_only_what_was_known_by_today_counts() -> None:
    rows = [
        m("2026-12-20", "course_completed", 9.5, STM),
        m("2026-12-28", "course_completed", 9.0, GD),
    ]
    assert evaluate(rows, date(2026, 12, 21)).milestone("courses").value == 1
    assert evaluate(rows, date(2026, 12, 28)).milestone("courses").status == "done"
    # weekly and daily figures of numeric metrics belong to the weekly cycle
    weekly = [m("2027-W07", "new_hires_mentored", 3), m("2027-02-10", "new_hires_mentored", 3)]
    assert evaluate(weekly, date(2027, 3, 1)).milestone("mentoring").value == 0


def test_monthly_measure_of_a_percent_metric() -> None:
    retention = Milestone(
        id="retention",
        label=_l("retention 75% every month", "每月客户留存率75%"),
        start_month=1,
        due_month=2,
        kind="measured",
        measure=MonthlyMeasure(
            metric="retention_rate", target=75, unit="percent", label=_l("retention", "留存率")
        ),
        reminder=_l("call at-risk customers", "回访有流失风险的客户"),
    )
    first = evaluate_plan(
        [retention], [], START, date(2026, 11, 10), {}, labels=in_every_language
    ).milestones[0]
    assert first.status == "on_track"
    assert first.value is None
    assert first.text == _l("retention: no data yet (target 75%)", "留存率：暂无数据（目标 75%）")
    second = evaluate_plan(
        [retention], [], START, date(2026, 12, 1), {}, labels=in_every_language
    ).milestones[0]
    assert second.status == "behind"  # November ended without a figure
    assert second.details[0] == _l("2026-11: – of 75% ✗", "2026-11：–/75% ✗")
    rows = [m("2026-11", "retention_rate", 80), m("2026-12", "retention_rate", 76)]
    done = evaluate_plan([retention], rows, START, date(2026, 12, 31), {}, labels=in_every_language)
    assert done.overall == "completed"


def test_metric_measure_other_operators() -> None:
    churn = Milestone(
        id="churn",
        label=_l("churn at most 10%", "流失率不超过10%"),
        start_month=1,
        due_month=1,
        kind="measured",
        measure=MetricMeasure(
            metric="churn_rate", op="<=", threshold=10, unit="percent", label=_l("churn", "流失率")
        ),
        reminder=_l("call at-risk customers", "回访有流失风险的客户"),
    )
    high = evaluate_plan(
        [churn],
        [m("2026-11", "churn_rate", 12)],
        START,
        date(2026, 11, 5),
        {},
        labels=in_every_language,
    )
    assert high.milestones[0].status == "behind"
    assert high.milestones[0].text == _l("churn 12% (needs ≤ 10%)", "流失率 12%（要求 ≤ 10%）")
    low = evaluate_plan(
        [churn],
        [m("2026-11", "churn_rate", 9)],
        START,
        date(2026, 11, 5),
        {},
        labels=in_every_language,
    )
    assert low.milestones[0].status == "done"


def test_evaluate_plan_rejects_bad_input() -> None:
    other = Measurement(
        employee_id="E00043", period="2027-02", metric="new_customers", value=1, source="crm"
    )
    with pytest.raises(ValueError, match="several employees"):
        evaluate([m("2027-02", "new_customers", 1), other], date(2027, 3, 1))
    twice = [PLAN.milestones[0], PLAN.milestones[0]]
    with pytest.raises(ValueError, match="unique"):
        evaluate_plan(twice, [], START, date(2027, 3, 1), {}, labels=in_every_language)


def test_progress_json_round_trip() -> None:
    progress = evaluate(all_done_record()[:5], date(2027, 3, 15), {"team_meetings": "M007"})
    data = progress.model_dump(mode="json")
    assert data["as_of"] == "2027-03-15"
    assert data["milestones"][2]["text"] == {"en": "mentored 3 of 3", "zh": "带教新人 3/3"}
    assert PlanProgress.model_validate(data) == progress
    assert PlanProgress.model_validate_json(progress.model_dump_json()) == progress
    one = progress.milestones[0]
    assert MilestoneProgress.model_validate_json(one.model_dump_json()) == one
    for p in progress.milestones:  # every text and detail is bilingual
        for label in [p.label, p.text, *p.details]:
            assert label["en"].strip() and label["zh"].strip()
    with pytest.raises(ValidationError):
        PlanProgress.model_validate({**data, "overall": "fine"})


def test_evaluation_is_deterministic() -> None:
    rows = all_done_record()
    today = date(2027, 4, 23)
    first = evaluate(rows, today).model_dump_json()
    assert evaluate(list(reversed(rows)), today).model_dump_json() == first
    assert evaluate(rows, today).model_dump_json() == first
