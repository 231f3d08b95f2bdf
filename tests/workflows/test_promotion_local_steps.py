"""The promotion's event-writing steps as local activities (PATCH_LOCAL_STEPS) and
notifications created in one save (workflows.notify.PATCH_ONE_STEP): histories recorded
before both replay on the old path; a new run takes the new one, writes the same
promotion events (the opening and the first report in one save), one event per
notification with nothing to send, and replays."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from aggregates.ladder import Role
from aggregates.promotion import Stage, application_uuid
from careerflow.config import PostgresSettings
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.runner import ReadModels
from tests.conftest import TEST_DATA_CONVERTER
from tests.workflows.promotion_support import build_org
from tests.workflows.test_promotion import SUPERVISOR, event_names, run_worker, start, until_stage
from worker import WORKFLOW_RUNNER, WORKFLOWS
from workflows.notify import PATCH_ONE_STEP
from workflows.promotion import PATCH_LOCAL_STEPS, ManagerDecision, PromotionWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("promotion_*.json"))


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        yield s


@pytest.fixture
def read_models(pg: PostgresSettings, services: Engine) -> Iterator[ReadModels]:
    # The projections run too: top-percent rules rank against the read model.
    with ReadModels(pg, application_env(pg)) as rm:
        build_org(services)
        yield rm


def markers(history: dict[str, Any], name: str, detail: str) -> list[Any]:
    """The JSON `detail` of a history's markers of one kind (core_patch: patches applied,
    core_local_activity: local activities run)."""
    found = []
    for event in history["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker.get("markerName") == name:
            (payload,) = marker["details"][detail]["payloads"]
            found.append(json.loads(base64.b64decode(payload["data"])))
    return found


def patches(history: dict[str, Any]) -> set[str]:
    return {m["id"] for m in markers(history, "core_patch", "patch-data")}


def local_activities(history: dict[str, Any]) -> list[str]:
    return [m["activity_type"] for m in markers(history, "core_local_activity", "data")]


def scheduled(history: dict[str, Any]) -> list[str]:
    return [
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for e in history["events"]
        if "activityTaskScheduledEventAttributes" in e
    ]


async def replay(workflow_id: str, text: str) -> None:
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=TEST_DATA_CONVERTER, workflow_runner=WORKFLOW_RUNNER
    )
    await replayer.replay_workflow(WorkflowHistory.from_json(workflow_id, text))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_a_history_from_before_the_patches_replays_on_the_old_path(path: Path) -> None:
    text = path.read_text()
    history = json.loads(text)
    # Recorded before: regular activities throughout, the deadlines (once a round) local.
    assert patches(history) == set()
    assert set(local_activities(history)) == {"working_day_deadlines"}
    assert {"promotion_open", "promotion_submit_report", "create_notification"} <= set(
        scheduled(history)
    )
    await replay(path.stem, text)


def save_transactions(pg: PostgresSettings, application_id: str) -> list[str]:
    """Each stored event's writing transaction (events saved together share one)."""
    with psycopg.connect(pg.conninfo()) as conn:
        rows = conn.execute(
            "SELECT xmin::text FROM promotions_events WHERE originator_id = %s "
            "ORDER BY originator_version",
            (application_uuid(application_id),),
        ).fetchall()
    return [str(r[0]) for r in rows]


def notification_events(pg: PostgresSettings, application_id: str) -> dict[str, list[str]]:
    with psycopg.connect(pg.conninfo()) as conn:
        rows = conn.execute(
            "SELECT originator_id, topic FROM notifications_events ORDER BY notification_id"
        ).fetchall()
        keys = dict(
            conn.execute(
                "SELECT notification_id, key FROM rm_inbox WHERE key LIKE %s",
                (f"promotion/{application_id}/%",),
            ).fetchall()
        )
    found: dict[str, list[str]] = {}
    for originator, topic in rows:
        if originator in keys:
            found.setdefault(keys[originator], []).append(str(topic).rsplit(".", 1)[-1])
    return found


async def test_a_new_run_takes_local_steps_and_saves_less(
    env: WorkflowEnvironment, services: Engine, read_models: ReadModels, pg: PostgresSettings
) -> None:
    queue = f"q-{uuid.uuid4()}"
    async with run_worker(env.client, services, queue):
        handle = await start(env, queue, "E3", Role.senior_sales_rep)
        status = await until_stage(handle, Stage.manager_review)
        await handle.execute_update(
            PromotionWorkflow.decide,
            ManagerDecision(principal=SUPERVISOR, approve=False, comment="not yet"),
        )
        result = await handle.result()
        text = (await handle.fetch_history()).to_json()
    assert result.stage == Stage.rejected
    history = json.loads(text)
    assert patches(history) == {PATCH_LOCAL_STEPS, PATCH_ONE_STEP}
    # The steps the workflow takes itself are local (no channel configured: they write to
    # the store only); the manager's decision, asked for by an update, stays a regular
    # activity so that a lost workflow task cannot keep its event but lose the update.
    assert scheduled(history) == ["promotion_record_decision"]
    assert local_activities(history) == [
        "promotion_open_with_report",
        "notification_create_and_settle",  # the manager: an application waits for you
        "working_day_deadlines",
        "notification_create_and_settle",  # the applicant: not approved
    ]
    # The same promotion events as ever; the opening saved with the first report.
    assert event_names(services, status) == ["Started", "Submitted", "ManagerDecided"]
    opened, reported, decided = save_transactions(pg, status.application_id)
    assert opened == reported != decided
    # The manager's and the applicant's notifications: one Created event each, the idle
    # channels a field of it (the inbox shows them skipped, as before).
    read_models.wait_caught_up([services.store.notifications], timeout=60)
    notes = notification_events(pg, status.application_id)
    assert sorted(k.rsplit("/", 1)[-1] for k in notes) == ["approval", "rejected"]
    assert all(events == ["Created"] for events in notes.values()), notes
    with psycopg.connect(pg.conninfo()) as conn:
        delivered = [
            r[0]
            for r in conn.execute(
                "SELECT delivered FROM rm_inbox WHERE key LIKE %s",
                (f"promotion/{status.application_id}/%",),
            ).fetchall()
        ]
    assert delivered == [{"email": "skipped", "webhook": "skipped"}] * 2
    # The new path replays as it ran.
    await replay(handle.id, text)
