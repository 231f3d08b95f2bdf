"""The support commands are the Support application's (careerflow.applications.support);
the old names stay importable here."""

from __future__ import annotations

# The workflow's contract and its view of a request live beside the activities.
from activities.support import SupportInfo as SupportInfo
from activities.support import local_label as local_label
from activities.support import support_info as support_info
from aggregates.support_rules import TEAM_ROLES as TEAM_ROLES
from careerflow.applications.support import MAX_CUSTOMER as MAX_CUSTOMER
from careerflow.applications.support import REQUEST_ID as REQUEST_ID
from careerflow.applications.support import iso_week as iso_week
