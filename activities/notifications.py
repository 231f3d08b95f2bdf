"""Activities that create notifications and deliver them (email, messenger webhook).

Delivery is at least once per channel. A channel whose delivery is recorded is never
sent again, but the send and its record are two steps: a worker that dies after the
SMTP server (or the webhook) accepted a message and before `Delivered` is saved leaves
the channel unrecorded, and the retried activity sends it once more. Each attempt
records at most one send per channel, so the duplicate window is that one crash; the
email carries the notification id (`X-Careerflow-Notification`) and the webhook payload
its `notification_id`, so receivers can drop duplicates."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from aggregates.errors import DomainError, NotFoundError
from aggregates.meta import EventMeta, command_context, current_meta
from aggregates.notification_rules import DeliveryStatus, language_of
from aggregates.notification_rules import NotificationRef as NotificationRef
from careerflow.principal import SYSTEM

if TYPE_CHECKING:
    from aggregates.notification import Notification
    from careerflow.applications.notifications import Notifications
    from careerflow.applications.people import People
    from careerflow.delivery import SmtpSettings, WebhookSettings

CHANNELS = ("email", "webhook")


class MessageIn(BaseModel):
    """A words.messages.Message as it crosses Temporal: a template of the engine
    catalogue and its values."""

    model_config = ConfigDict(extra="forbid")

    template: str
    params: dict[str, Any] = {}


class CreateNotification(BaseModel):
    key: str  # idempotency key, e.g. "promotion/<application-id>/round-1/reminder"
    recipient_id: str
    kind: str  # e.g. "promotion.reminder"
    # A Message, stored as it is and said when read in the reader's language (what
    # people typed kept apart as Message.quote values); or texts already in each language
    # ({"en": ..., "zh": ...}: histories from before messages).
    title: MessageIn | dict[str, str] = Field(union_mode="left_to_right")
    body: MessageIn | dict[str, str] = Field(union_mode="left_to_right")
    ref: dict[str, str] | None = None  # e.g. {"type": "promotion", "id": ...}

    def texts(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Title and body as the notification stores them."""
        return _stored(self.title), _stored(self.body)


def _stored(text: MessageIn | dict[str, str]) -> dict[str, Any]:
    return text.model_dump() if isinstance(text, MessageIn) else dict(text)


class DeliverNotification(BaseModel):
    notification_id: UUID
    channels: list[str] = Field(default_factory=lambda: list(CHANNELS))


class SendNotification(CreateNotification):
    """Create a notification and settle, in the same save, every channel that has
    nothing to send to; the channels left need `deliver_notification`."""

    channels: list[str] = Field(default_factory=lambda: list(CHANNELS))


class SendNotifications(BaseModel):
    """Many notifications created at once (a batch of weeks' reminders or reports)."""

    notifications: list[SendNotification]


class Created(BaseModel):
    """What `create_and_settle` answers: the notification and the channels still to
    deliver (none when every channel was skipped or settled before)."""

    notification_id: UUID
    created: bool
    pending: list[str]
    position: int | None = None
    refused: str | None = None  # in a batch: why this one was not created (the rest were)


class DeliveryReport(BaseModel):
    notification_id: UUID
    outcomes: dict[str, DeliveryStatus]  # channel → status after this attempt


class Recipient(BaseModel):
    person_id: str
    name: str | None = None
    email: str | None = None
    locale: str = "zh"


class NotificationActivities:
    def __init__(
        self,
        notifications: Notifications,
        people: People,
        smtp: SmtpSettings | None = None,
        webhook: WebhookSettings | None = None,
    ) -> None:
        self.notifications = notifications
        self.people = people
        self.smtp = smtp
        self.webhook = webhook

    @activity.defn(name="create_notification")
    def create_notification(self, request: CreateNotification) -> NotificationRef:
        # Idempotent on the key: a retry after a crash finds the notification it made.
        title, body = request.texts()
        with _activity_context():
            return self.notifications.create(
                SYSTEM, request.key, request.recipient_id, request.kind, title, body, request.ref
            )

    @activity.defn(name="notification_create_and_settle")
    def create_and_settle(self, request: SendNotification) -> Created:
        """One save: the Created event carries the channels skipped (not configured, no
        address), so a notification with nothing to send is done here. Short, on the
        store only and idempotent on the key: fit for a local activity. Sending stays in
        `deliver_notification` (a regular activity: SMTP and webhooks are slow)."""
        channels = _known(request.channels)
        title, body = request.texts()
        with _activity_context(f"notify/{request.key}"):
            recipient = self._recipient(request.recipient_id)
            skipped = {
                channel: reason
                for channel in channels
                if (reason := self._skip_reason(channel, recipient)) is not None
            }
            ref = self.notifications.create(
                SYSTEM,
                request.key,
                request.recipient_id,
                request.kind,
                title,
                body,
                request.ref,
                skipped=skipped,
            )
            if ref.created:
                pending = [c for c in channels if c not in skipped]
            else:  # made before (a retry, or the key reused): what it still lacks
                existing = self.notifications.get(ref.notification_id)
                pending = [c for c in channels if not existing.is_settled(c)]
        return Created(
            notification_id=ref.notification_id,
            created=ref.created,
            pending=pending,
            position=ref.position,
        )

    @activity.defn(name="notification_create_many")
    def create_many(self, request: SendNotifications) -> list[Created]:
        """`create_and_settle` for each, in order, in one activity: a business refusal of
        one is answered in its place (`refused`) and does not stop the others."""
        created: list[Created] = []
        for one in request.notifications:
            try:
                created.append(self.create_and_settle(one))
            except DomainError as exc:
                created.append(
                    Created(
                        notification_id=UUID(int=0), created=False, pending=[], refused=str(exc)
                    )
                )
        return created

    @activity.defn(name="deliver_notification")
    def deliver_notification(self, request: DeliverNotification) -> DeliveryReport:
        """Sends on every channel not yet settled and records each outcome; raises while
        a channel failed in a way a retry can fix, so Temporal retries."""
        _known(request.channels)
        # The channels' clients (SMTP, httpx): imported where they are used, not by the
        # workflows that import this module for its contracts.
        from careerflow.delivery import DeliveryError

        notifications = self.notifications
        attempt = activity.info().attempt if activity.in_activity() else 1
        with _activity_context():
            notification = notifications.get(request.notification_id)
            recipient = self._recipient(notification.recipient_id)
            errors: list[DeliveryError] = []
            for channel in dict.fromkeys(request.channels):
                if notification.is_settled(channel):
                    continue  # delivered (or skipped) by an earlier attempt: never twice
                skip = self._skip_reason(channel, recipient)
                if skip is not None:
                    notifications.record_skipped(SYSTEM, notification.id, channel, skip)
                    continue
                try:
                    detail = self._send(channel, notification, recipient)
                except DeliveryError as exc:
                    notifications.record_failed(SYSTEM, notification.id, channel, str(exc), attempt)
                    errors.append(exc)
                    continue
                # Sent, not yet recorded: a crash right here means one resend on retry.
                notifications.record_delivered(SYSTEM, notification.id, channel, detail)
            final = notifications.get(request.notification_id)
        if errors:
            raise ApplicationError(
                "; ".join(str(e) for e in errors),
                type="DeliveryError",
                # Only when no failure could be fixed by trying again.
                non_retryable=all(e.permanent for e in errors),
            ) from errors[0]
        return DeliveryReport(
            notification_id=final.id,
            outcomes={
                channel: final.deliveries[channel].status
                for channel in request.channels
                if channel in final.deliveries
            },
        )

    def all(self) -> list[Callable[..., Any]]:
        """Every notification activity, for a worker to register."""
        return [
            self.create_notification,
            self.create_and_settle,
            self.create_many,
            self.deliver_notification,
        ]

    # -- helpers ---------------------------------------------------------------------
    def _recipient(self, person_id: str) -> Recipient:
        """Email and locale from the people app; HR staff and other people who are not
        employees have neither (Chinese is the default language)."""
        try:
            employee = self.people.get(person_id)
        except NotFoundError:
            return Recipient(person_id=person_id)
        return Recipient(
            person_id=person_id,
            name=employee.name,
            email=employee.email,
            locale=employee.locale or "zh",
        )

    def _skip_reason(self, channel: str, recipient: Recipient) -> str | None:
        if channel == "email":
            if self.smtp is None:
                return "email is not configured (CAREERFLOW_SMTP_HOST)"
            if not recipient.email:
                return f"{recipient.person_id} has no email address"
        if channel == "webhook" and self.webhook is None:
            return "the webhook is not configured (CAREERFLOW_WEBHOOK_URL)"
        return None

    def _send(self, channel: str, notification: Notification, recipient: Recipient) -> str:
        from careerflow.delivery import messenger_payload, post_webhook, send_email
        from words.catalogue import stored_label, stored_text  # Babel: not for workflows

        lang = language_of(recipient.locale)
        title, body = (stored_text(t, lang) for t in (notification.title, notification.body))
        if channel == "email":
            assert self.smtp is not None and recipient.email
            return send_email(
                self.smtp,
                recipient.email,
                title,
                body,
                headers={
                    "X-Careerflow-Notification": str(notification.id),
                    "X-Careerflow-Kind": notification.kind,
                    "Content-Language": lang,
                },
            )
        assert self.webhook is not None
        addressee = recipient.name or recipient.person_id
        content = f"{title}\n{body}\n@{addressee}"
        return post_webhook(
            self.webhook,
            messenger_payload(
                content,
                {
                    "notification_id": str(notification.id),
                    "key": notification.key,
                    "kind": notification.kind,
                    "recipient_id": notification.recipient_id,
                    "language": lang,
                    "title": stored_label(notification.title),
                    "body": stored_label(notification.body),
                    "ref": notification.ref,
                    "created": notification.created.isoformat(),
                },
            ),
        )


def _known(channels: list[str]) -> list[str]:
    """The channels asked for, each once, all of them known (else a final error)."""
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        raise ApplicationError(
            f"unknown channels {unknown}; known: {list(CHANNELS)}",
            type="DeliveryError",
            non_retryable=True,
        )
    return list(dict.fromkeys(channels))


def _activity_context(command: str | None = None) -> AbstractContextManager[EventMeta]:
    """Stamps the workflow and activity on the events the services write. `command`
    names the step when the activity id cannot: a local activity's id is a sequence
    number of its own, which may equal a regular activity's in the same workflow."""
    if not activity.in_activity():
        return contextlib.nullcontext(current_meta())
    info = activity.info()
    return command_context(
        actor=SYSTEM.person_id,
        role=SYSTEM.role.value,
        command_id=f"{info.workflow_id}/{command or info.activity_id}",
        workflow_id=info.workflow_id,
    )
