"""Temporal payloads encrypted (AES-256-GCM) before they leave the process, so workflow
inputs (a 360° rater and rating, a manager's comment) are not plain text in Temporal's
histories or its Web UI.

Every engine process builds its Temporal client, worker and replayer with
`engine_data_converter`. The key comes from `CAREERFLOW_TEMPORAL_KEY` (base64 of 32 bytes;
`CAREERFLOW_TEMPORAL_KEY_ID` names it, by default a digest of the key), else from the
key file the embedded stack creates in the var dir. Each encrypted payload names its key
id in its metadata, so keys rotate: the new key encrypts, the old ones stay decryptable
through `CAREERFLOW_TEMPORAL_OLD_KEYS` (`id:key,...`). A payload that is not encrypted
passes through unchanged: histories recorded before the codec still replay.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import logging
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

from Crypto.Cipher import AES
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from aggregates.base import DomainError
from words.messages import Message

log = logging.getLogger("careerflow.codec")

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
KEY_FILE = "temporal-codec.key"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# Where the API serves the codec (careerflow/api/routes/codec.py) for the Web UI and CLI.
CODEC_PATH = "/api/v1/codec"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class CodecKeyError(RuntimeError):
    """The key configuration is unusable; raised at start, before anything is encrypted."""


class PayloadKeyUnknown(DomainError):
    """A payload was encrypted with a key this process was not given."""


class PayloadNotDecryptable(DomainError):
    """A payload does not decrypt with the key its metadata names (changed, or a different
    key under the same id)."""


def key_id_of(key: bytes) -> str:
    """A key's default id: a digest, so every process given the same key agrees on it."""
    return "k" + hashlib.sha256(b"careerflow temporal key id\0" + key).hexdigest()[:12]


def parse_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise CodecKeyError(
            f"{where}: expected the base64 of {KEY_BYTES} random bytes (e.g. the output of "
            '`python -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"`)'
        )
    return key


def _check_id(key_id: str, where: str) -> str:
    if not _KEY_ID.fullmatch(key_id):
        raise CodecKeyError(
            f"{where}: key id {key_id!r} must be 1-64 letters, digits, '.', '_' or '-'"
        )
    return key_id


@dataclasses.dataclass(frozen=True)
class CodecKeys:
    """The key that encrypts, and every key (by id) that may decrypt."""

    key_id: str
    key: bytes
    old: Mapping[str, bytes] = dataclasses.field(default_factory=dict)

    @classmethod
    def generate(cls) -> CodecKeys:
        key = secrets.token_bytes(KEY_BYTES)
        return cls(key_id_of(key), key)

    def ring(self) -> dict[str, bytes]:
        return {**self.old, self.key_id: self.key}

    def env(self) -> dict[str, str]:
        """The variables that give another process this key (the stack's children)."""
        return {
            "CAREERFLOW_TEMPORAL_KEY": base64.b64encode(self.key).decode(),
            "CAREERFLOW_TEMPORAL_KEY_ID": self.key_id,
        }


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM per payload: a random nonce, the key id bound as associated data."""

    def __init__(self, keys: CodecKeys) -> None:
        self.keys = keys
        self._ring = keys.ring()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p, i) for i, p in enumerate(payloads, start=1)]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.keys.key_id
        nonce = secrets.token_bytes(NONCE_BYTES)
        cipher = AES.new(self.keys.key, AES.MODE_GCM, nonce=nonce)
        cipher.update(key_id.encode())
        sealed, tag = cipher.encrypt_and_digest(payload.SerializeToString())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()},
            data=nonce + sealed + tag,
        )

    def decrypt(self, payload: Payload, index: int = 1) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # recorded in clear (before the codec, or a search attribute)
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        key = self._ring.get(key_id)
        if key is None:
            raise PayloadKeyUnknown(
                Message(
                    "payload {index} was encrypted with the Temporal key {key_id!r}, which "
                    "this engine was not given; add it to CAREERFLOW_TEMPORAL_OLD_KEYS as "
                    "{key_id}:<base64 key>",
                    index=index,
                    key_id=key_id,
                )
            )
        data = payload.data
        if len(data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadNotDecryptable(
                Message(
                    "payload {index} is too short to be encrypted with the Temporal key {key_id!r}",
                    index=index,
                    key_id=key_id,
                )
            )
        nonce, sealed, tag = data[:NONCE_BYTES], data[NONCE_BYTES:-TAG_BYTES], data[-TAG_BYTES:]
        cipher = AES.new(key, AES.MODE_GCM, nonce=nonce)
        cipher.update(key_id.encode())
        try:
            plain = cipher.decrypt_and_verify(sealed, tag)
        except ValueError:
            raise PayloadNotDecryptable(
                Message(
                    "payload {index} does not decrypt with the Temporal key {key_id!r}: it "
                    "was changed, or a different key was given that id",
                    index=index,
                    key_id=key_id,
                )
            ) from None
        return Payload.FromString(plain)


# -- where the key comes from -----------------------------------------------------------
def key_file(var_dir: Path) -> Path:
    return var_dir / KEY_FILE


def _read_key_file(path: Path) -> CodecKeys:
    try:
        data = json.loads(path.read_text())
        key = parse_key(str(data["key"]), str(path))
        key_id = _check_id(str(data["key_id"]), str(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CodecKeyError(f"{path}: not a careerflow Temporal key file ({exc!r})") from exc
    return CodecKeys(key_id, key)


def ensure_key_file(var_dir: Path) -> CodecKeys:
    """The embedded default's key: created (owner-only) at the first start, kept after."""
    path = key_file(var_dir)
    if path.exists():
        return _read_key_file(path)
    var_dir.mkdir(parents=True, exist_ok=True)
    keys = CodecKeys.generate()
    text = json.dumps({"key_id": keys.key_id, "key": base64.b64encode(keys.key).decode()})
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return _read_key_file(path)
    with os.fdopen(fd, "w") as out:
        out.write(text + "\n")
    return keys


def _old_keys(text: str) -> dict[str, bytes]:
    where = "CAREERFLOW_TEMPORAL_OLD_KEYS"
    old: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, sep, raw = item.partition(":")  # base64 has no ':'
        if not sep:
            key = parse_key(item, where)
            old[key_id_of(key)] = key
        else:
            old[_check_id(key_id.strip(), where)] = parse_key(raw, f"{where} ({key_id})")
    return old


def keys_from_env(var_dir: Path) -> CodecKeys | None:
    """The configured keys: the environment, else the var dir's key file, else none."""
    old = _old_keys(os.environ.get("CAREERFLOW_TEMPORAL_OLD_KEYS", ""))
    raw = os.environ.get("CAREERFLOW_TEMPORAL_KEY", "")
    if raw.strip():
        key = parse_key(raw, "CAREERFLOW_TEMPORAL_KEY")
        named = os.environ.get("CAREERFLOW_TEMPORAL_KEY_ID", "").strip()
        key_id = _check_id(named, "CAREERFLOW_TEMPORAL_KEY_ID") if named else key_id_of(key)
        return CodecKeys(key_id, key, old)
    path = key_file(var_dir)
    if path.exists():
        return dataclasses.replace(_read_key_file(path), old=old)
    if old:
        raise CodecKeyError(
            "CAREERFLOW_TEMPORAL_OLD_KEYS is set but no current key: set "
            "CAREERFLOW_TEMPORAL_KEY to the key that encrypts from now on"
        )
    return None


def stack_codec_env(var_dir: Path, embedded_temporal: bool) -> dict[str, str]:
    """What `careerflow start` adds to its children's environment: nothing when the key
    is configured (they inherit it); with the embedded Temporal, the var dir's key
    (created at the first start)."""
    if os.environ.get("CAREERFLOW_TEMPORAL_KEY", "").strip() or not embedded_temporal:
        return {}
    return ensure_key_file(var_dir).env()


# -- the data converter -----------------------------------------------------------------
def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """The engine's converter (pydantic JSON) with `codec`; failure messages and stack
    traces go into the encrypted attributes too, as they may quote an input."""
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


_warned = False


def engine_data_converter(var_dir: Path) -> DataConverter:
    """The one data converter every engine process uses with Temporal."""
    global _warned
    keys = keys_from_env(var_dir)
    if keys is None:
        if not _warned:
            _warned = True
            log.warning(
                "Temporal payloads are NOT encrypted: workflow inputs (360° ratings, "
                "comments) are plain text in Temporal's histories; set "
                "CAREERFLOW_TEMPORAL_KEY (README, Configuration)"
            )
        return data_converter(None)
    return data_converter(EncryptionCodec(keys))


def codec_origins(ui_port: int) -> list[str]:
    """Web UI origins allowed to call the codec endpoint from the browser."""
    given = os.environ.get("CAREERFLOW_CODEC_ORIGINS", "")
    if given.strip():
        return [o.strip().rstrip("/") for o in given.split(",") if o.strip()]
    return [f"http://127.0.0.1:{ui_port}", f"http://localhost:{ui_port}"]


def codec_endpoint(api_host: str, api_port: int) -> str:
    """The codec endpoint as a browser on this machine reaches the API."""
    host = "127.0.0.1" if api_host in ("", "0.0.0.0", "::") else api_host
    return f"http://{host}:{api_port}{CODEC_PATH}"
