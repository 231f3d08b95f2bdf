"""Calling a workflow Update and turning its failures into the engine's own errors."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from words.messages import Message

# A command id a caller chose (an API Idempotency-Key, a page's form id, `--command-id`):
# it becomes part of a Temporal Update id and is recorded on the event.
COMMAND_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

# Failure types that are refusals, as the error class the API maps to a status.
REFUSALS: dict[str, type[DomainError]] = {
    "DomainError": DomainError,
    "IngestError": DomainError,
    "NotFoundError": NotFoundError,
    "PermissionDeniedError": PermissionDeniedError,
}


def refusal(exc: BaseException) -> DomainError | None:
    """The business refusal inside a failed Update or workflow (a validator's `refuse`, or
    an activity's DomainError), rebuilt with its template and values so it can be said in
    the reader's language; None when the failure is not a refusal."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
            return REFUSALS[cause.type](Message.from_failure(cause.details, cause.message))
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return None


def as_domain_error(exc: BaseException) -> DomainError:
    """A failed Update as the engine's error: the refusal, or its innermost message."""
    return refusal(exc) or DomainError(Message.verbatim(failure_message(exc)))


def failure_message(exc: BaseException) -> str:
    """The innermost message: a validator's refusal, or the business rule an activity
    refused with (wrapped in ActivityError by Temporal)."""
    message = str(exc)
    cause: BaseException | None = exc
    while cause is not None:
        text = getattr(cause, "message", None)
        if text and text not in ("Activity task failed", "Workflow update failed"):
            message = text
        cause = cause.__cause__ or getattr(cause, "cause", None)
    return message


def new_command_id() -> str:
    return str(uuid.uuid4())


def command_id_or_new(command_id: str | None) -> str:
    """The caller's command id, checked, or a fresh one when they sent none."""
    if command_id is None or not command_id.strip():
        return new_command_id()
    command_id = command_id.strip()
    if not COMMAND_ID.fullmatch(command_id):
        raise DomainError(
            "command id {command_id!r}: use 1 to 128 letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit (a UUID will do)",
            command_id=command_id,
        )
    return command_id


def update_id(command_id: str, update: str, content: Any) -> str:
    """The Temporal Update id of a command: its command id, the Update's name and a
    digest of what it says. Temporal answers an Update id it has seen with the first
    answer without looking at the input, so the digest keeps the same command id with a
    different content (or for another Update) from being answered as if it were the
    same: that reaches the validator, which refuses it."""
    text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{command_id}/{update}/{digest}"


async def execute_update(
    client: Client,
    workflow_id: str,
    update: Any,
    arg: Any,
    result_type: type,
    message: Message,
    update_id: str | None = None,
) -> Any:
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, id=update_id, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        raise as_domain_error(exc) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise NotFoundError(message) from None
        raise
