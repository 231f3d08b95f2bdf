"""Temporal payloads are encrypted (careerflow/codec.py): a 360° round's raw history, as the
server and its Web UI hold it, has no rater, rating or comment in clear, while the engine
(with the key) runs the round as before; keys rotate (old ids stay decryptable); the
embedded stack keeps its key in the var dir and gives it to its children and the Web UI."""

from __future__ import annotations

import asyncio
import base64
import json
import stat
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from google.protobuf.message import Message as ProtoMessage
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.assessments import RoundRequest
from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport
from careerflow.codec import (
    ENCODING,
    KEY_ID_METADATA,
    CodecKeyError,
    CodecKeys,
    EncryptionCodec,
    PayloadKeyUnknown,
    PayloadNotDecryptable,
    engine_data_converter,
    key_file,
    key_id_of,
    keys_from_env,
)
from careerflow.config import PostgresSettings, Settings, TemporalSettings
from careerflow.demo_loader import DEMO_HR
from careerflow.engine import Engine
from careerflow.stack import child_env
from careerflow.store import Store, application_env
from careerflow.temporal_server import TemporalDevServer
from projections.runner import ReadModels
from tests.conftest import TEST_CODEC_KEYS
from tests.workflows.promotion_support import build_org
from tests.workflows.test_assessment_round import HR, S001, move_to, rating, rep, worker
from workflows.assessment_round import AssessmentRoundWorkflow, RateRequest

HISTORIES = Path(__file__).parent / "workflows" / "histories"
KEY_ENV = ("CAREERFLOW_TEMPORAL_KEY", "CAREERFLOW_TEMPORAL_KEY_ID", "CAREERFLOW_TEMPORAL_OLD_KEYS")
# What a 360° round's inputs look like in clear: the raters (quoted, as in JSON), the
# rating fields and the comments given below.
RATERS = [b'"E1"', b'"E2"', b'"E3"', b'"E4"', b'"S001"']
RATING_FIELDS = [b'"level"', b'"ratings"', b'"person_id"', b'"rater_id"']
COMMENTS = [b"codec self note", b"codec manager remark", b"codec peer remark"]


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_ENV:
        monkeypatch.delenv(name, raising=False)


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def clear_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


# -- the round's raw history ---------------------------------------------------------------
def payloads_in(message: ProtoMessage) -> Iterator[Payload]:
    """Every Payload anywhere in a history event, except search attributes (the server
    indexes them, so they are never encoded; the engine's carry no personal data)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            values = list(value.values())
        elif field.is_repeated:
            values = list(value)
        else:
            values = [value]
        for item in values:
            if isinstance(item, ProtoMessage):
                yield from payloads_in(item)


def user_payloads(event: HistoryEvent) -> Iterator[Payload]:
    """The payloads the data converter wrote: a marker's details other than its "result"
    are the SDK's own bookkeeping (a patch's id, a local activity's id, type and attempt),
    written as plain JSON by Temporal's core, not by the engine."""
    if event.HasField("marker_recorded_event_attributes"):
        details = event.marker_recorded_event_attributes.details
        for key, found in details.items():
            if key == "result":
                yield from found.payloads
        return
    yield from payloads_in(event)


def in_clear(history: WorkflowHistory, needles: list[bytes]) -> set[bytes]:
    raw = b"".join(event.SerializeToString() for event in history.events)
    return {needle for needle in needles if needle in raw}


def committed(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(name, (HISTORIES / f"{name}.json").read_text())


def test_the_check_finds_a_round_recorded_in_clear() -> None:
    """Without the codec (the committed history was recorded before it) the same check
    finds the raters and ratings: it can fail."""
    history = committed("assessment_round_closed")
    assert in_clear(history, RATERS) == set(RATERS)
    assert {b'"level"', b'"ratings"'} <= in_clear(history, RATING_FIELDS)
    assert any(p.metadata.get("encoding") != ENCODING for e in history.events
               for p in payloads_in(e))  # fmt: skip


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with (
        ReadModels(pg, application_env(pg)) as read_models,
        Engine(Store(pg)) as s,
    ):
        build_org(s)
        s.people.import_org(  # E1 gets three peers: an anonymous group that is published
            DEMO_HR,
            OrgImport(
                employees=[
                    EmployeeIn(
                        employee_id="E4",
                        name="E4",
                        role=Role.sales_rep,
                        team_id="T001",
                        manager_id="S001",
                        hire_date=date(2024, 1, 1),
                    )
                ]
            ),
        )
        read_models.wait_caught_up(s.store.applications(), timeout=60)
        yield s


async def test_a_rounds_raw_history_holds_no_rater_or_rating_in_clear(
    env: WorkflowEnvironment, services: Engine
) -> None:
    assert env.client.data_converter.payload_codec is not None  # the engine's converter
    queue = f"q-codec-{uuid.uuid4().hex[:8]}"
    round_id = "codec-round"
    process = services.assessment_process(env.client, queue)
    async with worker(env, services, queue):
        start = await env.get_current_time()
        deadline = start + timedelta(days=3)
        started = await process.start_round(
            HR, RoundRequest(round_id=round_id, employee_ids=["E1"], deadline=deadline)
        )
        handle = env.client.get_workflow_handle_for(
            AssessmentRoundWorkflow.run, started.workflow_id
        )
        for _ in range(300):
            if (await handle.query(AssessmentRoundWorkflow.state)).opened:
                break
            await asyncio.sleep(0.2)
        given = [
            (rep("E1"), rating(5, 5, 4, "codec self note")),
            (S001, rating(4, 4, 2, "codec manager remark")),
            (rep("E2"), rating(4, 3, 3, "codec peer remark")),
            (rep("E3"), rating(3, 4, 2)),
            (rep("E4"), rating(4, 4, 3)),
        ]
        for who, items in given:
            await process.rate(who, round_id, "E1", items)
        await move_to(env, deadline + timedelta(minutes=5))
        outcome = await handle.result()  # the engine, with the key, reads it all
        assert (outcome.asked, outcome.rated) == (5, 5)
        history = await handle.fetch_history()  # as stored: not decoded

    assert in_clear(history, RATERS + RATING_FIELDS + COMMENTS) == set()
    payloads = [p for event in history.events for p in user_payloads(event)]
    assert len(payloads) > 10  # the start input, five rating Updates, activities, result
    assert {(p.metadata["encoding"], p.metadata[KEY_ID_METADATA]) for p in payloads} == {
        (ENCODING, b"tests")
    }
    # Each rating Update's input is there, readable only with the key.
    updates = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.input.args.payloads
        for e in history.events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert len(updates) == 5
    with pytest.raises(Exception, match="encrypted"):  # without the codec: unreadable
        pydantic_data_converter.payload_converter.from_payloads(updates[2], [RateRequest])
    decoded = await env.client.data_converter.decode(updates[2], [RateRequest])
    assert decoded[0].principal.person_id == "E2"
    assert decoded[0].ratings["resource_coordination"].comment == "codec peer remark"


# -- the codec -------------------------------------------------------------------------------
async def test_payloads_round_trip_and_stay_readable_after_a_key_rotation() -> None:
    first = CodecKeys.generate()
    second = CodecKeys.generate()
    original = [clear_payload('{"rater": "E2", "level": 4}'), clear_payload('"E3"')]
    sealed = await EncryptionCodec(first).encode(original)
    assert [p.metadata["encoding"] for p in sealed] == [ENCODING, ENCODING]
    assert {p.metadata[KEY_ID_METADATA] for p in sealed} == {first.key_id.encode()}
    assert all(b"E2" not in p.SerializeToString() for p in sealed)
    assert sealed[0].data != (await EncryptionCodec(first).encode(original[:1]))[0].data  # nonce
    assert await EncryptionCodec(first).decode(sealed) == original

    # Rotated: the new key encrypts, the old one (by id) still decrypts.
    rotated = EncryptionCodec(CodecKeys(second.key_id, second.key, {first.key_id: first.key}))
    assert await rotated.decode(sealed) == original
    resealed = await rotated.encode(original)
    assert {p.metadata[KEY_ID_METADATA] for p in resealed} == {second.key_id.encode()}
    assert await rotated.decode([*sealed, *resealed]) == original + original

    # Without the old key: refused, naming the key id and what to do.
    with pytest.raises(PayloadKeyUnknown) as unknown:
        await EncryptionCodec(second).decode(sealed)
    assert f"payload 1 was encrypted with the Temporal key '{first.key_id}'" in str(unknown.value)
    assert "CAREERFLOW_TEMPORAL_OLD_KEYS" in str(unknown.value)
    # A different key under the same id, or a changed byte: refused, not garbage.
    impostor = EncryptionCodec(CodecKeys(first.key_id, second.key))
    with pytest.raises(PayloadNotDecryptable, match="does not decrypt with the Temporal key"):
        await impostor.decode(sealed)
    tampered = Payload()
    tampered.CopyFrom(sealed[1])
    tampered.data = tampered.data[:-1] + bytes([tampered.data[-1] ^ 1])
    with pytest.raises(PayloadNotDecryptable, match="payload 2 does not decrypt"):
        await EncryptionCodec(first).decode([sealed[0], tampered])
    # A payload recorded in clear (before the codec) passes through.
    assert await EncryptionCodec(first).decode(original) == original


def test_committed_histories_in_clear_replay_through_the_codec() -> None:
    """tests/workflows/test_replay.py replays them all with the tests' encrypted converter;
    here: those payloads are clear ones, which the codec passes through."""
    history = committed("promotion_withdrawn")
    payloads = [p for event in history.events for p in payloads_in(event)]
    assert payloads and all(p.metadata.get("encoding") != ENCODING for p in payloads)
    assert asyncio.run(EncryptionCodec(TEST_CODEC_KEYS).decode(payloads)) == payloads


def test_the_key_comes_from_the_environment_with_old_keys_for_rotation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert keys_from_env(tmp_path) is None
    current, old = CodecKeys.generate(), CodecKeys.generate()
    monkeypatch.setenv("CAREERFLOW_TEMPORAL_KEY", b64(current.key))
    monkeypatch.setenv("CAREERFLOW_TEMPORAL_OLD_KEYS", f"2025-q4:{b64(old.key)}, {b64(b'x' * 32)}")
    keys = keys_from_env(tmp_path)
    assert keys is not None and keys.key_id == key_id_of(current.key) == current.key_id
    assert keys.old == {"2025-q4": old.key, key_id_of(b"x" * 32): b"x" * 32}
    monkeypatch.setenv("CAREERFLOW_TEMPORAL_KEY_ID", "2026-q1")
    converter = engine_data_converter(tmp_path)
    codec = converter.payload_codec
    assert isinstance(codec, EncryptionCodec) and codec.keys.key_id == "2026-q1"

    for name, value, problem in [
        ("CAREERFLOW_TEMPORAL_KEY", "not base64!", "CAREERFLOW_TEMPORAL_KEY: expected the base64"),
        ("CAREERFLOW_TEMPORAL_KEY", b64(b"short"), "of 32 random bytes"),
        ("CAREERFLOW_TEMPORAL_KEY_ID", "a b", "key id 'a b' must be 1-64 letters"),
        ("CAREERFLOW_TEMPORAL_OLD_KEYS", "old:zzz", "CAREERFLOW_TEMPORAL_OLD_KEYS (old)"),
    ]:
        with monkeypatch.context() as m:
            m.setenv(name, value)
            with pytest.raises(
                CodecKeyError, match=problem.replace("(", r"\(").replace(")", r"\)")
            ):
                keys_from_env(tmp_path)
    monkeypatch.delenv("CAREERFLOW_TEMPORAL_KEY")
    with pytest.raises(CodecKeyError, match="no current key: set CAREERFLOW_TEMPORAL_KEY"):
        keys_from_env(tmp_path)


def test_the_embedded_stack_keeps_its_key_in_the_var_dir_and_hands_it_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    settings = Settings(var_dir=var_dir, postgres=None, temporal=TemporalSettings())
    pg = PostgresSettings(host="/tmp")
    env = child_env(settings, pg, settings.temporal)
    path = key_file(var_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # created at the first start
    stored = json.loads(path.read_text())
    assert env["CAREERFLOW_TEMPORAL_KEY"] == stored["key"]
    assert env["CAREERFLOW_TEMPORAL_KEY_ID"] == stored["key_id"]
    # Kept: the next start gives the children the same key.
    assert child_env(settings, pg, settings.temporal)["CAREERFLOW_TEMPORAL_KEY"] == stored["key"]
    # A command in another terminal (no key in its environment) finds it there.
    keys = keys_from_env(var_dir)
    assert keys is not None and b64(keys.key) == stored["key"]
    # A configured key wins and is inherited as it is; an external cluster gets no file.
    monkeypatch.setenv("CAREERFLOW_TEMPORAL_KEY", b64(b"k" * 32))
    assert child_env(settings, pg, settings.temporal)["CAREERFLOW_TEMPORAL_KEY"] == b64(b"k" * 32)
    monkeypatch.delenv("CAREERFLOW_TEMPORAL_KEY")
    external = settings.model_copy(
        update={"var_dir": tmp_path / "other", "embedded_temporal": False}
    )
    assert "CAREERFLOW_TEMPORAL_KEY" not in child_env(external, pg, settings.temporal)
    assert not key_file(tmp_path / "other").exists()


def test_the_embedded_web_ui_is_pointed_at_the_codec_endpoint(tmp_path: Path) -> None:
    server = TemporalDevServer(tmp_path, codec_endpoint="http://127.0.0.1:8000/api/v1/codec")
    command = server.command()
    at = command.index("--ui-codec-endpoint")
    assert command[at + 1] == "http://127.0.0.1:8000/api/v1/codec"
    headless = TemporalDevServer(tmp_path, headless=True, codec_endpoint="http://x/api/v1/codec")
    assert "--ui-codec-endpoint" not in headless.command()  # no Web UI, nothing to point
