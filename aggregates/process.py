"""Process settings as a versioned policy document (kind "promotion_process")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aggregates.documents import Frozen


class PromotionProcess(Frozen):
    kind: Literal["promotion_process"] = "promotion_process"
    country: str = Field(default="CN", min_length=2, max_length=3)
    time_zone: str = "Asia/Shanghai"
    remind_manager_after_working_days: int = Field(default=2, ge=1)
    escalate_after_working_days: int = Field(default=3, ge=1)
    target_working_days: float = Field(default=5, gt=0)
    # Promotions take effect on the 1st of the month after the announcement.
    effective: Literal["first_of_next_month"] = "first_of_next_month"


class AccessRules(Frozen):
    """Who sees whom beyond the fixed rules (self; HR and auditors everyone)."""

    kind: Literal["access_rules"] = "access_rules"
    # "transitive": a manager sees their reports' reports too; "direct": only their own.
    manager_scope: Literal["transitive", "direct"] = "transitive"
