"""Committed histories of every workflow path replay against the current workflow code,
so a non-deterministic change fails the build. Refresh them deliberately with
CAREERFLOW_RECORD_HISTORIES=1 (and a patch when old runs must keep replaying)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from aggregates.plan_values import PlanOutcome
from tests.conftest import TEST_DATA_CONVERTER
from words.messages import Message
from worker import WORKFLOW_RUNNER, WORKFLOWS
from workflows.development_plan import HR_INBOX, DevelopmentPlanWorkflow, StartPlan
from workflows.notify import notify

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_there_are_histories_for_every_promotion_path() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "promotion_approved_after_escalation",
        "promotion_returned_resubmitted_approved",
        "promotion_withdrawn",
        "promotion_hr_override",
        "promotion_rejected_after_activity_retry",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    text = path.read_text()
    workflow_id = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"].get(
        "workflowId", path.stem
    )
    history = WorkflowHistory.from_json(workflow_id, text)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=TEST_DATA_CONVERTER,
        workflow_runner=WORKFLOW_RUNNER,
    )
    await replayer.replay_workflow(history)


def test_there_are_histories_of_the_weekly_cycle() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "cycle_week_feedback_given",
        "cycle_week_defaulted_feedback_missed",
        "cycle_batch_week",
        "cycle_launcher_week",
        "month_close_with_training",
        "month_close_local",
        "month_close_batch",
    } <= names


def test_there_are_histories_of_the_assessment_round() -> None:
    names = {p.stem for p in HISTORIES}
    assert {"assessment_round_closed", "assessment_round_late_grace"} <= names


def test_there_are_histories_of_support_requests() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "support_sla_met",
        "support_breached_escalated",
        "support_product_30_minutes_breached",
        "support_reopened_closed_unconfirmed",
    } <= names


def test_there_are_histories_of_a_whole_plan() -> None:
    assert len([p for p in HISTORIES if p.stem.startswith("plan_run")]) >= 2


async def test_the_same_change_without_its_patch_would_break_running_plans() -> None:
    """The plan histories were recorded before overdue alerts also went to HR. The current
    code makes that change behind `workflow.patched`, so they replay (above); made
    without the patch, replaying the run with the overdue milestone fails."""
    replayer = Replayer(workflows=[Unpatched], data_converter=TEST_DATA_CONVERTER)
    failures = 0
    for path in HISTORIES:
        if not path.stem.startswith("plan_run"):
            continue
        text = path.read_text()
        result = await replayer.replay_workflow(
            WorkflowHistory.from_json(path.stem, text), raise_on_replay_failure=False
        )
        failures += isinstance(result.replay_failure, NondeterminismError)
    assert failures >= 1


@workflow.defn(name="DevelopmentPlan", sandboxed=False)
class Unpatched(DevelopmentPlanWorkflow):
    """The HR overdue alert made without `workflow.patched`: what not to do."""

    @workflow.run
    async def run(self, start: StartPlan) -> PlanOutcome:
        return await super().run(start)

    async def _send(self, outcome: PlanOutcome) -> None:
        await super()._send(outcome)
        for o in outcome.newly_overdue:
            await notify(
                key=f"plan/{self.plan_id}/{o.key}/{HR_INBOX}/x",
                recipient_id=HR_INBOX,
                kind="plan.overdue",
                title=Message("A development milestone is overdue"),
                body=Message("{text}", text=o.text),
            )
