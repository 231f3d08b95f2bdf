"""The development plan's refusals that the aggregate and the plan workflow's update
validators both say, each decided here once. Pure (words only), so the workflow uses them
without importing the event-sourced aggregate: the aggregate raises DomainError(refusal),
a validator raises refused(refusal)."""

from __future__ import annotations

from words.messages import Message


def setting_up_refusal() -> Message:
    """The plan's workflow runs but has not stored the plan yet (its first moments): the
    caller is told to try again (the workflow's validator and the plan service)."""
    return Message("the plan is still being set up; try again in a moment")


def closed_refusal(closed: bool) -> Message | None:
    """A closed plan takes no confirmation and no adjustment."""
    if closed:
        return Message("the development plan is closed")
    return None


def hand_confirmation_refusal(milestone_id: str, by_hand: bool) -> Message | None:
    """Only milestones of kind 'confirmed' are confirmed by hand; the others are measured."""
    if by_hand:
        return None
    return Message(
        "milestone {milestone_id!r} is measured from the metrics ledger; "
        "only milestones of kind 'confirmed' are confirmed by hand",
        milestone_id=milestone_id,
    )


def adjustment_reason_refusal(reason: str) -> Message | None:
    """An adjustment is part of the plan's record: it needs a reason."""
    if not reason.strip():
        return Message("an adjustment needs a reason; it is part of the plan's record")
    return None
