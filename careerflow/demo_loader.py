"""Loads the demo organisation through the same services a person would use."""

from __future__ import annotations

import io
import logging
from typing import Any

from careerflow.config import Settings
from careerflow.demo import generate, write_csv_stream
from careerflow.principal import AccessRole, Principal
from careerflow.services.registry import Services

log = logging.getLogger(__name__)

DEMO_HR = Principal(person_id="H001", role=AccessRole.hr)


def load_demo(settings: Settings, *, reps: int, teams: int, if_empty: bool) -> dict[str, Any]:
    with Services.open(settings) as services:
        return load_demo_into(services, reps=reps, teams=teams, if_empty=if_empty)


def load_demo_into(services: Services, *, reps: int, teams: int, if_empty: bool) -> dict[str, Any]:
    if if_empty and services.people.organisation_exists():
        return {"skipped": "the organisation already exists"}
    seeded = services.policies.seed(DEMO_HR)
    demo = generate(reps=reps, teams=teams)
    imported = services.people.import_org(DEMO_HR, demo.org)
    buffer = io.StringIO()
    write_csv_stream(demo.measurements, buffer)
    ingested = services.ingest.ingest(
        DEMO_HR,
        buffer.getvalue().encode("utf-8"),
        "csv",
        services.catalog(),
        source_name="demo",
    )
    return {
        "policies_published": seeded,
        "organisation": imported.model_dump(),
        "metrics": ingested.model_dump(),
    }
