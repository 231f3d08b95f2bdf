"""Notifications: created once per idempotency key, read in the in-app inbox by their
recipient, delivery outcomes recorded by the delivery activities."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel

from aggregates.base import (
    DomainError,
    EventMeta,
    NotFoundError,
    PermissionDeniedError,
    command_context,
    current_meta,
)
from aggregates.notification import Notification, notification_uuid
from aggregates.notification_rules import NotificationRef
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from words.messages import Message, role_word

InboxRows = Callable[[str, bool, int], list[Any]]
"""(recipient id, unread only, limit) -> their notifications from the read model, newest
first (rows with a `read_at`)."""


def no_inbox(recipient_id: str, unread_only: bool = False, limit: int = 200) -> list[Any]:
    """The default read: no read model (a standalone application)."""
    return []


# Who may read anyone's inbox (managers see their own only: a notification may name
# things about its recipient that are not the manager's business).
INBOX_READERS = (AccessRole.hr, AccessRole.auditor, AccessRole.system)
SENDERS = (AccessRole.system, AccessRole.hr)
_CONFLICT_RETRIES = 5


def _stored(text: Message | Mapping[str, Any]) -> dict[str, Any]:
    return text.to_json() if isinstance(text, Message) else dict(text)


class ReadResult(BaseModel):
    changed: bool
    position: int | None = None


class Notifications(PydanticApplication):
    """One notification per idempotency key: the in-app inbox and delivery outcomes.

    Collaborator: `inbox_rows`, a person's notifications from the read side."""

    name = "notifications"

    def __init__(
        self, env: Mapping[str, str] | None = None, *, inbox_rows: InboxRows = no_inbox
    ) -> None:
        super().__init__(env=env)
        self.wire(inbox_rows=inbox_rows)

    def wire(self, *, inbox_rows: InboxRows = no_inbox) -> None:
        """The constructor's collaborator, for the store, which opens every application
        before wiring them (careerflow.wiring)."""
        self.inbox_rows = inbox_rows

    # -- commands --------------------------------------------------------------------
    # Not `notify`: the library's Application calls its own `notify` hook on every save.
    def create(
        self,
        principal: Principal,
        key: str,
        recipient_id: str,
        kind: str,
        title: Message | Mapping[str, Any],
        body: Message | Mapping[str, Any],
        ref: dict[str, str] | None = None,
        skipped: Mapping[str, str] | None = None,
    ) -> NotificationRef:
        """Idempotent on `key`: the same key again returns the existing notification.
        Title and body are messages (or their JSON), stored as such and said when read
        in the reader's language; what people typed goes in as `Message.quote` values,
        apart from the sentence. (Texts already said in every language, {"en", "zh"},
        are taken too.) `skipped`: channels with nothing to send to (channel -> why),
        settled in the Created event itself."""
        principal.require(*SENDERS, action=Message("send notifications"))
        for name, value in (("key", key), ("recipient_id", recipient_id), ("kind", kind)):
            if not value.strip():
                raise DomainError("a notification needs a non-empty {name}", name=name)
        ident = notification_uuid(key)
        existing = self._find(ident)
        if existing is not None:
            return self._existing(existing, recipient_id, kind)
        with self._context(principal, command_id=key):
            notification = Notification(
                key=key,
                recipient_id=recipient_id,
                kind=kind,
                title=_stored(title),
                body=_stored(body),
                ref=ref,
                skipped=dict(skipped) if skipped else None,
            )
        try:
            recordings = self.save(notification)
        except IntegrityError:
            # Someone created the same key between our check and our save.
            return self._existing(self.get(ident), recipient_id, kind)
        return NotificationRef(
            created=True,
            notification_id=ident,
            position=recordings[-1].notification.id if recordings else None,
        )

    def mark_read(self, principal: Principal, notification_id: UUID) -> ReadResult:
        """Only the recipient marks their notification read; reading again is a no-op."""
        notification = self._visible(principal, notification_id)
        if notification.recipient_id != principal.person_id:
            raise PermissionDeniedError(
                "{role} {person_id} may not mark {recipient_id}'s notification read; "
                "only its recipient may",
                role=role_word(principal.role.value),
                person_id=principal.person_id,
                recipient_id=notification.recipient_id,
            )
        position = self._update(
            principal, notification_id, lambda n: n.mark_read(principal.person_id)
        )
        return ReadResult(changed=position is not None, position=position)

    def record_delivered(
        self, principal: Principal, notification_id: UUID, channel: str, detail: str
    ) -> bool:
        principal.require(AccessRole.system, action=Message("record notification deliveries"))
        return (
            self._update(principal, notification_id, lambda n: n.record_delivered(channel, detail))
            is not None
        )

    def record_skipped(
        self, principal: Principal, notification_id: UUID, channel: str, reason: str
    ) -> bool:
        principal.require(AccessRole.system, action=Message("record notification deliveries"))
        return (
            self._update(principal, notification_id, lambda n: n.record_skipped(channel, reason))
            is not None
        )

    def record_failed(
        self, principal: Principal, notification_id: UUID, channel: str, error: str, attempt: int
    ) -> bool:
        principal.require(AccessRole.system, action=Message("record notification deliveries"))
        return (
            self._update(
                principal, notification_id, lambda n: n.record_failed(channel, error, attempt)
            )
            is not None
        )

    # -- reads -----------------------------------------------------------------------
    def get(self, notification_id: UUID) -> Notification:
        """The aggregate, for the engine itself (no access rule: not for people)."""
        notification = self._find(notification_id)
        if notification is None:
            raise NotFoundError(
                "unknown notification {notification_id}", notification_id=notification_id
            )
        return notification

    def inbox(
        self, principal: Principal, person_id: str, unread_only: bool = False, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Newest first, from the read model. Everyone reads their own inbox; HR and
        auditors anyone's; managers not their reports'."""
        if principal.person_id != person_id and principal.role not in INBOX_READERS:
            raise PermissionDeniedError(
                "{role} {person_id} may not read {owner_id}'s inbox; "
                "only its owner, HR and auditors may",
                role=role_word(principal.role.value),
                person_id=principal.person_id,
                owner_id=person_id,
            )
        rows = self.inbox_rows(person_id, unread_only, limit)
        return [{**dict(r), "read": r["read_at"] is not None} for r in rows]

    # -- helpers ---------------------------------------------------------------------
    def _find(self, ident: UUID) -> Notification | None:
        found: Notification | None = self.find(ident)
        return found

    def _visible(self, principal: Principal, notification_id: UUID) -> Notification:
        """Unknown and not-allowed look the same."""
        notification = self._find(notification_id)
        if notification is None or (
            notification.recipient_id != principal.person_id and principal.role not in INBOX_READERS
        ):
            raise NotFoundError(
                "no notification {notification_id} that you can see",
                notification_id=notification_id,
            )
        return notification

    @staticmethod
    def _existing(notification: Notification, recipient_id: str, kind: str) -> NotificationRef:
        if (notification.recipient_id, notification.kind) != (recipient_id, kind):
            raise DomainError(
                "notification key {key!r} is already used for a {kind} to {recipient_id}; "
                "use a different key",
                key=notification.key,
                kind=notification.kind,
                recipient_id=notification.recipient_id,
            )
        return NotificationRef(created=False, notification_id=notification.id)

    def _update(
        self, principal: Principal, ident: UUID, command: Callable[[Notification], bool]
    ) -> int | None:
        """Runs an idempotent command and saves it; a concurrent writer (the recipient
        reading while a delivery is recorded) makes us reload and run it again.
        Returns the log position written, None if the command changed nothing."""
        for attempt in range(_CONFLICT_RETRIES):
            notification = self.get(ident)
            with self._context(principal):
                changed = command(notification)
            if not changed:
                return None
            try:
                recordings = self.save(notification)
            except IntegrityError:
                if attempt == _CONFLICT_RETRIES - 1:
                    raise
                continue
            return recordings[-1].notification.id if recordings else None
        return None  # pragma: no cover - the loop returns or raises

    @staticmethod
    def _context(
        principal: Principal, command_id: str | None = None
    ) -> AbstractContextManager[EventMeta]:
        # Keeps the workflow id (and command id) an activity stamped around this call.
        outer = current_meta()
        return command_context(
            actor=principal.person_id,
            role=principal.role.value,
            command_id=outer.command_id or command_id,
            workflow_id=outer.workflow_id,
            reason=outer.reason,
        )
