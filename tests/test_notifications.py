"""Notifications on real parts: PostgreSQL, a local SMTP server (aiosmtpd), a local HTTP
server standing in for a messenger robot, and a Temporal worker on the time-skipping
test server running `workflows.notify.notify`."""

from __future__ import annotations

from temporalio import workflow

# The sandbox re-imports this module for the test workflow: everything but the workflow
# helper under test comes in passed through.
with workflow.unsafe.imports_passed_through():
    import concurrent.futures
    import email
    import email.policy
    import json
    import socket
    import threading
    import time
    import uuid
    from collections.abc import Iterator
    from dataclasses import dataclass, field
    from datetime import date, datetime
    from email.message import EmailMessage
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from typing import Any

    import psycopg
    import pytest
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session
    from psycopg.rows import dict_row
    from temporalio.exceptions import ApplicationError
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from activities.notifications import (
        CreateNotification,
        DeliverNotification,
        MessageIn,
        NotificationActivities,
        SendNotification,
    )
    from aggregates.base import DomainError, NotFoundError, PermissionDeniedError
    from aggregates.ladder import Role
    from aggregates.notification import DeliveryStatus
    from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
    from careerflow.config import PostgresSettings
    from careerflow.delivery import SmtpSettings, WebhookSettings
    from careerflow.engine import Engine
    from careerflow.eventstore import PydanticMapper
    from careerflow.principal import SYSTEM, AccessRole, Principal
    from careerflow.store import Store, application_env
    from projections.runner import ReadModels
    from words.catalogue import stored_label
    from words.messages import Message
    from worker import INTERCEPTORS

from workflows.notify import notify

HR = Principal(person_id="H001", role=AccessRole.hr)  # HR staff: not an employee
AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)
E1 = Principal(person_id="E1", role=AccessRole.employee)  # English, has email
E2 = Principal(person_id="E2", role=AccessRole.employee)  # Chinese, has email
S1 = Principal(person_id="S1", role=AccessRole.manager)  # E1's and E2's manager

TITLE = {"en": "Promotion review due", "zh": "晋升评审待处理"}
BODY = {"en": "Please review the application by Friday.", "zh": "请在周五前完成申请评审。"}
REF = {"type": "promotion", "id": "APP-1"}
# What workflows pass: catalogue messages, said in each language by the activity.
ANNOUNCED = Message("Congratulations on your promotion")
PROMOTED = Message(
    "You are promoted to {role}; you start on {effective}.",
    role={"en": "Sales Supervisor", "zh": "销售主管"},
    effective=Message.date(date(2026, 12, 1)),
)


# -- real local servers ----------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailCollector:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        assert isinstance(content, bytes)
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, addr: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if addr in rcpts]


@dataclass
class Smtp:
    settings: SmtpSettings
    mail: MailCollector


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    mail = MailCollector()
    controller = Controller(mail, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield Smtp(
            SmtpSettings(
                host="127.0.0.1", port=controller.port, sender="careerflow@example.invalid"
            ),
            mail,
        )
    finally:
        controller.stop()


@dataclass
class Robot:
    """A messenger robot: records each JSON body, answers with `answer`."""

    settings: WebhookSettings
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})


@pytest.fixture
def robot() -> Iterator[Robot]:
    state = Robot(WebhookSettings(url="http://unset.invalid/", timeout=5))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(json.loads(self.rfile.read(length)))
            data = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.settings = WebhookSettings(
        url=f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=k", timeout=5
    )
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- store, people, read models --------------------------------------------------------
@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as s:
        s.people.import_org(
            HR,
            OrgImport(
                teams=[TeamIn(team_id="T1", name="Team 1", manager_id="S1")],
                employees=[
                    EmployeeIn(
                        employee_id="S1",
                        name="Sam Supervisor",
                        role=Role.sales_supervisor,
                        team_id="T1",
                        hire_date=date(2020, 1, 1),
                        email="s1@example.invalid",
                        locale="en",
                    ),
                    EmployeeIn(
                        employee_id="E1",
                        name="Emma English",
                        role=Role.sales_rep,
                        team_id="T1",
                        manager_id="S1",
                        hire_date=date(2022, 3, 1),
                        email="e1@example.invalid",
                        locale="en-GB",
                    ),
                    EmployeeIn(
                        employee_id="E2",
                        name="王芳",
                        role=Role.sales_rep,
                        team_id="T1",
                        manager_id="S1",
                        hire_date=date(2023, 5, 1),
                        email="e2@example.invalid",
                        locale="zh",
                    ),
                ],
            ),
        )
        yield s


@pytest.fixture
def read_models(pg: PostgresSettings, services: Engine) -> Iterator[ReadModels]:
    with ReadModels(pg, application_env(pg)) as rm:
        yield rm


def projected(rm: ReadModels, services: Engine) -> None:
    rm.wait_caught_up([services.store.people, services.store.notifications], timeout=60)


def count_events(pg: PostgresSettings, topic_suffix: str = "") -> int:
    with psycopg.connect(pg.conninfo()) as conn:
        row = conn.execute(
            "SELECT count(*) FROM notifications_events WHERE topic LIKE %s",
            (f"%{topic_suffix}",),
        ).fetchone()
    return int(row[0]) if row else 0


def inbox_row(pg: PostgresSettings, notification_id: uuid.UUID) -> dict[str, Any]:
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT * FROM rm_inbox WHERE notification_id = %s", (notification_id,)
        ).fetchone()
    assert row is not None
    return dict(row)


def send(services: Engine, key: str, recipient: str = "E1") -> uuid.UUID:
    ref = services.notifications.create(
        SYSTEM, key, recipient, "promotion.reminder", TITLE, BODY, REF
    )
    return ref.notification_id


# -- creation, inbox, reading ----------------------------------------------------------
def test_notify_is_idempotent_on_its_key(services: Engine, pg: PostgresSettings) -> None:
    first = services.notifications.create(
        SYSTEM, "promotion/APP-1/round-1/reminder", "E1", "promotion.reminder", TITLE, BODY, REF
    )
    again = services.notifications.create(
        SYSTEM, "promotion/APP-1/round-1/reminder", "E1", "promotion.reminder", TITLE, BODY, REF
    )
    assert first.created and first.position is not None
    assert not again.created and again.position is None
    assert again.notification_id == first.notification_id
    assert count_events(pg) == 1
    created = services.notifications.get(first.notification_id)
    assert (created.recipient_id, created.kind, created.ref) == ("E1", "promotion.reminder", REF)
    assert stored_label(created.title) == TITLE and stored_label(created.body) == BODY
    # The same key for someone else is a caller's bug, not a second notification.
    with pytest.raises(DomainError, match="already used"):
        services.notifications.create(
            SYSTEM, "promotion/APP-1/round-1/reminder", "E2", "promotion.reminder", TITLE, BODY
        )
    with pytest.raises(DomainError, match="missing: zh"):
        services.notifications.create(SYSTEM, "k2", "E1", "x", {"en": "t"}, {"en": "b"})
    with pytest.raises(PermissionDeniedError, match="may not send notifications"):
        services.notifications.create(E1, "k3", "E2", "x", TITLE, BODY)
    assert count_events(pg) == 1


def test_a_concurrent_create_of_the_same_key_is_already_exists(
    services: Engine, monkeypatch: pytest.MonkeyPatch, pg: PostgresSettings
) -> None:
    # Another writer saves the same key between our existence check and our save: the
    # aggregate id is the key's, so our save fails the store's integrity check, and the
    # service answers "already exists".
    from aggregates.notification import Notification

    winner = Notification(
        key="race", recipient_id="E1", kind="promotion.reminder", title=TITLE, body=BODY
    )
    service = services.notifications
    real_find = service._find
    calls: list[uuid.UUID] = []

    def find_after_the_other_writer(ident: uuid.UUID) -> Notification | None:
        calls.append(ident)
        if len(calls) == 1:  # our check: nothing yet; then the other writer saves
            services.store.notifications.save(winner)
            return None
        return real_find(ident)

    monkeypatch.setattr(service, "_find", find_after_the_other_writer)
    ref = service.create(SYSTEM, "race", "E1", "promotion.reminder", TITLE, BODY)
    assert not ref.created and ref.notification_id == winner.id
    assert len(calls) == 2  # the check, then the reload after the integrity error
    assert count_events(pg) == 1


def test_inbox_and_mark_read_by_the_recipient_only(
    services: Engine, read_models: ReadModels, pg: PostgresSettings
) -> None:
    older = send(services, "k/older")
    time.sleep(0.01)
    newer = send(services, "k/newer")
    send(services, "k/other", recipient="E2")
    projected(read_models, services)
    inbox = services.notifications.inbox(E1, "E1")
    assert [r["notification_id"] for r in inbox] == [newer, older]
    assert inbox[0]["title"] == TITLE and inbox[0]["body"] == BODY and inbox[0]["ref"] == REF
    assert not inbox[0]["read"] and inbox[0]["read_at"] is None
    assert inbox[0]["delivered"] == {}
    assert inbox[0]["created_at"] == services.notifications.get(newer).created

    events_before = count_events(pg)
    with pytest.raises(NotFoundError):
        services.notifications.mark_read(E2, older)  # not theirs: they cannot see it
    with pytest.raises(PermissionDeniedError, match="only its recipient"):
        services.notifications.mark_read(HR, older)  # HR sees it, but does not read it
    with pytest.raises(NotFoundError):
        services.notifications.mark_read(E1, uuid.uuid4())
    assert count_events(pg) == events_before
    assert not services.notifications.get(older).read

    first = services.notifications.mark_read(E1, older)
    again = services.notifications.mark_read(E1, older)
    assert first.changed and first.position is not None
    assert not again.changed and again.position is None
    assert count_events(pg, ".Read") == 1
    read_models.wait({"notifications": first.position})
    unread = services.notifications.inbox(E1, "E1", unread_only=True)
    assert [r["notification_id"] for r in unread] == [newer]
    row = inbox_row(pg, older)
    read_event_time: datetime = services.store.notifications.repository.get(older).modified_on
    assert row["read_at"] == read_event_time


def test_inbox_access_rules(services: Engine, read_models: ReadModels) -> None:
    mine = send(services, "k/e1")
    hr_note = send(services, "k/hr", recipient="H001")
    projected(read_models, services)
    assert [r["notification_id"] for r in services.notifications.inbox(E1, "E1")] == [mine]
    with pytest.raises(PermissionDeniedError, match="may not read E2's inbox"):
        services.notifications.inbox(E1, "E2")
    with pytest.raises(PermissionDeniedError, match="may not read E1's inbox"):
        services.notifications.inbox(S1, "E1")  # managers: not their reports' inboxes
    assert services.notifications.inbox(S1, "S1") == []
    assert len(services.notifications.inbox(HR, "E1")) == 1
    assert len(services.notifications.inbox(AUDITOR, "E1")) == 1
    # HR people are not employees but have an inbox of their own.
    assert [r["notification_id"] for r in services.notifications.inbox(HR, "H001")] == [hr_note]


# -- delivery --------------------------------------------------------------------------
def test_email_in_the_recipients_language_and_webhook(
    services: Engine, smtp: Smtp, robot: Robot, read_models: ReadModels, pg: PostgresSettings
) -> None:
    acts = NotificationActivities(
        services.notifications, services.people, smtp.settings, robot.settings
    )
    to_e1 = acts.create_notification(
        CreateNotification(
            key="promotion/APP-1/decided",
            recipient_id="E1",
            kind="promotion.decided",
            title=TITLE,
            body=BODY,
            ref=REF,
        )
    )
    to_e2 = send(services, "promotion/APP-2/decided", recipient="E2")
    report = acts.deliver_notification(DeliverNotification(notification_id=to_e1.notification_id))
    acts.deliver_notification(DeliverNotification(notification_id=to_e2))
    assert report.outcomes == {"email": DeliveryStatus.delivered, "webhook": "delivered"}

    (english,) = smtp.mail.to("e1@example.invalid")
    assert english["Subject"] == TITLE["en"]
    assert english["From"] == "careerflow@example.invalid"
    assert english.get_content().strip() == BODY["en"]
    assert english["X-Careerflow-Notification"] == str(to_e1.notification_id)
    (chinese,) = smtp.mail.to("e2@example.invalid")
    assert chinese["Subject"] == TITLE["zh"]
    assert chinese.get_content().strip() == BODY["zh"]

    assert len(robot.received) == 2
    first = robot.received[0]
    assert first["msgtype"] == "text"
    assert first["text"]["content"].startswith(f"{TITLE['en']}\n{BODY['en']}")
    assert "@Emma English" in first["text"]["content"]
    assert first["careerflow"]["notification_id"] == str(to_e1.notification_id)
    assert first["careerflow"]["title"] == TITLE and first["careerflow"]["ref"] == REF
    assert robot.received[1]["text"]["content"].startswith(TITLE["zh"])

    # Delivered channels are never sent again.
    again = acts.deliver_notification(DeliverNotification(notification_id=to_e1.notification_id))
    assert again.outcomes == report.outcomes
    assert len(smtp.mail.messages) == 2 and len(robot.received) == 2
    assert count_events(pg, ".Delivered") == 4

    projected(read_models, services)
    row = inbox_row(pg, to_e1.notification_id)
    assert row["delivered"] == {"email": "delivered", "webhook": "delivered"}


def test_recipient_without_email_is_skipped_and_disabled_channels_too(
    services: Engine, smtp: Smtp, read_models: ReadModels, pg: PostgresSettings
) -> None:
    acts = NotificationActivities(
        services.notifications, services.people, smtp.settings, webhook=None
    )
    for_hr = send(services, "escalation/1", recipient="H001")
    report = acts.deliver_notification(DeliverNotification(notification_id=for_hr))
    assert report.outcomes == {"email": "skipped", "webhook": "skipped"}
    assert smtp.mail.messages == []
    outcome = services.notifications.get(for_hr).deliveries["email"]
    assert outcome.detail == "H001 has no email address"
    projected(read_models, services)
    assert inbox_row(pg, for_hr)["delivered"] == {"email": "skipped", "webhook": "skipped"}


def test_failing_smtp_records_the_failure_and_raises_until_it_works(
    services: Engine, smtp: Smtp, robot: Robot, read_models: ReadModels, pg: PostgresSettings
) -> None:
    closed = SmtpSettings(host="127.0.0.1", port=free_port(), sender="careerflow@x.invalid")
    broken = NotificationActivities(services.notifications, services.people, closed, robot.settings)
    ident = send(services, "plan/P1/milestone-1/reminder")
    with pytest.raises(ApplicationError) as info:
        broken.deliver_notification(DeliverNotification(notification_id=ident))
    assert info.value.type == "DeliveryError" and not info.value.non_retryable
    assert "email: cannot send via 127.0.0.1" in str(info.value)
    notification = services.notifications.get(ident)
    assert notification.deliveries["email"].status == DeliveryStatus.failed
    assert notification.deliveries["email"].attempts == 1
    assert notification.deliveries["webhook"].status == DeliveryStatus.delivered
    assert count_events(pg, ".DeliveryFailed") == 1
    projected(read_models, services)
    assert inbox_row(pg, ident)["delivered"] == {"email": "failed", "webhook": "delivered"}

    # The retry (here: the mail server is back) sends email only; the webhook is done.
    fixed = NotificationActivities(
        services.notifications, services.people, smtp.settings, robot.settings
    )
    report = fixed.deliver_notification(DeliverNotification(notification_id=ident))
    assert report.outcomes == {"email": "delivered", "webhook": "delivered"}
    assert len(smtp.mail.to("e1@example.invalid")) == 1
    assert len(robot.received) == 1
    projected(read_models, services)
    assert inbox_row(pg, ident)["delivered"] == {"email": "delivered", "webhook": "delivered"}


def test_webhook_errors_are_recorded_permanent_ones_are_not_retried(
    services: Engine, robot: Robot
) -> None:
    acts = NotificationActivities(services.notifications, services.people, None, robot.settings)
    ident = send(services, "weekly/E1/2026-W47")
    robot.answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
    with pytest.raises(ApplicationError, match="errcode 45009") as info:
        acts.deliver_notification(DeliverNotification(notification_id=ident, channels=["webhook"]))
    assert not info.value.non_retryable
    robot.status, robot.answer = 404, {"error": "no such robot"}
    with pytest.raises(ApplicationError, match="HTTP 404") as info:
        acts.deliver_notification(DeliverNotification(notification_id=ident, channels=["webhook"]))
    assert info.value.non_retryable
    outcome = services.notifications.get(ident).deliveries["webhook"]
    assert (outcome.status, outcome.attempts) == (DeliveryStatus.failed, 2)


def test_rebuilt_inbox_is_the_same(
    pg: PostgresSettings, services: Engine, smtp: Smtp, robot: Robot
) -> None:
    acts = NotificationActivities(
        services.notifications, services.people, smtp.settings, robot.settings
    )
    for n, recipient in enumerate(["E1", "E2", "H001"]):
        ident = send(services, f"k/{n}", recipient=recipient)
        acts.deliver_notification(DeliverNotification(notification_id=ident))
    rm = ReadModels(pg, application_env(pg))
    with rm:
        projected(rm, services)
        first_id = services.notifications.inbox(E1, "E1")[0]["notification_id"]
        services.notifications.mark_read(E1, first_id)
        projected(rm, services)
    before = dump_inbox(pg)
    assert len(before) == 3 and any(r["read_at"] for r in before)
    rm.rebuild()  # forget every read model and its position, project again from zero
    with rm:
        projected(rm, services)
    assert dump_inbox(pg) == before


def settle(acts: NotificationActivities, key: str, recipient: str) -> Any:
    return acts.create_and_settle(
        SendNotification(
            key=key,
            recipient_id=recipient,
            kind="promotion.reminder",
            title=MessageIn.model_validate(ANNOUNCED.to_json()),
            body=MessageIn.model_validate(PROMOTED.to_json()),
            ref=REF,
        )
    )


def events_of(pg: PostgresSettings, ident: uuid.UUID) -> list[str]:
    with psycopg.connect(pg.conninfo()) as conn:
        rows = conn.execute(
            "SELECT topic FROM notifications_events WHERE originator_id = %s "
            "ORDER BY originator_version",
            (ident,),
        ).fetchall()
    return [str(r[0]).rsplit(".", 1)[-1] for r in rows]


def test_idle_channels_are_settled_in_the_created_event_same_inbox_row(
    services: Engine, smtp: Smtp, read_models: ReadModels, pg: PostgresSettings
) -> None:
    """One save for a notification with nothing to send: the skipped channels are a field
    of Created, not a DeliverySkipped event each; the inbox row is the one the old events
    (create, then deliver recording the skips) give."""
    acts = NotificationActivities(services.notifications, services.people, smtp.settings, None)
    old = send(services, "old/1", recipient="H001")
    acts.deliver_notification(DeliverNotification(notification_id=old))
    new = settle(acts, "new/1", "H001")
    assert new.created and new.pending == []
    assert events_of(pg, old) == ["Created", "DeliverySkipped", "DeliverySkipped"]
    assert events_of(pg, new.notification_id) == ["Created"]
    before, after = (services.notifications.get(i) for i in (old, new.notification_id))
    assert after.deliveries == before.deliveries
    assert after.is_settled("email") and after.is_settled("webhook")
    projected(read_models, services)
    rows = [inbox_row(pg, i) for i in (old, new.notification_id)]
    assert (
        rows[0]["delivered"] == rows[1]["delivered"] == {"email": "skipped", "webhook": "skipped"}
    )
    # Again (a retried local activity): nothing new, nothing left to deliver.
    again = settle(acts, "new/1", "H001")
    assert (again.created, again.pending) == (False, [])
    assert events_of(pg, new.notification_id) == ["Created"]


def test_configured_channels_are_left_to_the_delivery(
    services: Engine, smtp: Smtp, read_models: ReadModels, pg: PostgresSettings
) -> None:
    acts = NotificationActivities(services.notifications, services.people, smtp.settings, None)
    made = settle(acts, "new/2", "E1")
    assert made.pending == ["email"]  # the webhook is not configured: settled at creation
    assert settle(acts, "new/2", "E1").pending == ["email"]  # not delivered yet
    report = acts.deliver_notification(
        DeliverNotification(notification_id=made.notification_id, channels=made.pending)
    )
    assert report.outcomes == {"email": "delivered"}
    assert len(smtp.mail.to("e1@example.invalid")) == 1
    assert settle(acts, "new/2", "E1").pending == []
    assert events_of(pg, made.notification_id) == ["Created", "Delivered"]
    projected(read_models, services)
    assert inbox_row(pg, made.notification_id)["delivered"] == {
        "email": "delivered",
        "webhook": "skipped",
    }


def dump_inbox(pg: PostgresSettings) -> list[dict[str, Any]]:
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        return [dict(r) for r in conn.execute("SELECT * FROM rm_inbox ORDER BY key")]


# -- inside a real Temporal worker -----------------------------------------------------
@workflow.defn(name="NotifyForTest")
class NotifyForTestWorkflow:
    @workflow.run
    async def run(self, key: str, recipient_id: str) -> None:
        await notify(key, recipient_id, "promotion.announced", ANNOUNCED, PROMOTED, REF)


async def test_notify_from_a_workflow_creates_and_emails(
    env: WorkflowEnvironment, services: Engine, smtp: Smtp, robot: Robot
) -> None:
    acts = NotificationActivities(
        services.notifications, services.people, smtp.settings, robot.settings
    )
    queue = f"notify-{uuid.uuid4()}"
    workflow_id = f"notify-test-{uuid.uuid4()}"
    key = f"promotion/{workflow_id}/announced"
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[NotifyForTestWorkflow],
            activities=acts.all(),
            activity_executor=executor,
            interceptors=INTERCEPTORS,
        ):
            await env.client.execute_workflow(
                NotifyForTestWorkflow.run, args=[key, "E2"], id=workflow_id, task_queue=queue
            )
            # Run again under another id: the key makes it the same notification.
            await env.client.execute_workflow(
                NotifyForTestWorkflow.run, args=[key, "E2"], id=f"{workflow_id}-2", task_queue=queue
            )
    (mail,) = smtp.mail.to("e2@example.invalid")
    assert mail["Subject"] == "恭喜你获得晋升"  # E2's profile: Chinese, from the catalogue
    assert "你已晋升为销售主管" in mail.get_content() and "2026年12月1日" in mail.get_content()
    assert len(robot.received) == 1
    from aggregates.notification import notification_uuid

    notification = services.notifications.get(notification_uuid(key))
    assert {c: o.status for c, o in notification.deliveries.items()} == {
        "email": "delivered",
        "webhook": "delivered",
    }
    # Events written by the activities name the workflow that caused them.
    stored = services.store.notifications.recorder.select_events(notification.id)
    mapper = services.store.notifications.mapper
    assert isinstance(mapper, PydanticMapper)
    metas = [mapper.decode_state(e)["meta"] for e in stored]
    assert metas[0]["workflow_id"] == workflow_id and metas[0]["role"] == "system"
