"""Committed histories of every workflow path replay against the current workflow code,
so a non-deterministic change fails the build. Refresh them deliberately with
CAREERFLOW_RECORD_HISTORIES=1 (and a patch when old runs must keep replaying)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOW_RUNNER, WORKFLOWS

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
        data_converter=pydantic_data_converter,
        workflow_runner=WORKFLOW_RUNNER,
    )
    await replayer.replay_workflow(history)
