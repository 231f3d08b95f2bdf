"""Calling a workflow Update and turning its failures into the engine's own errors."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from careerflow.messages import Message

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


async def execute_update(
    client: Client,
    workflow_id: str,
    update: Any,
    arg: Any,
    result_type: type,
    message: Message,
) -> Any:
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        raise as_domain_error(exc) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise NotFoundError(message) from None
        raise
