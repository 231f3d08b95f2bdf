"""Settings read from environment variables: the only thing that differs between the
embedded default and a scale-out deployment."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "y", "yes", "true", "on"}


class PostgresSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str
    port: int = 5432
    dbname: str = "postgres"
    user: str = "postgres"
    password: str = ""
    schema_name: str = ""

    def eventsourcing_env(self) -> dict[str, str]:
        """The variables the `eventsourcing` library reads for its PostgreSQL recorders."""
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            # Small pools: every process opens one per application.
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "6",
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }
        if self.schema_name:
            env["POSTGRES_SCHEMA"] = self.schema_name
        return env

    def conninfo(self) -> str:
        parts = [
            f"host={self.host}",
            f"port={self.port}",
            f"dbname={self.dbname}",
            f"user={self.user}",
        ]
        if self.password:
            parts.append(f"password={self.password}")
        return " ".join(parts)

    @classmethod
    def from_env(cls) -> PostgresSettings | None:
        host = _env("POSTGRES_HOST")
        if not host:
            return None
        return cls(
            host=host,
            port=int(_env("POSTGRES_PORT", "5432")),
            dbname=_env("POSTGRES_DBNAME", "postgres"),
            user=_env("POSTGRES_USER", "postgres"),
            password=_env("POSTGRES_PASSWORD"),
            schema_name=_env("POSTGRES_SCHEMA"),
        )


class TemporalSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "careerflow"
    ui_port: int = 8233

    @classmethod
    def from_env(cls) -> TemporalSettings:
        return cls(
            address=_env("TEMPORAL_ADDRESS", "localhost:7233"),
            namespace=_env("TEMPORAL_NAMESPACE", "default"),
            task_queue=_env("TEMPORAL_TASK_QUEUE", "careerflow"),
            ui_port=int(_env("TEMPORAL_UI_PORT", "8233")),
        )


class Settings(BaseModel):
    """Everything the engine reads from its environment."""

    model_config = ConfigDict(frozen=True)

    var_dir: Path
    postgres: PostgresSettings | None
    temporal: TemporalSettings
    cipher_key: str = ""
    load_demo: bool = True
    demo_size: int = 500
    demo_teams: int = 50
    embedded_temporal: bool = True
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Workers create (or bring up to date) the cycle schedules when they start.
    ensure_schedules: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            var_dir=Path(_env("CAREERFLOW_VAR_DIR", "var")).resolve(),
            postgres=PostgresSettings.from_env(),
            temporal=TemporalSettings.from_env(),
            cipher_key=_env("CAREERFLOW_CIPHER_KEY"),
            load_demo=_flag("CAREERFLOW_LOAD_DEMO", True),
            demo_size=int(_env("CAREERFLOW_DEMO_SIZE", "500")),
            demo_teams=int(_env("CAREERFLOW_DEMO_TEAMS", "50")),
            # An external cluster is used when TEMPORAL_ADDRESS is given explicitly.
            embedded_temporal=not _env("TEMPORAL_ADDRESS"),
            api_host=_env("CAREERFLOW_API_HOST", "127.0.0.1"),
            api_port=int(_env("CAREERFLOW_API_PORT", "8000")),
            ensure_schedules=_flag("CAREERFLOW_ENSURE_SCHEDULES", True),
        )

    def require_postgres(self) -> PostgresSettings:
        if self.postgres is None:
            raise RuntimeError(
                "No PostgreSQL configured: set POSTGRES_HOST (and POSTGRES_PORT, "
                "POSTGRES_DBNAME, POSTGRES_USER, POSTGRES_PASSWORD), or run "
                "`careerflow start`, which starts an embedded PostgreSQL."
            )
        return self.postgres
