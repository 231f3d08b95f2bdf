"""Version-1 policy documents: the metric catalog, potential weights and promotion criteria.

Every number comes from /work/shared/domain.md; where the domain is silent the values are
what an HR team would plausibly start with (bands, senior-rep and manager criteria).
Later versions are published as data, never by editing this module.
"""

from __future__ import annotations

from pydantic import BaseModel

from aggregates.competency import Competency, CompetencyModel, ScaleLevel, competency_metric
from aggregates.cycle_settings import WeeklyCycleSettings
from aggregates.documents import (
    CoursesCompleted,
    Criterion,
    DimensionWeight,
    IndicatorBand,
    MetricCatalog,
    MetricDef,
    MetricThreshold,
    PotentialWeights,
    PromotionCriteria,
    TopPercentStreak,
)
from aggregates.goals import GoalCascade
from aggregates.incentives import BonusRules, CommissionRules
from aggregates.kpi_weights import KpiWeight, KpiWeights
from aggregates.ladder import Role
from aggregates.plan_template import (
    CountMeasure,
    CoursesMeasure,
    MetricMeasure,
    Milestone,
    MonthlyMeasure,
    PlanTemplate,
)
from aggregates.support_process import support_process_v1
from aggregates.training_rules import TrainingRule, TrainingRules


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


COURSES: dict[str, dict[str, str]] = {
    "Team Management": _l("Team Management", "团队管理"),
    "Customer Relationships": _l("Customer Relationships", "客户关系"),
    "Customer Relationship Management": _l("Customer Relationship Management", "客户关系管理"),
    "Repurchase Techniques": _l("Repurchase Techniques", "客户复购技巧"),
    "Prospecting Skills": _l("Prospecting Skills", "潜在客户挖掘技巧"),
    "Sales Team Management": _l("Sales Team Management", "销售团队管理"),
    "Goal Decomposition": _l("Goal Decomposition", "目标拆解技巧"),
    "Sales Supervisor Onboarding": _l("Sales Supervisor Onboarding", "销售主管岗前培训"),
    # seed 004: courses for the big-client competency model's gaps
    "Customer Needs Discovery": _l("Customer Needs Discovery", "客户需求挖掘"),
    "Big-Client Negotiation Skills": _l("Big-Client Negotiation Skills", "大客户谈判技巧"),
    "Cross-Department Communication Skills": _l(
        "Cross-Department Communication Skills", "跨部门沟通技巧"
    ),
    "Big-Client Resource Coordination": _l("Big-Client Resource Coordination", "大客户资源协调"),
}


def metric_catalog_v1() -> MetricCatalog:
    m = MetricDef
    return MetricCatalog(
        metrics={
            # result
            "sales_amount": m(
                label=_l("sales amount", "销售额"),
                unit="currency",
                window="sum",
                dimension="performance",
            ),
            "sales_target": m(
                label=_l("sales target", "销售目标"),
                unit="currency",
                window="sum",
                dimension="performance",
            ),
            "sales_completion": m(
                label=_l("sales completion", "销售完成率"),
                unit="percent",
                dimension="performance",
                improve_action=_l(
                    "review your pipeline weekly with your manager and prioritise "
                    "high-probability deals",
                    "每周与经理复盘销售漏斗，优先跟进高成交概率的商机",
                ),
            ),
            "collection_rate": m(
                label=_l("collection rate", "回款率"),
                unit="percent",
                dimension="performance",
                improve_action=_l("follow up overdue invoices every week", "每周跟进逾期应收款"),
            ),
            "new_customers": m(
                label=_l("new customers", "新客户数"),
                unit="count",
                dimension="performance",
                improve_course="Prospecting Skills",
            ),
            "big_client_sales": m(
                label=_l("big-client sales", "大客户销售额"),
                unit="currency",
                window="sum",
                dimension="performance",
            ),
            "small_deal_sales": m(
                label=_l("small-deal sales", "小单销售额"),
                unit="currency",
                window="sum",
                dimension="performance",
            ),
            "repurchase_sales": m(
                label=_l("repurchase sales", "复购销售额"),
                unit="currency",
                window="sum",
                dimension="customer",
            ),
            "big_deals": m(
                label=_l("big deals", "大单数"),
                unit="count",
                window="sum",
                dimension="performance",
            ),
            "big_client_signing_rate": m(
                label=_l("big-client signing rate", "大客户签约率"),
                unit="percent",
                dimension="performance",
            ),
            "small_deal_volume": m(
                label=_l("small-deal volume", "小单成交量"),
                unit="count",
                window="sum",
                dimension="performance",
            ),
            # customer
            "repurchase_rate": m(
                label=_l("repurchase rate", "客户复购率"),
                unit="percent",
                dimension="customer",
                improve_action=_l("increase follow-up visits", "增加老客户回访次数"),
                improve_course="Repurchase Techniques",
            ),
            "satisfaction": m(
                label=_l("customer satisfaction", "客户满意度"),
                unit="percent",
                dimension="customer",
                improve_action=_l(
                    "ask for feedback after every visit and close complaints within 48 hours",
                    "每次拜访后收集反馈，48小时内处理投诉",
                ),
                improve_course="Customer Relationships",
            ),
            "churn_rate": m(
                label=_l("churn rate", "客户流失率"),
                unit="percent",
                direction="lower",
                dimension="customer",
                improve_action=_l("call at-risk customers every month", "每月回访有流失风险的客户"),
                improve_course="Customer Relationship Management",
            ),
            "retention_rate": m(
                label=_l("retention rate", "客户留存率"),
                unit="percent",
                dimension="customer",
                improve_course="Customer Relationship Management",
            ),
            # process
            "customer_visits": m(
                label=_l("customer visits", "客户拜访次数"),
                unit="count",
                dimension="process",
            ),
            "new_customer_development": m(
                label=_l("new-customer development", "新客户开发"),
                unit="count",
                dimension="process",
                improve_course="Prospecting Skills",
            ),
            "funnel_conversion": m(
                label=_l("funnel conversion", "漏斗转化率"),
                unit="percent",
                dimension="process",
            ),
            # growth
            "course_completed": m(
                label=_l("courses completed", "已完成课程"),
                unit="count",
                window="items",
                dimension="growth",
            ),
            "course_completion_rate": m(
                label=_l("training completion", "培训完成率"),
                unit="percent",
                window="last",
                dimension="growth",
                improve_course="Customer Relationship Management",
            ),
            "exam_score": m(
                label=_l("exam score", "考试成绩"),
                unit="score100",
                dimension="growth",
                improve_action=_l(
                    "take the practice exam before the next assessment", "下次考核前完成模拟考试"
                ),
            ),
            "new_hires_mentored": m(
                label=_l("new hires mentored", "带教新人数"),
                unit="count",
                window="sum",
                dimension="growth",
                improve_action=_l(
                    "ask your manager to assign you a new hire to mentor",
                    "请经理为你安排一名带教新人",
                ),
            ),
            # team
            "collaboration_score": m(
                label=_l("collaboration score", "团队协作评分"),
                unit="score10",
                dimension="team",
                improve_action=_l(
                    "join a cross-team deal review every month", "每月参加一次跨团队商机复盘"
                ),
            ),
            "team_sales_growth": m(
                label=_l("team sales growth", "团队销售额增长率"),
                unit="percent",
                window="last",
                dimension="team",
                improve_course="Goal Decomposition",
            ),
            "cross_dept_communications": m(
                label=_l("cross-department communications", "跨部门沟通次数"),
                unit="count",
                dimension="team",
                improve_action=_l(
                    "bring finance or delivery into your next key-account review",
                    "在下次重点客户复盘中邀请财务或交付同事参加",
                ),
            ),
            # 360° competency levels (seed 004), recorded when a round closes; the item
            # is the figure: overall, self, manager, peers or reports.
            **{
                competency_metric(cid): m(
                    label=_l(f"{en} (360°)", f"{zh}（360°评估）"), unit="score5", window="items"
                )
                for cid, en, zh in _COMPETENCIES
            },
        },
        courses=COURSES,
    )


def potential_weights_v1() -> PotentialWeights:
    """40/30/20/10; bands: where a month-average value scores 0 and 10."""
    b = IndicatorBand
    return PotentialWeights(
        dimensions={
            "performance": DimensionWeight(
                weight=0.40,
                indicators=[
                    b(metric="sales_completion", zero_at=50, full_at=150),
                    b(metric="collection_rate", zero_at=60, full_at=100),
                    b(metric="new_customers", zero_at=0, full_at=8),
                ],
            ),
            "customer": DimensionWeight(
                weight=0.30,
                indicators=[
                    b(metric="repurchase_rate", zero_at=20, full_at=80),
                    b(metric="satisfaction", zero_at=60, full_at=100),
                    b(metric="churn_rate", zero_at=40, full_at=5),
                ],
            ),
            "growth": DimensionWeight(
                weight=0.20,
                indicators=[
                    b(metric="course_completion_rate", zero_at=40, full_at=100),
                    b(metric="exam_score", zero_at=50, full_at=100),
                    # a 12-month sum: 4 mentored new hires a year is the top of the band
                    b(metric="new_hires_mentored", zero_at=0, full_at=4),
                ],
            ),
            "team": DimensionWeight(
                weight=0.10,
                indicators=[
                    b(metric="collaboration_score", zero_at=4, full_at=10),
                    b(metric="cross_dept_communications", zero_at=0, full_at=6),
                ],
            ),
        },
        pool_top_fraction=0.10,
        window_months=12,
    )


def kpi_weights_v1() -> KpiWeights:
    """The KPIs before the big-client transformation: the potential score's performance
    indicators of version 1, equally weighted, so version 1 changes no score. Seed 004's
    re-weighting (big-client signing 30, retention 25, satisfaction 20, small-deal volume
    25) is a later version HR publishes."""
    third = 100 / 3
    return KpiWeights(
        kpis=[
            KpiWeight(metric="sales_completion", weight_percent=third, zero_at=50, full_at=150),
            KpiWeight(metric="collection_rate", weight_percent=third, zero_at=60, full_at=100),
            KpiWeight(metric="new_customers", weight_percent=third, zero_at=0, full_at=8),
        ]
    )


def _at_least(
    id: str, label: dict[str, str], metric: str, threshold: float, suggestion: dict[str, str]
) -> MetricThreshold:
    return MetricThreshold(
        id=id, label=label, metric=metric, op=">=", threshold=threshold, suggestion=suggestion
    )


_SATISFACTION_TIP = _l(
    "ask for feedback after every visit; course *Customer Relationships*",
    "每次拜访后收集反馈；参加《客户关系》课程",
)
_COLLABORATION_TIP = _l(
    "join a cross-team deal review every month and help a colleague close a deal",
    "每月参加一次跨团队商机复盘，协助同事成单",
)


def senior_sales_rep_criteria_v1() -> PromotionCriteria:
    criteria: list[Criterion] = [
        TopPercentStreak(
            id="top_sales_streak",
            label=_l("top 10% sales, months in a row", "业绩前10%连续月数"),
            metric="sales_completion",
            top_percent=10,
            months=3,
            suggestion=_l(
                "reach the top 10% of sales completion 3 months in a row; review your "
                "pipeline weekly with your manager",
                "连续3个月销售完成率进入前10%；每周与经理复盘销售漏斗",
            ),
        ),
        _at_least(
            "satisfaction",
            _l("satisfaction", "客户满意度"),
            "satisfaction",
            85,
            _SATISFACTION_TIP,
        ),
        _at_least(
            "collection",
            _l("collection", "回款率"),
            "collection_rate",
            90,
            _l("follow up overdue invoices every week", "每周跟进逾期应收款"),
        ),
    ]
    return PromotionCriteria(target_role=Role.senior_sales_rep, criteria=criteria)


def sales_supervisor_criteria_v1() -> PromotionCriteria:
    """The seed example, exactly (domain.md, "Promotion criteria")."""
    criteria: list[Criterion] = [
        _at_least(
            "sales",
            _l("sales", "销售额完成率"),
            "sales_completion",
            120,
            _l(
                "review your pipeline weekly with your manager; course *Prospecting Skills*",
                "每周与经理复盘销售漏斗；参加《潜在客户挖掘技巧》课程",
            ),
        ),
        _at_least(
            "repurchase",
            _l("repurchase", "客户复购率"),
            "repurchase_rate",
            60,
            _l(
                "increase follow-up visits; next month's course *Repurchase Techniques*",
                "增加老客户回访次数；报名下月《客户复购技巧》培训",
            ),
        ),
        _at_least(
            "satisfaction",
            _l("satisfaction", "客户满意度"),
            "satisfaction",
            90,
            _SATISFACTION_TIP,
        ),
        CoursesCompleted(
            id="courses",
            label=_l("courses", "课程"),
            courses=["Team Management", "Customer Relationships"],
            suggestion=_l(
                "complete *Team Management* and *Customer Relationships*",
                "完成《团队管理》《客户关系》课程",
            ),
        ),
        _at_least(
            "mentored",
            _l("mentored", "带教新人"),
            "new_hires_mentored",
            2,
            _l(
                "ask your manager to assign you a new hire to mentor",
                "请经理为你安排带教新人",
            ),
        ),
        _at_least(
            "collaboration",
            _l("collaboration", "团队协作评分"),
            "collaboration_score",
            8.5,
            _COLLABORATION_TIP,
        ),
    ]
    return PromotionCriteria(target_role=Role.sales_supervisor, criteria=criteria)


def sales_manager_criteria_v1() -> PromotionCriteria:
    criteria: list[Criterion] = [
        CoursesCompleted(
            id="courses",
            label=_l("courses", "课程"),
            courses=["Sales Team Management", "Goal Decomposition"],
            suggestion=_l(
                "complete *Sales Team Management* and *Goal Decomposition*",
                "完成《销售团队管理》《目标拆解技巧》课程",
            ),
        ),
        _at_least(
            "mentored",
            _l("mentored", "带教新人"),
            "new_hires_mentored",
            3,
            _l(
                "mentor one more new hire with your team each quarter",
                "每季度在团队中多带教一名新人",
            ),
        ),
        _at_least(
            "sales",
            _l("sales", "销售额完成率"),
            "sales_completion",
            110,
            _l(
                "decompose your team goal into weekly targets and review them every Monday",
                "将团队目标拆解为周目标，每周一复盘",
            ),
        ),
        _at_least(
            "satisfaction",
            _l("satisfaction", "客户满意度"),
            "satisfaction",
            90,
            _SATISFACTION_TIP,
        ),
        _at_least(
            "collaboration",
            _l("collaboration", "团队协作评分"),
            "collaboration_score",
            8.5,
            _COLLABORATION_TIP,
        ),
    ]
    return PromotionCriteria(target_role=Role.sales_manager, criteria=criteria)


def sales_supervisor_plan_v1() -> PlanTemplate:
    """The seed's post-promotion plan for a new sales supervisor (domain.md)."""
    return PlanTemplate(
        role=Role.sales_supervisor,
        months=12,
        milestones=[
            Milestone(
                id="courses",
                label=_l(
                    "courses *Sales Team Management* and *Goal Decomposition*",
                    "完成《销售团队管理》《目标拆解技巧》课程",
                ),
                start_month=1,
                due_month=3,
                kind="measured",
                measure=CoursesMeasure(courses=["Sales Team Management", "Goal Decomposition"]),
                reminder=_l(
                    "complete *Sales Team Management* and *Goal Decomposition* by the end of "
                    "the month",
                    "月底前完成《销售团队管理》《目标拆解技巧》课程",
                ),
                suggestion=_l(
                    "book the next sessions of both courses now", "现在就报名两门课程的最近一期"
                ),
            ),
            Milestone(
                id="team_meetings",
                label=_l("join team meetings with the sales manager", "与销售经理一起参加团队例会"),
                start_month=1,
                due_month=3,
                kind="confirmed",
                reminder=_l(
                    "ask your sales manager to confirm you joined the team meetings",
                    "请销售经理确认你已参加团队例会",
                ),
            ),
            Milestone(
                id="mentoring",
                label=_l("mentor 3 new hires", "带教3名新人"),
                start_month=4,
                due_month=6,
                kind="measured",
                measure=CountMeasure(
                    metric="new_hires_mentored", target=3, label=_l("mentored", "带教新人")
                ),
                reminder=_l(
                    "mentor one more new hire by the end of the month", "月底前再带教一名新人"
                ),
                suggestion=_l(
                    "ask your manager to assign you a new hire to mentor",
                    "请经理为你安排带教新人",
                ),
            ),
            Milestone(
                id="new_customers",
                label=_l("5 new customers a month", "每月开发5个新客户"),
                start_month=4,
                due_month=6,
                kind="measured",
                measure=MonthlyMeasure(
                    metric="new_customers", target=5, label=_l("new customers", "新客户")
                ),
                reminder=_l(
                    "reach 5 new customers this month by the end of the month",
                    "月底前完成本月5个新客户",
                ),
                suggestion=_l(
                    "plan new-customer visits every week; course *Prospecting Skills*",
                    "每周安排新客户拜访；参加《潜在客户挖掘技巧》课程",
                ),
            ),
            # The team goal frames months 7-12, so it is due at the start of that phase.
            Milestone(
                id="team_goal",
                label=_l("set the team goal", "制定团队目标"),
                start_month=7,
                due_month=7,
                kind="confirmed",
                reminder=_l(
                    "agree the team goal with your sales manager and ask them to confirm it",
                    "与销售经理确定团队目标并请其确认",
                ),
            ),
            Milestone(
                id="team_sales",
                label=_l("team sales +15%", "团队销售额增长15%"),
                start_month=7,
                due_month=12,
                kind="measured",
                measure=MetricMeasure(
                    metric="team_sales_growth",
                    op=">=",
                    threshold=15,
                    label=_l("team sales", "团队销售额"),
                    unit="percent",
                    signed=True,
                ),
                reminder=_l(
                    "review the team pipeline weekly to reach +15% team sales",
                    "每周复盘团队销售漏斗，达成团队销售额增长15%",
                ),
                suggestion=_l(
                    "decompose the team goal into weekly targets; course *Goal Decomposition*",
                    "将团队目标拆解为周目标；参加《目标拆解技巧》课程",
                ),
            ),
        ],
    )


_COMPETENCIES = (
    ("customer_insight", "customer insight", "客户洞察"),
    ("relationship_maintenance", "relationship maintenance", "关系维护"),
    ("resource_coordination", "resource coordination", "资源协调"),
)


def competency_model_v1() -> CompetencyModel:
    """Seed 004's big-client sales competency model: customer insight, relationship
    maintenance and resource coordination on a 1-5 scale, with the courses the article
    pushed for a gap (the targets are a plausible start; the article gives none)."""
    return CompetencyModel(
        label=_l("Big-client sales competency model", "大客户销售胜任力模型"),
        scale=[
            ScaleLevel(level=1, label=_l("far below expectations", "远低于要求")),
            ScaleLevel(level=2, label=_l("below expectations", "低于要求")),
            ScaleLevel(level=3, label=_l("meets expectations", "符合要求")),
            ScaleLevel(level=4, label=_l("exceeds expectations", "超出要求")),
            ScaleLevel(level=5, label=_l("role model", "标杆水平")),
        ],
        competencies=[
            Competency(
                id="customer_insight",
                label=_l("customer insight", "客户洞察"),
                description=_l(
                    "uncovers a big client's deeper needs and the value of a long-term "
                    "partnership, not just the next order",
                    "深度挖掘大客户需求，关注长期合作价值而非单次成交",
                ),
                target_level=3.5,
                courses=["Customer Needs Discovery", "Big-Client Negotiation Skills"],
            ),
            Competency(
                id="relationship_maintenance",
                label=_l("relationship maintenance", "关系维护"),
                description=_l(
                    "keeps long-term client relationships: retention, repurchase and the "
                    "service experience",
                    "维护长期客户关系：客户留存、复购与服务体验",
                ),
                target_level=3.5,
                courses=["Customer Relationship Management"],
            ),
            Competency(
                id="resource_coordination",
                label=_l("resource coordination", "资源协调"),
                description=_l(
                    "brings product, after-sales and finance together for a client's need "
                    "(e.g. a customised service)",
                    "跨部门协调产品、售后、财务等资源满足客户需求（如定制化服务）",
                ),
                target_level=3.5,
                courses=[
                    "Cross-Department Communication Skills",
                    "Big-Client Resource Coordination",
                ],
            ),
        ],
    )


def seed_documents() -> list[tuple[str, str, BaseModel]]:
    """(kind, key, document) for every version-1 policy document."""
    criteria = [
        senior_sales_rep_criteria_v1(),
        sales_supervisor_criteria_v1(),
        sales_manager_criteria_v1(),
    ]
    return [
        ("metric_catalog", "default", metric_catalog_v1()),
        ("potential_weights", "default", potential_weights_v1()),
        ("kpi_weights", "default", kpi_weights_v1()),
        *(("promotion_criteria", c.target_role.value, c) for c in criteria),
        ("plan_template", "sales_supervisor", sales_supervisor_plan_v1()),
        ("goal_cascade", "default", GoalCascade()),
        ("bonus_rules", "default", BonusRules()),
        ("commission_rules", "default", CommissionRules()),
        ("training_rules", "default", training_rules_v1()),
        ("weekly_cycle", "default", WeeklyCycleSettings()),
        ("competency_model", "default", competency_model_v1()),
        ("support_process", "default", support_process_v1()),
    ]


def training_rules_v1() -> TrainingRules:
    return TrainingRules(
        rules=[
            TrainingRule(
                id="new_customers_short",
                metric="new_customers",
                consecutive_months=1,
                course="Prospecting Skills",
                reason=_l(
                    "fewer new customers than your target this month",
                    "本月新客户数未达目标",
                ),
            ),
            TrainingRule(
                id="retention_below_target",
                metric="retention_rate",
                consecutive_months=2,
                course="Customer Relationship Management",
                alert_manager=True,
                reason=_l(
                    "retention below your target two months in a row",
                    "客户留存率连续两个月低于目标",
                ),
            ),
        ]
    )
