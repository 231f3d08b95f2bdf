"""The support commands are the Support application's (careerflow.applications.support);
this wires its collaborators from the services and keeps the old names importable."""

from __future__ import annotations

from typing import TYPE_CHECKING

# The workflow's contract and its view of a request live beside the activities.
from activities.support import SupportInfo as SupportInfo
from activities.support import local_label as local_label
from activities.support import support_info as support_info
from aggregates.support_rules import TEAM_ROLES as TEAM_ROLES
from careerflow.applications.support import MAX_CUSTOMER as MAX_CUSTOMER
from careerflow.applications.support import REQUEST_ID as REQUEST_ID
from careerflow.applications.support import Support
from careerflow.applications.support import iso_week as iso_week

if TYPE_CHECKING:
    from careerflow.services.registry import Services


def wire(services: Services) -> Support:
    """Gives the store's Support application its collaborators."""
    support = services.store.support
    support.wire(employee=services.people.get, policies=services.policies)
    return support
