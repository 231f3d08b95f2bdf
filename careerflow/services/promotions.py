"""The promotion commands are the Promotions application's (careerflow.applications.
promotions); the old names stay importable here."""

from __future__ import annotations

from aggregates.promotion_rules import CommandResult as CommandResult
from aggregates.promotion_rules import ReportSummary as ReportSummary
from careerflow.applications.promotions import check_can_apply as check_can_apply
from careerflow.applications.promotions import effective_date_after as effective_date_after
