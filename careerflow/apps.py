"""The event-sourced applications. Each is its own table (and notification log), so
writers of independent streams don't queue on one table lock."""

from __future__ import annotations

from careerflow.applications.access import Access as Access
from careerflow.applications.assessments import Assessments as Assessments
from careerflow.applications.cycles import Cycles as Cycles
from careerflow.applications.metrics import Metrics as Metrics
from careerflow.applications.notifications import Notifications as Notifications
from careerflow.applications.people import People as People
from careerflow.applications.plans import Plans as Plans
from careerflow.applications.policies import Policies as Policies
from careerflow.applications.promotions import Promotions as Promotions
from careerflow.applications.support import Support as Support
from careerflow.eventstore import PydanticApplication


class Audit(PydanticApplication):
    """What auditors did: each history read, export, verification and replay."""

    name = "audit"


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
