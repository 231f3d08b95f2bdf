"""Sending a notification from workflow code: `await notify(...)` creates it (idempotent
on its key) and delivers it over email and the messenger webhook, with retries.

Only light modules are imported here: workflow modules are re-imported in the sandbox,
and the activity models come in passed through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

from workflows.steps import HEARTBEAT, LOCAL_TIMEOUT

with workflow.unsafe.imports_passed_through():
    from activities.notifications import (
        CHANNELS,
        Created,
        CreateNotification,
        DeliverNotification,
        MessageIn,
        NotificationActivities,
        SendNotification,
    )
    from words.messages import Message

# Business-rule failures (bad text, a key reused for someone else) cannot be retried away.
_NOT_RETRYABLE = ["DomainError", "NotFoundError", "PermissionDeniedError"]

CREATE_RETRY = RetryPolicy(
    maximum_interval=timedelta(minutes=1), non_retryable_error_types=_NOT_RETRYABLE
)
# Patch id: creation as a local activity whose one save settles the channels with nothing
# to send to (no DeliverySkipped events); delivery only for the channels left.
PATCH_ONE_STEP = "notify-create-and-settle-locally"

DELIVER_RETRY = RetryPolicy(
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=10,
    non_retryable_error_types=_NOT_RETRYABLE,
)


async def notify(
    key: str,
    recipient_id: str,
    kind: str,
    title: Message,
    body: Message,
    ref: dict[str, str] | None = None,
    channels: Sequence[str] = CHANNELS,
) -> None:
    """Creates the notification (the inbox has it from then on), then delivers it. Title
    and body are engine messages: the activity says them in every language (the catalogue
    is read there, not in workflow code), and the recipient reads their own."""
    await send(send_request(key, recipient_id, kind, title, body, ref, channels))


async def send(request: SendNotification) -> None:
    """`notify` for a request made by `send_request`.

    Creation is retried until the store takes it (a database outage is waited out).
    Delivery gives up after DELIVER_RETRY's attempts; a failed delivery is recorded on
    the notification (and shown in the inbox) but does not fail the calling workflow.

    Runs before PATCH_ONE_STEP (replayed histories) made a regular activity to create
    and another to deliver, which recorded a DeliverySkipped event per idle channel."""
    if workflow.patched(PATCH_ONE_STEP):
        created = await workflow.execute_local_activity_method(
            NotificationActivities.create_and_settle,
            request,
            start_to_close_timeout=LOCAL_TIMEOUT,
            retry_policy=CREATE_RETRY,
        )
        if created.pending:
            await deliver(request, created)
        return
    ref_out = await workflow.execute_activity_method(
        NotificationActivities.create_notification,
        CreateNotification(
            key=request.key,
            recipient_id=request.recipient_id,
            kind=request.kind,
            title=request.title,
            body=request.body,
            ref=request.ref,
        ),
        start_to_close_timeout=timedelta(seconds=30),
        heartbeat_timeout=HEARTBEAT,
        retry_policy=CREATE_RETRY,
    )
    # Delivered even when the key existed: channels already delivered are not resent,
    # so this only finishes what an earlier caller left undone.
    await _deliver(
        request.key, request.recipient_id, request.kind, ref_out.notification_id, request.channels
    )


def send_request(
    key: str,
    recipient_id: str,
    kind: str,
    title: Message,
    body: Message,
    ref: dict[str, str] | None = None,
    channels: Sequence[str] = CHANNELS,
) -> SendNotification:
    """What `create_and_settle` (or, for many, `create_many`) takes."""
    return SendNotification(
        key=key,
        recipient_id=recipient_id,
        kind=kind,
        title=MessageIn.model_validate(title.to_json()),
        body=MessageIn.model_validate(body.to_json()),
        ref=ref,
        channels=list(channels),
    )


async def deliver(request: SendNotification, created: Created) -> None:
    """Delivers a created notification on the channels it still needs."""
    await _deliver(
        request.key, request.recipient_id, request.kind, created.notification_id, created.pending
    )


async def _deliver(
    key: str, recipient_id: str, kind: str, notification_id: UUID, channels: list[str]
) -> None:
    try:
        await workflow.execute_activity_method(
            NotificationActivities.deliver_notification,
            DeliverNotification(notification_id=notification_id, channels=channels),
            # Each channel has its own network timeout (SMTP 30 s, webhook 10 s).
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=HEARTBEAT,
            retry_policy=DELIVER_RETRY,
        )
    except ActivityError as exc:
        workflow.logger.warning(
            "notification %s (%s to %s) was not delivered: %s",
            key,
            kind,
            recipient_id,
            exc.cause or exc,
        )
