"""The codec server over HTTP, as Temporal's Web UI and CLI call it: HR (or the operator's
token) gets a workflow's encrypted payloads decrypted and sends payloads encrypted; other
roles are refused, no token is 401, a body that is not Payloads JSON is 422 naming the
field; the Web UI's origin (and only it) gets CORS answers."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from aggregates.competency import RatingItem
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.conftest import TEST_CODEC_KEYS
from workflows.assessment_round import RateRequest

DECODE = "/api/v1/codec/decode"
ENCODE = "/api/v1/codec/encode"
UI = "http://127.0.0.1:8233"  # the embedded Web UI (TEMPORAL_UI_PORT's default)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def as_json(payloads: Any) -> dict[str, Any]:
    """Payloads as protobuf JSON (bytes in base64), as the Web UI sends them."""
    return {
        "payloads": [
            {"metadata": {k: b64(v) for k, v in p.metadata.items()}, "data": b64(p.data)}
            for p in payloads
        ]
    }


async def a_rating_as_temporal_holds_it(api: ApiStack) -> dict[str, Any]:
    rating = RateRequest(
        principal=Principal(person_id="E2", role=AccessRole.employee),
        ratee_id="E1",
        ratings={"customer_insight": RatingItem(level=4, comment="ask product earlier")},
    )
    return as_json(await api.temporal.data_converter.encode([rating]))


async def test_hr_reads_a_rating_that_temporal_holds_encrypted(api: ApiStack) -> None:
    body = await a_rating_as_temporal_holds_it(api)
    (sealed,) = body["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    assert base64.b64decode(sealed["metadata"]["encryption-key-id"]) == b"tests"
    assert b"E2" not in base64.b64decode(sealed["data"])

    response = await api.call(
        "hr:H001", "POST", DECODE, json=body, headers={"X-Namespace": "default"}
    )
    assert response.status_code == 200, response.text
    (clear,) = response.json()["payloads"]
    assert base64.b64decode(clear["metadata"]["encoding"]) == b"json/plain"
    text = base64.b64decode(clear["data"]).decode()
    assert '"person_id":"E2"' in text and "ask product earlier" in text

    # Encoding and decoding again gives back what was sent.
    encoded = await api.call("hr:H001", "POST", ENCODE, json=response.json())
    assert encoded.status_code == 200
    assert encoded.json() != response.json()
    again = await api.call("hr:H001", "POST", DECODE, json=encoded.json())
    assert again.json() == response.json()


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("employee:E1", 403), ("manager:S001", 403), ("auditor:A001", 403)],
)
async def test_only_hr_or_the_operator_may_decode(
    api: ApiStack, who: str | None, status: int
) -> None:
    response = await api.call(who, "POST", DECODE, json=await a_rating_as_temporal_holds_it(api))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "E2" not in response.text and "ask product earlier" not in response.text
    if status == 403:
        assert "may not read or write Temporal payloads" in response.json()["detail"]


async def test_the_operators_token_decodes(api: ApiStack, monkeypatch: pytest.MonkeyPatch) -> None:
    body = await a_rating_as_temporal_holds_it(api)
    operator = {"Authorization": "Bearer operator-secret-0123456789"}
    assert (await api.http.post(DECODE, json=body, headers=operator)).status_code == 401
    monkeypatch.setenv("CAREERFLOW_CODEC_TOKEN", "operator-secret-0123456789")
    response = await api.http.post(DECODE, json=body, headers=operator)
    assert response.status_code == 200, response.text
    assert b"E2" in base64.b64decode(response.json()["payloads"][0]["data"])
    wrong = {"Authorization": "Bearer operator-secret-9876543210"}
    assert (await api.http.post(DECODE, json=body, headers=wrong)).status_code == 401


async def test_garbage_is_refused_naming_what_is_wrong(api: ApiStack) -> None:
    cases: list[tuple[Any, str]] = [
        ({"payloads": [{"metadata": {"encoding": "%%%"}, "data": ""}]}, "payloads.0.metadata"),
        ({"payloads": [{"data": "not base64!"}]}, "payloads.0.data"),
        ({"items": []}, "payloads"),
        ([1, 2], "body: "),
    ]
    for body, field in cases:
        response = await api.call("hr:H001", "POST", DECODE, json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.json()["detail"], (body, response.text)
    not_json = await api.call(
        "hr:H001", "POST", DECODE, content=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422

    # Encrypted with a key this engine does not have, or changed: refused with the reason.
    rating = await a_rating_as_temporal_holds_it(api)
    unknown = {"payloads": [dict(rating["payloads"][0])]}
    unknown["payloads"][0]["metadata"] = {
        **unknown["payloads"][0]["metadata"],
        "encryption-key-id": b64(b"2019"),
    }
    response = await api.call("hr:H001", "POST", DECODE, json=unknown)
    assert response.status_code == 422
    assert (
        "encrypted with the Temporal key '2019', which this engine was not given"
        in response.json()["detail"]
    )
    sealed = base64.b64decode(rating["payloads"][0]["data"])
    changed = {"payloads": [{**rating["payloads"][0], "data": b64(sealed[:-1] + b"\0")}]}
    response = await api.call("hr:H001", "POST", DECODE, json=changed)
    assert response.status_code == 422
    assert "does not decrypt with the Temporal key 'tests'" in response.json()["detail"]
    assert TEST_CODEC_KEYS.key_id == "tests"


async def test_the_web_uis_origin_may_call_the_codec_from_the_browser(api: ApiStack) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    response = await api.http.options(DECODE, headers=preflight)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-namespace" in response.headers["access-control-allow-headers"].lower()
    # The call itself, and its refusals, carry the headers (the UI can show a 401).
    body = await a_rating_as_temporal_holds_it(api)
    refused = await api.http.post(DECODE, json=body, headers={"Origin": UI})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == UI
    ok = await api.call("hr:H001", "POST", DECODE, json=body, headers={"Origin": UI})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == UI

    # Another origin gets nothing; nor does the rest of the API.
    other = await api.http.options(DECODE, headers={**preflight, "Origin": "http://evil.test"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    me = await api.call("hr:H001", "GET", "/api/v1/me", headers={"Origin": UI})
    assert "access-control-allow-origin" not in me.headers
