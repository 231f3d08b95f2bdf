"""The 360° round commands are the Assessments application's (careerflow.applications.
assessments); the old names stay importable here."""

from __future__ import annotations

# The round's contracts live beside its activities; the faces and tests import them here.
from activities.assessments import (
    ANONYMOUS_DEFAULT,
    CloseRound,
    OpenRound,
    RateCommand,
    RatingReceipt,
    RoundInfo,
    RoundRequest,
    SealedRating,
    sealed_order,
)
from aggregates.assessment_rules import local_label
from careerflow.applications.assessments import MAX_RATEES, MIN_LEAD, ROUND_ID

__all__ = [
    "ANONYMOUS_DEFAULT",
    "MAX_RATEES",
    "MIN_LEAD",
    "ROUND_ID",
    "CloseRound",
    "OpenRound",
    "RateCommand",
    "RatingReceipt",
    "RoundInfo",
    "RoundRequest",
    "SealedRating",
    "local_label",
    "sealed_order",
]
