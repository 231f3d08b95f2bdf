"""The sales career ladder: four rungs, one step at a time.

HR, auditors and managers are system *users*, not rungs: the ladder only
describes the sales track that promotion criteria refer to.
"""

from __future__ import annotations

from enum import StrEnum

from words.messages import Message


class Role(StrEnum):
    """Rungs of the sales ladder, lowest first (declaration order is the ladder order)."""

    sales_rep = "sales_rep"
    senior_sales_rep = "senior_sales_rep"
    sales_supervisor = "sales_supervisor"
    sales_manager = "sales_manager"


LADDER: tuple[Role, ...] = tuple(Role)

ROLE_LABELS: dict[Role, dict[str, str]] = {
    Role.sales_rep: {"en": "Sales Representative", "zh": "销售代表"},
    Role.senior_sales_rep: {"en": "Senior Sales Representative", "zh": "高级销售代表"},
    Role.sales_supervisor: {"en": "Sales Supervisor", "zh": "销售主管"},
    Role.sales_manager: {"en": "Sales Manager", "zh": "销售经理"},
}


def next_role(role: Role | str) -> Role | None:
    """The rung above `role`, or None at the top. Raises ValueError for an unknown role."""
    index = LADDER.index(Role(role))
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def is_next_rung(current: Role | str, target: Role | str) -> bool:
    """True when `target` is exactly one rung above `current` (no skipping, no demotion)."""
    return next_role(current) == Role(target)


def promoted_to_refusal(role: Role) -> Message | None:
    """Nobody is promoted to the entry rung (promotion criteria and plan templates name
    the rung a promotion leads to)."""
    if role == LADDER[0]:
        return Message("sales_rep is the entry rung: nobody is promoted to it")
    return None
