"""The event-sourced applications. Each is its own table (and notification log), so
writers of independent streams don't queue on one table lock."""

from __future__ import annotations

from typing import Any, ClassVar

from aggregates.metric_ledger import MetricLedger
from aggregates.organisation import Organisation
from aggregates.policy import PolicyDocument
from careerflow.applications.cycles import Cycles as Cycles
from careerflow.applications.plans import Plans as Plans
from careerflow.applications.promotions import Promotions as Promotions
from careerflow.eventstore import PydanticApplication


class People(PydanticApplication):
    """Employees and the organisation's teams."""

    name = "people"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Organisation: 50}


class Metrics(PydanticApplication):
    """One metric ledger per employee."""

    name = "metrics"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {MetricLedger: 12}


class Policies(PydanticApplication):
    """Versioned policy documents."""

    name = "policies"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {PolicyDocument: 10}


class Notifications(PydanticApplication):
    """One notification per idempotency key: the in-app inbox and delivery outcomes."""

    name = "notifications"


class Access(PydanticApplication):
    """API access tokens (hashed), issued and revoked by HR."""

    name = "access"


class Audit(PydanticApplication):
    """What auditors did: each history read, export, verification and replay."""

    name = "audit"


class Support(PydanticApplication):
    """Support requests from the field to the product, after-sales and finance teams."""

    name = "support"


class Assessments(PydanticApplication):
    """360° competency assessment rounds and their ratings."""

    name = "assessments"


APPLICATION_CLASSES: tuple[type[PydanticApplication], ...] = (
    People,
    Metrics,
    Policies,
    Notifications,
    Promotions,
    Plans,
    Cycles,
    Access,
    Audit,
    Support,
    Assessments,
)
