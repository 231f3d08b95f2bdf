"""A notification to one person: created once per idempotency key, read by its
recipient, delivered over channels (email, webhook) with every outcome recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, DomainError, Immutable, PermissionDeniedError, stable_id

# Also imported from here: the pure parts live apart so that workflows need not import
# eventsourcing.
from aggregates.notification_rules import LANGUAGES, DeliveryStatus
from aggregates.notification_rules import language_of as language_of
from words.messages import Message, as_message


def notification_uuid(key: str) -> UUID:
    return stable_id("notification", key)


def check_text(field: str, text: dict[str, Any]) -> None:
    """A title or body: a Message's JSON with a template, or (as notifications stored
    them before their message) a text in every language."""
    if Message.is_json(text):
        if not str(text["template"]).strip():
            raise DomainError("notification {field} needs text", field=field)
        return
    check_bilingual(field, text)


def check_bilingual(field: str, text: dict[str, str]) -> None:
    missing = [lang for lang in LANGUAGES if not text.get(lang, "").strip()]
    if missing:
        raise DomainError(
            "notification {field} needs text in {languages}; missing: {missing}",
            field=field,
            languages=", ".join(LANGUAGES),
            missing=", ".join(missing),
        )


class DeliveryOutcome(Immutable):
    status: DeliveryStatus
    detail: str
    attempts: int  # failed attempts recorded so far

    @property
    def settled(self) -> bool:
        return self.status in (DeliveryStatus.delivered, DeliveryStatus.skipped)


class Notification(Aggregate):
    @staticmethod
    def create_id(key: str, *_: object, **__: object) -> UUID:
        return notification_uuid(key)

    @event("Created")
    def __init__(
        self,
        key: str,
        recipient_id: str,
        kind: str,
        title: dict[str, Any],
        body: dict[str, Any],
        ref: dict[str, str] | None = None,
        skipped: dict[str, str] | None = None,
    ) -> None:
        # Title and body are messages (words.messages.Message's JSON), said when read in
        # the reader's language; what people typed is kept apart in them (Message.quote).
        # Events recorded before hold the texts said in every language ({"en", "zh"}):
        # the state holds those as messages too (words.messages.as_message).
        check_text("title", title)
        check_text("body", body)
        self.key = key
        self.recipient_id = recipient_id
        self.kind = kind
        self.title: dict[str, Any] = as_message(title).to_json()
        self.body: dict[str, Any] = as_message(body).to_json()
        self.ref = dict(ref) if ref else None
        # No clock readings in the state: an event's apply does not see its timestamp
        # (the read model takes times from the events themselves).
        self.read = False
        # Channels with nothing to send to (not configured, no address) are settled at
        # creation, channel -> reason: one event, not a DeliverySkipped per channel.
        # Events recorded before this field have none (their skips are events).
        self.deliveries: dict[str, DeliveryOutcome] = {
            channel: DeliveryOutcome(status=DeliveryStatus.skipped, detail=reason, attempts=0)
            for channel, reason in (skipped or {}).items()
        }

    @property
    def created(self) -> datetime:
        return self.created_on

    def message(self) -> tuple[Message, Message]:
        """Title and body as messages (said by the reader: the domain reads no catalogue)."""
        return as_message(self.title), as_message(self.body)

    # -- read ------------------------------------------------------------------------
    def mark_read(self, reader_id: str) -> bool:
        """Idempotent: reading again changes nothing. Only the recipient reads."""
        if reader_id != self.recipient_id:
            raise PermissionDeniedError("only the recipient may mark a notification read")
        if self.read:
            return False
        self._read(reader_id=reader_id)
        return True

    @event("Read")
    def _read(self, reader_id: str) -> None:
        self.read = True

    # -- delivery --------------------------------------------------------------------
    def is_settled(self, channel: str) -> bool:
        outcome = self.deliveries.get(channel)
        return outcome is not None and outcome.settled

    def record_delivered(self, channel: str, detail: str) -> bool:
        """Idempotent per channel: a channel already delivered (or skipped) stays so."""
        if self.is_settled(channel):
            return False
        self._delivered(channel=channel, detail=detail)
        return True

    @event("Delivered")
    def _delivered(self, channel: str, detail: str) -> None:
        self._set_outcome(channel, DeliveryStatus.delivered, detail)

    def record_skipped(self, channel: str, reason: str) -> bool:
        if self.is_settled(channel):
            return False
        self._skipped(channel=channel, reason=reason)
        return True

    @event("DeliverySkipped")
    def _skipped(self, channel: str, reason: str) -> None:
        self._set_outcome(channel, DeliveryStatus.skipped, reason)

    def record_failed(self, channel: str, error: str, attempt: int) -> bool:
        """Every failed attempt is kept (the trace of retries); none after success."""
        if self.is_settled(channel):
            return False
        self._failed(channel=channel, error=error, attempt=attempt)
        return True

    @event("DeliveryFailed")
    def _failed(self, channel: str, error: str, attempt: int) -> None:
        self._set_outcome(channel, DeliveryStatus.failed, error)

    def _set_outcome(self, channel: str, status: DeliveryStatus, detail: str) -> None:
        previous = self.deliveries.get(channel)
        attempts = previous.attempts if previous else 0
        if status == DeliveryStatus.failed:
            attempts += 1
        self.deliveries = {
            **self.deliveries,
            channel: DeliveryOutcome(status=status, detail=detail, attempts=attempts),
        }
