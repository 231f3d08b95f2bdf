"""The Notifications application's commands without servers: on the library's in-memory
persistence (POPO) by default, and the same tests on PostgreSQL in the subclass (the
eventsourcing examples' pattern). The inbox's read is an injected query function."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
from aggregates.notification import notification_uuid
from aggregates.notification_rules import DeliveryStatus
from careerflow.applications.notifications import Notifications
from careerflow.config import PostgresSettings
from careerflow.principal import SYSTEM, AccessRole, Principal
from careerflow.store import application_env
from words.catalogue import said_apart, stored_label, stored_text
from words.messages import Message

HR = Principal(person_id="H1", role=AccessRole.hr)
E1 = Principal(person_id="E1", role=AccessRole.employee)
E2 = Principal(person_id="E2", role=AccessRole.employee)
S1 = Principal(person_id="S1", role=AccessRole.manager)
TITLE = {"en": "Reminder", "zh": "提醒"}
BODY = {"en": "Submit your report", "zh": "请提交报告"}
ROWS: dict[str, list[dict[str, Any]]] = {
    "E1": [{"notification_id": "n2", "read_at": None}, {"notification_id": "n1", "read_at": 1}]
}


def inbox_rows(recipient_id: str, unread_only: bool = False, limit: int = 200) -> list[Any]:
    rows = ROWS.get(recipient_id, [])
    return [r for r in rows if not (unread_only and r["read_at"] is not None)][:limit]


class TestNotifications:
    """On the library's in-memory persistence (PERSISTENCE_MODULE unset: POPO)."""

    persistence: ClassVar[str] = "popo"

    @pytest.fixture
    def env(self) -> dict[str, str]:
        return {}

    @pytest.fixture
    def notifications(self, env: dict[str, str]) -> Iterator[Notifications]:
        with Notifications(env=env, inbox_rows=inbox_rows) as app:
            yield app

    def created(self, app: Notifications, key: str = "k1", recipient: str = "E1") -> uuid.UUID:
        return app.create(SYSTEM, key, recipient, "promotion.reminder", TITLE, BODY).notification_id

    def test_runs_on_the_intended_persistence(self, notifications: Notifications) -> None:
        assert type(notifications.factory).__module__ == f"eventsourcing.{self.persistence}"

    def test_create_is_idempotent_on_the_key(self, notifications: Notifications) -> None:
        first = notifications.create(
            SYSTEM, "k1", "E1", "promotion.reminder", TITLE, BODY, {"type": "promotion"}
        )
        again = notifications.create(HR, "k1", "E1", "promotion.reminder", TITLE, BODY)
        assert first.created and first.position is not None
        assert (again.created, again.notification_id, again.position) == (
            False,
            first.notification_id,
            None,
        )
        assert first.notification_id == notification_uuid("k1")
        created = notifications.get(first.notification_id)
        assert (created.recipient_id, created.ref) == ("E1", {"type": "promotion"})
        assert stored_text(created.title, "en") == "Reminder"
        assert stored_text(created.body, "zh") == "请提交报告"

    def test_a_notification_stored_said_in_every_language_still_loads(
        self, notifications: Notifications
    ) -> None:
        """Events recorded before notifications stored their message hold the title and
        body said in every language ({"en", "zh"}): they load, and read as they were."""
        ident = self.created(notifications)
        (stored,) = notifications.repository.event_store.get(ident)
        assert (stored.title, stored.body) == (TITLE, BODY)  # the old shape, as recorded
        loaded = notifications.get(ident)
        assert stored_label(loaded.title) == TITLE and stored_label(loaded.body) == BODY
        title, body = loaded.message()
        assert (str(title), str(body)) == ("Reminder", "Submit your report")
        assert said_apart(loaded.body, "zh") == ("请提交报告", [])

    def test_typed_text_is_kept_apart_from_the_sentence(self, notifications: Notifications) -> None:
        """What a person typed goes in as a quoted value: stored apart from the sentence,
        said as typed in each language, and findable on its own."""
        typed = "Bring the 杭州 quote"
        ident = notifications.create(
            SYSTEM,
            "k-typed",
            "E1",
            "promotion.rejected",
            Message("Your promotion application was not approved"),
            Message("{text}", text=Message.quote(typed)),
        ).notification_id
        (stored,) = notifications.repository.event_store.get(ident)
        assert stored.body == {"template": "{text}", "params": {"text": {"$quote": typed}}}
        loaded = notifications.get(ident)
        assert stored_text(loaded.title, "zh") == "你的晋升申请未获批准"
        assert stored_label(loaded.body) == {"en": typed, "zh": typed}
        sentence, quotes = said_apart(loaded.body, "en")
        assert quotes == [typed] and typed not in sentence
        with pytest.raises(DomainError, match="notification title needs text"):
            notifications.create(
                SYSTEM, "k-empty", "E1", "x", {"template": " ", "params": {}}, BODY
            )

    def test_create_refusals(self, notifications: Notifications) -> None:
        self.created(notifications)
        with pytest.raises(DomainError, match="key 'k1' is already used for a promotion"):
            notifications.create(SYSTEM, "k1", "E2", "promotion.reminder", TITLE, BODY)
        with pytest.raises(DomainError, match="a notification needs a non-empty kind"):
            notifications.create(SYSTEM, "k2", "E1", " ", TITLE, BODY)
        with pytest.raises(DomainError, match="needs text in en, zh; missing: zh"):
            notifications.create(SYSTEM, "k2", "E1", "x", {"en": "t"}, {"en": "b"})
        with pytest.raises(PermissionDeniedError, match="may not send notifications"):
            notifications.create(E1, "k3", "E2", "x", TITLE, BODY)
        with pytest.raises(NotFoundError, match="unknown notification"):
            notifications.get(notification_uuid("k2"))

    def test_mark_read_by_the_recipient_only(self, notifications: Notifications) -> None:
        ident = self.created(notifications)
        with pytest.raises(NotFoundError, match="that you can see"):
            notifications.mark_read(E2, ident)  # not theirs: they cannot see it
        with pytest.raises(PermissionDeniedError, match="only its recipient may"):
            notifications.mark_read(HR, ident)  # HR sees it, but does not read it
        with pytest.raises(NotFoundError, match="that you can see"):
            notifications.mark_read(E1, uuid.uuid4())
        assert not notifications.get(ident).read
        first = notifications.mark_read(E1, ident)
        again = notifications.mark_read(E1, ident)
        assert first.changed and first.position is not None
        assert (again.changed, again.position) == (False, None)
        assert notifications.get(ident).read

    def test_delivery_outcomes(self, notifications: Notifications) -> None:
        ident = self.created(notifications)
        assert notifications.record_failed(SYSTEM, ident, "email", "timeout", 1)
        assert notifications.record_delivered(SYSTEM, ident, "email", "250 ok")
        assert not notifications.record_delivered(SYSTEM, ident, "email", "250 ok")  # once
        assert not notifications.record_failed(SYSTEM, ident, "email", "late", 2)
        assert notifications.record_skipped(SYSTEM, ident, "webhook", "not configured")
        outcomes = notifications.get(ident).deliveries
        assert (outcomes["email"].status, outcomes["email"].attempts) == (
            DeliveryStatus.delivered,
            1,
        )
        assert outcomes["webhook"].status == DeliveryStatus.skipped
        with pytest.raises(PermissionDeniedError, match="may not record notification deliveries"):
            notifications.record_delivered(HR, ident, "email", "faked")

    def test_inbox_reads_the_injected_query(self, notifications: Notifications) -> None:
        mine = notifications.inbox(E1, "E1")
        assert [(r["notification_id"], r["read"]) for r in mine] == [("n2", False), ("n1", True)]
        assert [r["notification_id"] for r in notifications.inbox(E1, "E1", True)] == ["n2"]
        assert len(notifications.inbox(HR, "E1")) == 2
        assert notifications.inbox(S1, "S1") == []
        with pytest.raises(PermissionDeniedError, match="may not read E1's inbox"):
            notifications.inbox(S1, "E1")  # managers: not their reports' inboxes
        with pytest.raises(PermissionDeniedError, match="may not read E2's inbox"):
            notifications.inbox(E1, "E2")

    def test_without_a_read_model_the_inbox_is_empty(self, env: dict[str, str]) -> None:
        with Notifications(env=env) as standalone:
            assert standalone.inbox(E1, "E1") == []


class TestNotificationsOnPostgres(TestNotifications):
    """The same tests on PostgreSQL (the store's own environment)."""

    persistence: ClassVar[str] = "postgres"

    @pytest.fixture
    def env(self, pg: PostgresSettings) -> dict[str, str]:
        return application_env(pg)
