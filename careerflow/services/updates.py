"""Calling a workflow Update and turning its failures into the engine's own errors."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from aggregates.base import DomainError, NotFoundError


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
    client: Client, workflow_id: str, update: Any, arg: Any, result_type: type, missing: str
) -> Any:
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(update, arg, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        raise DomainError(failure_message(exc)) from None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise NotFoundError(missing) from None
        raise
