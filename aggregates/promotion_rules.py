"""The promotion process's pure parts: its stages, the refusal of a command id sent
again with a different content, and what a command reports back (the Promotions
application returns it, the activity contracts re-export it). Apart from
aggregates.promotion so that the workflow and the contracts need not import eventsourcing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from aggregates.criteria import CriterionResult
from aggregates.errors import DomainError
from words.messages import Message


class Stage(StrEnum):
    reporting = "reporting"
    manager_review = "manager_review"
    returned = "returned"
    hr_review = "hr_review"
    approved = "approved"  # announced; the role changes on the effective date
    promoted = "promoted"
    rejected = "rejected"  # by the manager
    declined = "declined"  # by HR, overriding a pass
    withdrawn = "withdrawn"


CLOSED = frozenset({Stage.promoted, Stage.rejected, Stage.declined, Stage.withdrawn})

# -- a command sent again ---------------------------------------------------------------
StepKind = Literal["decision", "hr_review", "withdrawal"]
STEP_NAMES = {
    "decision": Message("decision"),
    "hr_review": Message("HR review"),
    "withdrawal": Message("withdrawal"),
}

# The stages as words, for refusals that name one ("该申请已结束（已撤回）"): said in the
# reader's language, never the stage's id in another language's sentence.
STAGE_WORDS: dict[str, Message] = {
    Stage.reporting: Message("reporting"),
    Stage.manager_review: Message("manager review"),
    Stage.returned: Message("returned"),
    Stage.hr_review: STEP_NAMES["hr_review"],
    Stage.approved: Message("approved"),
    Stage.promoted: Message("promoted"),
    Stage.rejected: Message("rejected"),
    Stage.declined: Message("declined"),
    Stage.withdrawn: Message("withdrawn"),
}


def stage_word(stage: str) -> Message | str:
    """A stage (or its value) as a message said in the reader's language."""
    return STAGE_WORDS.get(str(stage), str(stage))


# The verbs a workflow refusal names, said in the reader's language like the rest of it.
ACTIONS = {
    "approve": Message("approve"),
    "decline": Message("decline"),
    "resubmit": Message("resubmit"),
    "withdraw": Message("withdraw"),
}


def reused_command(command_id: str, kind: StepKind, round_: int) -> DomainError:
    """The refusal of a command id sent again with a different content (the workflow's
    validators and the service say the same)."""
    return DomainError(
        "command id {command_id} already recorded a different {step} in round {round}; "
        "nothing was changed. Retry with exactly the same {step}, or use a new command id",
        command_id=command_id,
        step=STEP_NAMES[kind],
        round=round_,
    )


# -- what a command reports back ---------------------------------------------------------
class ReportSummary(BaseModel):
    """What the workflow needs to orchestrate; the full report is in the event."""

    round: int
    eligible: bool
    unmet: list[CriterionResult]
    manager_id: str | None
    managers_manager_id: str | None
    policy_versions: dict[str, int]


class CommandResult(BaseModel):
    application_id: str
    stage: Stage
    changed: bool
    notification_id: int | None = None
    # Set by `announce`: the moment the new role takes effect (start of the company day),
    # and the plan template that the development plan will follow, if there is one.
    effective_at: datetime | None = None
    plan_template_version: int | None = None


# -- the refusals the application and the workflow's validators both say ----------------
# Each rule is decided here once: the aggregate raises DomainError(refusal), a workflow
# validator raises refused(refusal), in the order each already checks its rules.
def closed_refusal(stage: Stage) -> Message | None:
    """A closed application (promoted, rejected, declined or withdrawn) takes no step."""
    if stage in CLOSED:
        return Message("the application is closed ({stage})", stage=stage_word(stage))
    return None


def manager_review_refusal(stage: Stage, this_round: bool = True) -> Message | None:
    """The manager decides an application at stage manager review, in its current round."""
    if stage != Stage.manager_review or not this_round:
        return Message(
            "the application is at stage {stage}, not manager review", stage=stage_word(stage)
        )
    return None


def rejection_refusal(approve: bool, comment: str) -> Message | None:
    """A rejection tells the applicant why."""
    if not approve and not comment.strip():
        return Message("a rejection needs a comment that tells the applicant why")
    return None


def override_refusal(reason: str) -> Message | None:
    """An HR override is part of the audit record: it needs a reason."""
    if not reason.strip():
        return Message("an override needs a reason; it is part of the audit record")
    return None


def withdraw_refusal(stage: Stage) -> Message | None:
    """An announced promotion is no longer withdrawn."""
    if stage == Stage.approved:
        return Message("the promotion is already announced; it can no longer be withdrawn")
    return None
