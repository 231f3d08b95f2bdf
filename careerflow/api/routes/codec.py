"""The codec server: Temporal's Web UI and CLI send the payloads of a history here to have
them decrypted (and a payload they send to a workflow encrypted), so an operator with the
key reads what workflows were given without the key leaving the engine.

The protocol is Temporal's codec-server protocol: POST `.../codec/decode` and
`.../codec/encode` with `{"payloads": [...]}` (the Payloads message as protobuf JSON,
bytes in base64). Only HR, or a bearer token equal to `CAREERFLOW_CODEC_TOKEN` (an
operator's token, e.g. for `temporal workflow show --codec-auth`), may call it: a decrypted
history holds 360° raters and ratings. The browser calls it from the Web UI's origin
(`CAREERFLOW_CODEC_ORIGINS`, by default the embedded Web UI's), so these two paths, and
only these, answer CORS."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from pydantic import BaseModel, ConfigDict, Field, field_validator
from temporalio.api.common.v1 import Payload, Payloads

from aggregates.base import DomainError
from careerflow.api.auth import Context, bearer, principal
from careerflow.api.errors import problem_responses
from careerflow.codec import CODEC_PATH
from careerflow.principal import AccessRole
from words.messages import Invalid, Message

router = APIRouter(prefix="/codec", tags=["codec"])


def _base64(value: str) -> str:
    """Protobuf JSON writes bytes as base64, standard or URL-safe, padding optional."""
    padded = value + "=" * (-len(value) % 4)
    for alphabet in (b"+/", b"-_"):
        try:
            base64.b64decode(padded, altchars=alphabet, validate=True)
            return value
        except (binascii.Error, ValueError):
            continue
    raise Invalid("not base64 (protobuf JSON writes bytes as base64)")


class CodecPayload(BaseModel):
    """One `temporal.api.common.v1.Payload` as protobuf JSON."""

    model_config = ConfigDict(extra="allow")  # further Payload fields pass through

    metadata: dict[str, str] = Field(
        default_factory=dict, description="base64 values, e.g. encoding, encryption-key-id"
    )
    data: str = Field("", description="base64")

    @field_validator("data")
    @classmethod
    def _data(cls, value: str) -> str:
        return _base64(value)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, value: dict[str, str]) -> dict[str, str]:
        for text in value.values():
            _base64(text)
        return value


class CodecPayloads(BaseModel):
    """`temporal.api.common.v1.Payloads` as protobuf JSON."""

    payloads: list[CodecPayload]


def codec_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The operator's token, else an HR token (bearer, or the pages' cookie when the Web
    UI sends cross-origin credentials)."""
    operator = os.environ.get("CAREERFLOW_CODEC_TOKEN", "")
    if operator and credentials is not None:
        given = credentials.credentials.encode()
        if hmac.compare_digest(given, operator.encode()):
            return "operator"
    caller = principal(request, credentials)
    caller.require(AccessRole.hr, action=Message("read or write Temporal payloads"))
    return caller.person_id


CodecCaller = Annotated[str, Depends(codec_caller)]
RESPONSES = problem_responses("payloads", "the codec (not base64, or not decryptable)")


def _payloads(body: CodecPayloads) -> Payloads:
    message = Payloads()
    try:
        json_format.ParseDict(body.model_dump(), message)
    except json_format.ParseError as exc:
        raise DomainError(
            "the payloads are not Temporal Payloads in protobuf JSON: {error}", error=str(exc)
        ) from None
    return message


async def _convert(ctx: Context, body: CodecPayloads, encode: bool) -> JSONResponse:
    payloads = _payloads(body)
    codec = (await ctx.client()).data_converter.payload_codec
    out: Sequence[Payload] = payloads.payloads
    if codec is not None:  # without a key nothing is encrypted: both ways are the identity
        out = await (codec.encode(out) if encode else codec.decode(out))
    return JSONResponse(json_format.MessageToDict(Payloads(payloads=out)))


@router.post("/decode", response_model=CodecPayloads, responses=RESPONSES)
async def decode(body: CodecPayloads, who: CodecCaller, ctx: Context) -> JSONResponse:
    """HR or the operator: the payloads decrypted (those not encrypted come back as sent)."""
    return await _convert(ctx, body, encode=False)


@router.post("/encode", response_model=CodecPayloads, responses=RESPONSES)
async def encode(body: CodecPayloads, who: CodecCaller, ctx: Context) -> JSONResponse:
    """HR or the operator: the payloads encrypted with the engine's current key."""
    return await _convert(ctx, body, encode=True)


def install_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """CORS for the codec paths only: the Web UI (another origin) calls them from the
    browser, with the bearer token or the pages' cookie; nothing else is opened to it."""
    allowed = frozenset(origins)
    prefix = CODEC_PATH + "/"

    @app.middleware("http")
    async def codec_cors(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if not request.url.path.startswith(prefix):
            return await call_next(request)
        origin = request.headers.get("origin", "")
        response: Response
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            response = Response(status_code=204 if origin in allowed else 403)
        else:
            response = await call_next(request)
        if origin in allowed:
            response.headers.update(_cors_headers(origin))
        response.headers["Vary"] = "Origin"
        return response


def _cors_headers(origin: str) -> dict[str, Any]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Namespace",
        "Access-Control-Max-Age": "600",
    }
