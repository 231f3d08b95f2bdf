"""The close of a 360° round, pure apart from the aggregate it records on: a person's
groups sealed and their profile, the levels as metric-ledger rows, and each person's
results said in every language (the Assessments application's helpers)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import orjson

from aggregates.assessment_round import AssessmentRound, Ratee, RaterTask
from aggregates.competency import (
    GROUPS,
    CompetencyModel,
    CompetencyProfile,
    GroupRatings,
    RatingItem,
    build_profile,
    canonical,
    competency_metric,
)
from aggregates.documents import MetricCatalog
from words.catalogue import in_every_language
from words.messages import Label, Message


class Note(NamedTuple):
    """One person's results (activities' ProfileNote): the title a message's JSON (the
    round's title, typed by HR, kept apart: Message.quote), the body said in every
    language."""

    employee_id: str
    gaps: list[str]
    title: dict[str, Any]
    body: Label


def seal_ratee(
    rnd: AssessmentRound,
    model: CompetencyModel,
    version: int,
    ratee: Ratee,
    tasks: list[RaterTask],
    sealed: Mapping[tuple[str, str], list[dict[str, RatingItem]]],
) -> CompetencyProfile:
    """One person's groups sealed (anonymous ones in content order, a group under the
    minimum with its count only) and their profile computed."""
    groups: list[GroupRatings] = []
    for group in GROUPS:
        in_group = [t for t in tasks if t.group == group]
        if not in_group:
            continue
        anonymous = in_group[0].anonymous
        if anonymous:
            ratings = canonical(sealed.get((ratee.employee_id, group), []))
            published = len(ratings) >= model.min_group_size
            rnd.seal_group(
                ratee_id=ratee.employee_id,
                group=group,
                raters=len(ratings),
                published=published,
                ratings=ratings if published else [],
            )
        else:
            ratings = [rnd.named[t.key] for t in in_group if t.key in rnd.named]
        groups.append(
            GroupRatings(group=group, anonymous=anonymous, asked=len(in_group), ratings=ratings)
        )
    profile = build_profile(
        model, version, rnd.round_id, ratee.employee_id, groups, labels=in_every_language
    )
    rnd.record_profile(
        ratee_id=ratee.employee_id,
        manager_id=ratee.manager_id,
        team_id=ratee.team_id,
        profile=profile,
    )
    return profile


def ledger_rows(rnd: AssessmentRound, now: datetime, catalog: MetricCatalog) -> tuple[str, bytes]:
    """Every published figure of every profile as metric-ledger rows (JSON lines):
    `competency_<id>` with the figure (overall, self, manager, peers, reports) as the
    item, dated the day the round closed. Metrics the catalog lacks are left out."""
    batch = f"assessment:{rnd.round_id}"
    day = now.astimezone(ZoneInfo(rnd.time_zone)).date().isoformat()
    lines = [
        orjson.dumps(
            {
                "employee_id": employee_id,
                "period": day,
                "metric": competency_metric(cid),
                "item": source,
                "value": value,
                "source": batch,
            }
        )
        for employee_id, profile in rnd.profiles.items()
        for cid, source, value in profile.values()
        if competency_metric(cid) in catalog.metrics
    ]
    return batch, b"\n".join(lines) + b"\n" if lines else b""


def profile_note(
    rnd: AssessmentRound,
    profile: CompetencyProfile,
    model: CompetencyModel,
    catalog: MetricCatalog,
) -> Note:
    lines: list[Message] = []
    for score in profile.competencies:
        if score.overall is None:
            lines.append(Message("{competency}: no overall level", competency=score.label))
            continue
        level = Message(
            "{overall:g}/{top} (target {target:g})",
            overall=score.overall,
            top=model.top,
            target=score.target,
        )
        if not score.below_target:
            lines.append(Message("{competency} {level}: met", competency=score.label, level=level))
        elif score.courses:
            lines.append(
                Message(
                    "{competency} {level}: below target; recommended {courses}",
                    competency=score.label,
                    level=level,
                    courses=_course_list(catalog, score.courses),
                )
            )
        else:
            lines.append(
                Message("{competency} {level}: below target", competency=score.label, level=level)
            )
    return Note(
        employee_id=profile.employee_id,
        gaps=profile.gaps,
        title=Message("Your 360° results: {title}", title=Message.quote(rnd.title)).to_json(),
        body=in_every_language(Message("{text}", text=lines)),  # joined as each language joins
    )


def _course_list(catalog: MetricCatalog, courses: list[str]) -> Message:
    """Recommended courses by title: "*A*, *B*" (《A》《B》 in Chinese)."""
    said = Message("*{course}*", course=catalog.course_label(courses[0]))
    for course in courses[1:]:
        said = Message("{courses}, *{course}*", courses=said, course=catalog.course_label(course))
    return said
