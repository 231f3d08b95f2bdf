"""temporal-compose.yml, checked without a Docker engine: every image pinned, the
Temporal cluster on its PostgreSQL, the search attributes the workflows need registered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from careerflow.temporal_server import CAREERFLOW_SEARCH_ATTRIBUTES

COMPOSE = Path(__file__).resolve().parent.parent / "temporal-compose.yml"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_every_image_is_pinned() -> None:
    for name, service in compose()["services"].items():
        image, _, tag = service["image"].partition(":")
        assert tag and tag != "latest", f"{name}: pin {image} to a version"


def test_temporal_runs_on_the_compose_postgresql() -> None:
    services = compose()["services"]
    temporal = services["temporal"]
    assert temporal["environment"]["POSTGRES_SEEDS"] == "temporal-postgresql"
    assert temporal["depends_on"]["temporal-postgresql"]["condition"] == "service_healthy"
    db = services["temporal-postgresql"]["environment"]
    assert temporal["environment"]["POSTGRES_USER"] == db["POSTGRES_USER"]
    assert temporal["environment"]["POSTGRES_PWD"] == db["POSTGRES_PASSWORD"]
    assert "7233:7233" in temporal["ports"]
    assert services["temporal-ui"]["environment"]["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_the_search_attributes_the_workflows_upsert_are_registered() -> None:
    command = " ".join(compose()["services"]["temporal-search-attributes"]["command"])
    for name, kind in CAREERFLOW_SEARCH_ATTRIBUTES.items():
        assert f"--name {name} --type {kind}" in command
