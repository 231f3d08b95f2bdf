"""Loads the demo organisation through the same services a person would use."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import orjson

from careerflow.config import Settings
from careerflow.demo import generate, write_csv_stream
from careerflow.engine import Engine
from careerflow.principal import AccessRole, Principal

log = logging.getLogger(__name__)

DEMO_HR = Principal(person_id="H001", role=AccessRole.hr)


# Ready API tokens for trying the demo: one person per role (see `demo_tokens`).
DEMO_TOKEN_HOLDERS: tuple[tuple[AccessRole, str], ...] = (
    (AccessRole.employee, "E00001"),
    (AccessRole.manager, "S001"),
    (AccessRole.manager, "M001"),
    (AccessRole.hr, "H001"),
    (AccessRole.auditor, "A001"),
    (AccessRole.integration, "crm"),
)


def load_demo(settings: Settings, *, reps: int, teams: int, if_empty: bool) -> dict[str, Any]:
    with Engine.open(settings) as services:
        return load_demo_into(
            services,
            reps=reps,
            teams=teams,
            if_empty=if_empty,
            tokens_file=settings.var_dir / "demo-tokens.json",
        )


def demo_tokens(services: Engine, tokens_file: Path | None) -> dict[str, str]:
    """The demo's API tokens, issued once and kept in the var dir (demo data only: a real
    deployment's tokens are issued with `careerflow token issue` and shown once)."""
    if tokens_file is not None and tokens_file.exists():
        stored: dict[str, str] = orjson.loads(tokens_file.read_bytes())
        return stored
    tokens = {
        f"{role.value}:{person}": services.tokens.issue(
            DEMO_HR, person, role, "demo", valid_days=365
        ).token
        for role, person in DEMO_TOKEN_HOLDERS
    }
    if tokens_file is not None:
        tokens_file.parent.mkdir(parents=True, exist_ok=True)
        tokens_file.touch(mode=0o600)
        tokens_file.write_bytes(orjson.dumps(tokens, option=orjson.OPT_INDENT_2))
    return tokens


def load_demo_into(
    services: Engine,
    *,
    reps: int,
    teams: int,
    if_empty: bool,
    tokens_file: Path | None = None,
) -> dict[str, Any]:
    if if_empty and services.people.organisation_exists():
        return {
            "skipped": "the organisation already exists",
            "api_tokens": demo_tokens(services, tokens_file),
        }
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
        "api_tokens": demo_tokens(services, tokens_file),
    }
