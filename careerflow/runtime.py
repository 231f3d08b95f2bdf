"""Where a running engine is: the embedded stack writes var/stack.json so commands in
another terminal find its PostgreSQL and Temporal without any configuration."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from careerflow.config import PostgresSettings, Settings, TemporalSettings


def stack_file(var_dir: Path) -> Path:
    return var_dir / "stack.json"


def write_stack_file(var_dir: Path, pg: PostgresSettings, temporal: TemporalSettings) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    payload = {"postgres": pg.model_dump(), "temporal": temporal.model_dump(), "pid": os.getpid()}
    stack_file(var_dir).write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2))


def remove_stack_file(var_dir: Path) -> None:
    stack_file(var_dir).unlink(missing_ok=True)


def load_settings() -> Settings:
    """Environment first; otherwise the running embedded stack's addresses."""
    settings = Settings.from_env()
    path = stack_file(settings.var_dir)
    if path.exists():
        data = orjson.loads(path.read_bytes())
        update: dict[str, object] = {}
        if settings.postgres is None:
            update["postgres"] = PostgresSettings.model_validate(data["postgres"])
        if settings.embedded_temporal:
            update["temporal"] = TemporalSettings.model_validate(data["temporal"])
        settings = settings.model_copy(update=update)
    return settings
