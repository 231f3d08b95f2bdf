"""The projection runner process and the rebuild command."""

from __future__ import annotations

import logging
import signal
import threading

from aggregates.base import DomainError
from careerflow.config import Settings
from careerflow.database import prepare_database
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels, runner_lock

log = logging.getLogger(__name__)


def run_projection_service(settings: Settings) -> None:
    pg = settings.require_postgres()
    env = application_env(pg, settings.cipher_key)
    prepare_database(pg, settings.cipher_key)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    log.info("waiting to become the active projection runner")
    with runner_lock(pg, wait=True):
        read_models = ReadModels(pg, env)
        read_models.start()
        log.info("projecting: %s", ", ".join(r.app_name for r in read_models.runners))
        try:
            while not stop.wait(1.0):
                read_models.check()
        finally:
            read_models.stop()
            read_models.refresher.close()
    log.info("projection runner stopped")


def rebuild_read_models(settings: Settings, principal: Principal, timeout: float = 600) -> None:
    """Rebuilds from zero; needs the projection runner stopped (so nothing writes the
    read models meanwhile), and waits until the rebuilt models have caught up."""
    principal.require(AccessRole.hr, AccessRole.system, action="rebuild read models")
    pg = settings.require_postgres()
    env = application_env(pg, settings.cipher_key)
    with runner_lock(pg, wait=False) as got:
        if not got:
            raise DomainError(
                "a projection runner is running: stop it (or the stack) first, then rebuild"
            )
        read_models = ReadModels(pg, env)
        read_models.rebuild()
        with Store(pg, settings.cipher_key) as store, read_models:
            read_models.wait_caught_up(store.applications(), timeout)
        read_models.refresher.close()
