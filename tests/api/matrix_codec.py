"""The codec server: only HR (or the operator's token, tests/api/test_api_codec.py) has
Temporal payloads decrypted or encrypted; a decrypted history holds 360° raters."""

from __future__ import annotations

import base64
from typing import Any

from tests.api.matrix import Case


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


CLEAR = {"payloads": [{"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(b'"E2"')}]}


def _encrypted(who: str, body: Any) -> None:
    (payload,) = body["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted", who
    assert b"E2" not in base64.b64decode(payload["data"]), who


def _as_sent(who: str, body: Any) -> None:
    assert body == CLEAR, who  # a payload in clear passes through


CASES = [
    Case("POST", "/codec/encode", "/codec/encode", {"hr:H001": "ok"}, json=CLEAR, check=_encrypted),
    Case("POST", "/codec/decode", "/codec/decode", {"hr:H001": "ok"}, json=CLEAR, check=_as_sent),
]
