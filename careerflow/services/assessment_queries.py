"""360° assessment reads: they live in `projections.assessment_queries`; re-exported here for
the importers of this path."""

from projections.assessment_queries import (
    READERS,
    AssessmentQueries,
    CourseRef,
    GapReport,
    GroupProgress,
    GroupTotal,
    MyTask,
    MyTasks,
    ProfileView,
    RateeProgress,
    RaterStatus,
    RoundProgress,
    RoundSummary,
    TeamProfiles,
)

__all__ = [
    "READERS",
    "AssessmentQueries",
    "CourseRef",
    "GapReport",
    "GroupProgress",
    "GroupTotal",
    "MyTask",
    "MyTasks",
    "ProfileView",
    "RateeProgress",
    "RaterStatus",
    "RoundProgress",
    "RoundSummary",
    "TeamProfiles",
]
