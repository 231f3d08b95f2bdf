"""The competency model (seed 004's big-client model) as a versioned policy document, and
the pure arithmetic of a 360° assessment: group averages with small anonymous groups
hidden, the overall level, gaps against the target and the courses they recommend.

Anonymity is a property of the numbers as much as of the storage: a group of fewer than
`min_group_size` raters (peers, reports) is never averaged or shown, and the overall
level is built from the published groups only, so no hidden rating can be worked back
out of what is shown."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from aggregates.document_types import Frozen, Label
from aggregates.ratings import RatingItem, rating_problems  # noqa: F401
from words.messages import Invalid, Labeller, Message

if TYPE_CHECKING:  # only a parameter type: the workflows load this module
    from aggregates.documents import MetricCatalog

Group = Literal["self", "manager", "peers", "reports"]
GROUPS: tuple[Group, ...] = ("self", "manager", "peers", "reports")
AnonymousGroup = Literal["peers", "reports"]
Source = Literal["overall", "self", "manager", "peers", "reports"]
"""Which figure of a profile: the overall level or one group's average."""

GROUP_NAMES: dict[str, Message] = {
    "self": Message("self"),
    "manager": Message("manager"),
    "peers": Message("peers"),
    "reports": Message("reports"),
    "overall": Message("overall"),
}
"""What each group (and the overall level) is called, e.g. in "manager 360° level of ..."."""

METRIC_PREFIX = "competency_"
_OVERALL_FROM: tuple[Group, ...] = ("manager", "peers", "reports")
_ID = r"^[a-z][a-z0-9_]*$"


def competency_metric(competency_id: str) -> str:
    """The metric-ledger metric a competency's levels are recorded under (item = source)."""
    return f"{METRIC_PREFIX}{competency_id}"


class ScaleLevel(Frozen):
    level: int = Field(ge=1)
    label: Label


class Competency(Frozen):
    """One competency: what it means, the level expected and the courses for a gap."""

    id: str = Field(pattern=_ID)
    label: Label
    description: Label
    target_level: float = Field(allow_inf_nan=False)
    courses: list[str] = Field(default_factory=list)
    """Recommended (catalog course names) when the overall level is below the target."""


class CompetencyModel(Frozen):
    """Competencies rated on a scale in 360° rounds (kind "competency_model")."""

    kind: Literal["competency_model"] = "competency_model"
    label: Label
    scale: list[ScaleLevel] = Field(min_length=2)
    competencies: list[Competency] = Field(min_length=1)
    min_group_size: int = Field(default=3, ge=2)
    """Peers' and reports' averages of fewer raters than this are hidden."""
    overall_from: list[Group] = Field(default_factory=lambda: list(_OVERALL_FROM))
    """Groups whose published averages make the overall level (each counts once)."""
    reminders_before_hours: list[int] = Field(default_factory=lambda: [72, 24])
    """Raters who have not rated are reminded this many hours before the deadline."""
    late_grace_hours: int = Field(default=0, ge=0, le=14 * 24)
    """0: a rating after the deadline is refused. More: it is accepted (marked late)
    until this many hours after the deadline, when the round closes."""
    comment_max_length: int = Field(default=1000, ge=0, le=10_000)

    @model_validator(mode="after")
    def _check(self) -> CompetencyModel:
        levels = [s.level for s in self.scale]
        if levels != list(range(1, len(levels) + 1)):
            raise Invalid(
                "scale levels must run 1, 2, ... without gaps, got {levels}", levels=levels
            )
        ids = [c.id for c in self.competencies]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise Invalid("competency ids must be unique, repeated: {repeated}", repeated=repeated)
        for c in self.competencies:
            if not 1 <= c.target_level <= self.top:
                raise Invalid(
                    "competency {competency!r}: target_level {target_level:g} is off the scale "
                    "1..{top}",
                    competency=c.id,
                    target_level=c.target_level,
                    top=self.top,
                )
        if not self.overall_from:
            raise Invalid("overall_from needs at least one group")
        if any(h <= 0 for h in self.reminders_before_hours):
            raise Invalid("reminders_before_hours must be positive")
        return self

    @property
    def top(self) -> int:
        return len(self.scale)

    def competency(self, competency_id: str) -> Competency:
        for c in self.competencies:
            if c.id == competency_id:
                return c
        raise KeyError(f"competency {competency_id!r} is not in the competency model")

    def ids(self) -> list[str]:
        return [c.id for c in self.competencies]


def competency_model_problems(model: CompetencyModel, catalog: MetricCatalog) -> list[Message]:
    """What stops the model from being published beside the metric catalog in force:
    every course needs a bilingual title, every competency its ledger metric."""
    problems: list[Message] = []
    for c in model.competencies:
        metric = competency_metric(c.id)
        definition = catalog.metrics.get(metric)
        if definition is None:
            problems.append(
                Message(
                    "competency {competency!r}: metric {metric!r} is not in the metric catalog "
                    "(profiles are recorded in the metric ledger under it)",
                    competency=c.id,
                    metric=metric,
                )
            )
        elif definition.window != "items":
            problems.append(
                Message(
                    "competency {competency!r}: metric {metric!r} must use the 'items' window "
                    "(its items are overall, self, manager, peers and reports)",
                    competency=c.id,
                    metric=metric,
                )
            )
        problems += [
            Message(
                "competency {competency!r}: course {course!r} has no bilingual title in the "
                "catalog",
                competency=c.id,
                course=course,
            )
            for course in c.courses
            if course not in catalog.courses
        ]
    return problems


# --------------------------------------------------------------------------- profile


class GroupRatings(Frozen):
    """What a group gave one ratee (anonymous groups: without who)."""

    group: Group
    anonymous: bool
    asked: int
    ratings: list[dict[str, RatingItem]] = Field(default_factory=list)


class GroupScore(Frozen):
    """A group's average for one competency. A hidden group has no average and no count."""

    group: Group
    anonymous: bool
    average: float | None
    raters: int | None
    hidden: bool = False
    note: Label | None = None


class GroupComment(Frozen):
    group: Group
    text: str


class CompetencyScore(Frozen):
    competency: str
    label: Label
    target: float
    groups: list[GroupScore]
    overall: float | None
    below_target: bool | None
    """None when there is no overall level (no published group of `overall_from`)."""
    shortfall: float | None
    courses: list[str]
    comments: list[GroupComment]


class CompetencyProfile(Frozen):
    """One person's results of one round: what the person, their manager chain and HR see."""

    round_id: str
    employee_id: str
    model_version: int
    scale_top: int
    competencies: list[CompetencyScore]
    gaps: list[str]
    """Competencies below their target level."""
    courses: list[str]
    """Courses recommended for the gaps, each once, in model order."""

    def score(self, competency_id: str) -> CompetencyScore:
        for c in self.competencies:
            if c.competency == competency_id:
                return c
        raise KeyError(competency_id)

    def values(self) -> list[tuple[str, Source, float]]:
        """(competency, source, level) for every published figure (for the ledger)."""
        out: list[tuple[str, Source, float]] = []
        for c in self.competencies:
            if c.overall is not None:
                out.append((c.competency, "overall", c.overall))
            for g in c.groups:
                if g.average is not None:
                    out.append((c.competency, g.group, g.average))
        return out


def _mean(values: Sequence[float]) -> float:
    return round(math.fsum(values) / len(values), 2)


def hidden_note(min_group_size: int) -> Message:
    return Message("hidden: fewer than {n} raters", n=min_group_size)


def no_ratings_note() -> Message:
    return Message("no ratings")


def build_profile(
    model: CompetencyModel,
    model_version: int,
    round_id: str,
    employee_id: str,
    groups: Sequence[GroupRatings],
    *,
    labels: Labeller,
) -> CompetencyProfile:
    """Group averages (peers and reports below `min_group_size` raters hidden), the
    overall level from the published groups of `overall_from`, gaps and courses.

    Comments appear with their group only where the group is published, sorted by text
    (never in the order they came in)."""
    scores: list[CompetencyScore] = []
    gaps: list[str] = []
    courses: list[str] = []
    # The notes are stored in every language: the caller's labeller says them.
    hidden, no_ratings = labels(hidden_note(model.min_group_size)), labels(no_ratings_note())
    by_group = {g.group: g for g in groups}
    for competency in model.competencies:
        cid = competency.id
        group_scores: list[GroupScore] = []
        comments: list[GroupComment] = []
        published: dict[Group, float] = {}
        for name in GROUPS:
            g = by_group.get(name)
            if g is None or g.asked == 0:
                continue
            levels = [float(r[cid].level) for r in g.ratings if cid in r]
            small = name in ("peers", "reports") and 0 < len(levels) < model.min_group_size
            if small:
                group_scores.append(
                    GroupScore(
                        group=name,
                        anonymous=g.anonymous,
                        average=None,
                        raters=None,
                        hidden=True,
                        note=hidden,
                    )
                )
                continue
            if not levels:
                group_scores.append(
                    GroupScore(
                        group=name,
                        anonymous=g.anonymous,
                        average=None,
                        raters=0,
                        note=no_ratings,
                    )
                )
                continue
            # The overall is built from the exact means; each is shown rounded.
            published[name] = math.fsum(levels) / len(levels)
            group_scores.append(
                GroupScore(
                    group=name, anonymous=g.anonymous, average=_mean(levels), raters=len(levels)
                )
            )
            texts = sorted(
                text for r in g.ratings if cid in r and (text := (r[cid].comment or "").strip())
            )
            comments += [GroupComment(group=name, text=t) for t in texts]
        parts = [published[name] for name in model.overall_from if name in published]
        overall = _mean(parts) if parts else None
        below = None if overall is None else round(overall, 6) < round(competency.target_level, 6)
        recommended = list(competency.courses) if below else []
        if below:
            gaps.append(cid)
            courses += [c for c in recommended if c not in courses]
        scores.append(
            CompetencyScore(
                competency=cid,
                label=competency.label,
                target=competency.target_level,
                groups=group_scores,
                overall=overall,
                below_target=below,
                shortfall=None
                if overall is None or not below
                else round(competency.target_level - overall, 2),
                courses=recommended,
                comments=comments,
            )
        )
    return CompetencyProfile(
        round_id=round_id,
        employee_id=employee_id,
        model_version=model_version,
        scale_top=model.top,
        competencies=scores,
        gaps=gaps,
        courses=courses,
    )


def canonical(ratings: Sequence[dict[str, RatingItem]]) -> list[dict[str, RatingItem]]:
    """Anonymous ratings in an order that depends on their content only (levels, then
    comments), so the order they arrived in, and thus who gave which, is not kept."""

    def key(r: dict[str, RatingItem]) -> tuple[tuple[str, int, str], ...]:
        return tuple((cid, r[cid].level, r[cid].comment or "") for cid in sorted(r))

    return sorted(ratings, key=key)


# --------------------------------------------------------------------------- gap summary


class CompetencyGap(Frozen):
    competency: str
    label: Label
    target: float
    assessed: int
    below_target: int
    share: float | None
    average: float | None
    courses: list[str]
    text: Label


def gap_summary(
    model: CompetencyModel, profiles: Sequence[CompetencyProfile], *, labels: Labeller
) -> list[CompetencyGap]:
    """Per competency: how many assessed people (with an overall level) are below the
    target ("65% have a resource-coordination gap", said in every language by `labels`)
    and the courses recommended."""
    out: list[CompetencyGap] = []
    for competency in model.competencies:
        levels: list[float] = []
        below = 0
        for p in profiles:
            try:
                score = p.score(competency.id)
            except KeyError:
                continue
            if score.overall is None:
                continue
            levels.append(score.overall)
            below += bool(score.below_target)
        share = round(below / len(levels), 4) if levels else None
        percent = "-" if share is None else f"{share * 100:.0f}%"
        out.append(
            CompetencyGap(
                competency=competency.id,
                label=competency.label,
                target=competency.target_level,
                assessed=len(levels),
                below_target=below,
                share=share,
                average=_mean(levels) if levels else None,
                courses=list(competency.courses),
                text=labels(
                    Message(
                        "{percent} ({below} of {assessed}) have a {competency} gap",
                        percent=percent,
                        below=below,
                        assessed=len(levels),
                        competency=competency.label,
                    )
                ),
            )
        )
    return out
