"""A deterministic, believable demo organisation: managers over supervisors over reps,
and twelve months of metrics with a realistic spread, including the seed article's
archetypes (high sales / high churn; mid sales / excellent customers)."""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel

from aggregates.calendar_periods import months_back
from aggregates.documents import Measurement
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华玉兰志强晨曦子涵浩然思远雨桐"
ARCHETYPES = {
    "steady": 0.62,
    "high_sales_high_churn": 0.09,
    "mid_sales_excellent_customers": 0.09,
    "star": 0.05,
    "struggling": 0.15,
}
COURSE_POOL = [
    "Customer Relationships",
    "Team Management",
    "Repurchase Techniques",
    "Prospecting Skills",
    "Customer Relationship Management",
]


class DemoOrganisation(BaseModel):
    org: OrgImport
    measurements: list[Measurement]
    archetypes: dict[str, str]
    end_month: str


def _name(rng: random.Random) -> str:
    given = GIVEN[rng.randrange(len(GIVEN))]
    if rng.random() < 0.6:
        given += GIVEN[rng.randrange(len(GIVEN))]
    return SURNAMES[rng.randrange(len(SURNAMES))] + given


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def generate(
    reps: int = 500, teams: int = 50, end_month: str = "2026-10", months: int = 12, seed: int = 7
) -> DemoOrganisation:
    """Same arguments, same organisation and numbers, on every machine."""
    if reps < 1 or teams < 1 or teams > reps:
        raise ValueError("need at least one rep per team and at least one team")
    rng = random.Random(seed)
    regions = max(1, (teams + 9) // 10)
    team_rows: list[TeamIn] = []
    people: list[EmployeeIn] = []
    for r in range(regions):
        people.append(
            EmployeeIn(
                employee_id=f"M{r + 1:03d}",
                name=_name(rng),
                role=Role.sales_manager,
                team_id=f"R{r + 1:02d}",
                manager_id=None,
                hire_date=date(2015 + r % 4, 3, 1),
            )
        )
        team_rows.append(
            TeamIn(team_id=f"R{r + 1:02d}", name=f"Region {r + 1}", manager_id=f"M{r + 1:03d}")
        )
    for t in range(teams):
        region = t % regions
        supervisor = f"S{t + 1:03d}"
        team_rows.append(
            TeamIn(
                team_id=f"T{t + 1:03d}",
                name=f"Sales team {t + 1}",
                manager_id=supervisor,
                parent_team_id=f"R{region + 1:02d}",
            )
        )
        people.append(
            EmployeeIn(
                employee_id=supervisor,
                name=_name(rng),
                role=Role.sales_supervisor,
                team_id=f"T{t + 1:03d}",
                manager_id=f"M{region + 1:03d}",
                hire_date=date(2017 + t % 5, 1 + t % 12, 1),
            )
        )
    archetype_names = list(ARCHETYPES)
    weights = list(ARCHETYPES.values())
    archetypes: dict[str, str] = {}
    for i in range(reps):
        team = i % teams
        employee_id = f"E{i + 1:05d}"
        archetype = rng.choices(archetype_names, weights)[0]
        archetypes[employee_id] = archetype
        senior = archetype in {"star", "mid_sales_excellent_customers"} or rng.random() < 0.2
        people.append(
            EmployeeIn(
                employee_id=employee_id,
                name=_name(rng),
                role=Role.senior_sales_rep if senior else Role.sales_rep,
                team_id=f"T{team + 1:03d}",
                manager_id=f"S{team + 1:03d}",
                hire_date=date(2019 + rng.randrange(6), 1 + rng.randrange(12), 1),
                email=f"{employee_id.lower()}@demo.careerflow.invalid",
            )
        )
    window = months_back(end_month, months)
    measurements: list[Measurement] = []
    for person in people:
        if person.role == Role.sales_manager:
            continue
        archetype = archetypes.get(person.employee_id, "steady")
        measurements.extend(_metrics(rng, person.employee_id, archetype, window))
    return DemoOrganisation(
        org=OrgImport(organisation="Demo Sales Co.", teams=team_rows, employees=people),
        measurements=measurements,
        archetypes=archetypes,
        end_month=end_month,
    )


def _metrics(
    rng: random.Random, employee_id: str, archetype: str, window: list[str]
) -> list[Measurement]:
    base_sales, base_churn, base_repurchase, base_sat, skill = {
        "steady": (100.0, 15.0, 50.0, 88.0, 0.6),
        "high_sales_high_churn": (140.0, 27.0, 38.0, 80.0, 0.5),
        "mid_sales_excellent_customers": (108.0, 6.0, 72.0, 96.0, 0.85),
        "star": (135.0, 8.0, 66.0, 94.0, 0.95),
        "struggling": (72.0, 22.0, 35.0, 78.0, 0.3),
    }[archetype]
    # Personal offsets keep two people of one archetype apart.
    sales_bias = rng.gauss(0, 8)
    target = rng.choice([80_000, 100_000, 120_000, 150_000])
    rows: list[tuple[str, str, float, str | None, str]] = []
    taken: set[str] = set()
    for index, month in enumerate(window):
        completion = _clip(base_sales + sales_bias + rng.gauss(0, 12), 20, 250)
        churn = _clip(base_churn + rng.gauss(0, 3), 0, 80)
        rows += [
            (month, "sales_target", float(target), None, "crm"),
            (month, "sales_amount", round(target * completion / 100, 2), None, "crm"),
            (month, "sales_completion", round(completion, 1), None, "crm"),
            (month, "collection_rate", round(_clip(rng.gauss(88, 6), 40, 100), 1), None, "crm"),
            (
                month,
                "new_customers",
                float(max(0, round(rng.gauss(completion / 25, 1.5)))),
                None,
                "crm",
            ),
            (
                month,
                "big_client_signing_rate",
                round(_clip(rng.gauss(20 + skill * 20, 6), 0, 100), 1),
                None,
                "crm",
            ),
            (month, "small_deal_volume", float(max(0, round(rng.gauss(12, 4)))), None, "crm"),
            (
                month,
                "repurchase_rate",
                round(_clip(base_repurchase + rng.gauss(0, 5), 0, 100), 1),
                None,
                "crm",
            ),
            (
                month,
                "satisfaction",
                round(_clip(base_sat + rng.gauss(0, 3), 0, 100), 1),
                None,
                "feedback",
            ),
            (month, "churn_rate", round(churn, 1), None, "crm"),
            (month, "retention_rate", round(100 - churn, 1), None, "crm"),
            (month, "customer_visits", float(max(0, round(rng.gauss(40, 8)))), None, "crm"),
            (
                month,
                "funnel_conversion",
                round(_clip(rng.gauss(18 + skill * 10, 4), 0, 100), 1),
                None,
                "crm",
            ),
            (
                month,
                "course_completion_rate",
                round(_clip(rng.gauss(60 + skill * 35, 8), 0, 100), 1),
                None,
                "lms",
            ),
            (
                month,
                "exam_score",
                round(_clip(rng.gauss(70 + skill * 25, 6), 0, 100), 1),
                None,
                "lms",
            ),
            (
                month,
                "new_hires_mentored",
                float(1 if rng.random() < skill * 0.3 else 0),
                None,
                "hris",
            ),
            (
                month,
                "collaboration_score",
                round(_clip(rng.gauss(6 + skill * 3.5, 0.6), 0, 10), 1),
                None,
                "feedback",
            ),
            (
                month,
                "cross_dept_communications",
                float(max(0, round(rng.gauss(2 + skill * 3, 1)))),
                None,
                "feedback",
            ),
        ]
        # Courses: the better someone grows, the more they finish in the year.
        if rng.random() < skill * 0.35 and index > 0:
            course = COURSE_POOL[rng.randrange(len(COURSE_POOL))]
            if course not in taken:
                taken.add(course)
                score = round(_clip(rng.gauss(80 + skill * 15, 5), 50, 100), 1)
                rows.append((month, "course_completed", score, course, "lms"))
    return [
        Measurement(
            employee_id=employee_id, period=p, metric=metric, value=v, item=item, source=src
        )
        for p, metric, v, item, src in rows
    ]


def write_csv_stream(measurements: list[Measurement], handle: TextIO) -> None:
    writer = csv.writer(handle)
    writer.writerow(["employee_id", "period", "metric", "value", "source", "item"])
    for m in measurements:
        writer.writerow([m.employee_id, m.period, m.metric, m.value, m.source, m.item or ""])


def write_csv(measurements: list[Measurement], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_csv_stream(measurements, handle)
