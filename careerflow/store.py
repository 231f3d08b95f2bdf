"""The event-sourced applications against the configured PostgreSQL (careerflow.engine
opens them with every table in place)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from eventsourcing.cipher import AESCipher
from eventsourcing.utils import get_topic

from careerflow.apps import (
    Access,
    Assessments,
    Audit,
    Cycles,
    Metrics,
    Notifications,
    People,
    Plans,
    Policies,
    Promotions,
    Support,
)
from careerflow.config import PostgresSettings
from careerflow.eventstore import PydanticApplication
from careerflow.recorders import UnpipelinedApplicationRecorder


def application_env(pg: PostgresSettings, cipher_key: str = "") -> dict[str, str]:
    env = pg.eventsourcing_env()
    env["APPLICATION_RECORDER_TOPIC"] = get_topic(UnpipelinedApplicationRecorder)
    if cipher_key:
        # Encryption at rest: AES-GCM over each event's state.
        env["CIPHER_TOPIC"] = get_topic(AESCipher)
        env["CIPHER_KEY"] = cipher_key
    return env


class Store:
    """The applications that hold the system of record."""

    def __init__(self, pg: PostgresSettings, cipher_key: str = "") -> None:
        self.env = application_env(pg, cipher_key)
        self.pg = pg
        self.people = People(env=self.env)
        self.metrics = Metrics(env=self.env)
        self.policies = Policies(env=self.env)
        self.notifications = Notifications(env=self.env)
        self.promotions = Promotions(env=self.env)
        self.plans = Plans(env=self.env)
        self.cycles = Cycles(env=self.env)
        self.access = Access(env=self.env)
        self.audit = Audit(env=self.env)
        self.support = Support(env=self.env)
        self.assessments = Assessments(env=self.env)

    def applications(self) -> list[PydanticApplication]:
        return [
            self.people,
            self.metrics,
            self.policies,
            self.notifications,
            self.promotions,
            self.plans,
            self.cycles,
            self.access,
            self.audit,
            self.support,
            self.assessments,
        ]

    def close(self) -> None:
        for app in self.applications():
            app.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
