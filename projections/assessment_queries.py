"""360° assessment rounds from the read model, through the access rules: one object
holding every assessment query, for the engine. The queries live by what they read:

    projections.assessment_rounds     HR's rounds, a round's progress and gap summary
    projections.assessment_tasks      a rater's own tasks and the rating form
    projections.assessment_profiles   a person's profiles, a manager's team

Anonymity in every answer: anonymous groups appear in progress as counts only (who
was asked and who has rated is never listed), no answer carries a per-rating moment,
results exist only once a round has closed, and a group of fewer raters than the
competency model's minimum has no average (its note says why)."""

from __future__ import annotations

from projections.assessment_profiles import (
    CourseRef,
    ProfileQueries,
    ProfileRow,
    ProfilesPage,
    ProfileView,
    TeamProfiles,
    TeamProfilesPage,
    TeamProfilesView,
)
from projections.assessment_rounds import (
    READERS,
    GapReport,
    GroupProgress,
    GroupTotal,
    RateeProgress,
    RaterStatus,
    RoundProgress,
    RoundProgressPage,
    RoundProgressView,
    RoundQueries,
    RoundsPage,
    RoundSummary,
)
from projections.assessment_tasks import (
    FormCompetency,
    FormLevel,
    MyTask,
    MyTasks,
    MyTasksPage,
    RatingForm,
    TaskQueries,
)

__all__ = [
    "READERS",
    "AssessmentQueries",
    "CourseRef",
    "FormCompetency",
    "FormLevel",
    "GapReport",
    "GroupProgress",
    "GroupTotal",
    "MyTask",
    "MyTasks",
    "MyTasksPage",
    "ProfileRow",
    "ProfileView",
    "ProfilesPage",
    "RateeProgress",
    "RaterStatus",
    "RatingForm",
    "RoundProgress",
    "RoundProgressPage",
    "RoundProgressView",
    "RoundSummary",
    "RoundsPage",
    "TeamProfiles",
    "TeamProfilesPage",
    "TeamProfilesView",
]


class AssessmentQueries(RoundQueries, TaskQueries, ProfileQueries):
    """Every assessment query on one read pool (the engine's `assessment_queries`)."""
