"""The projection runner process and the rebuild command."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from aggregates.base import DomainError
from careerflow.config import PostgresSettings, Settings
from careerflow.engine import prepare_database
from careerflow.principal import AccessRole, Principal
from careerflow.store import Store, application_env
from projections.runner import ReadModels, all_projection_locks
from words.messages import Message

log = logging.getLogger(__name__)

# What a database restart looks like from here (psycopg's own, and the library's wrappers).
LOST_DATABASE = (psycopg.OperationalError, psycopg.InterfaceError, OperationalError, InterfaceError)


# How long a stop request may take before the process leaves without finishing the stop.
STOP_GRACE = 1.0


def _leave_now() -> None:
    log.warning("not stopped %.1f s after the stop request (database gone?): leaving", STOP_GRACE)
    logging.shutdown()
    os._exit(0)


def run_projection_service(settings: Settings) -> None:
    pg = settings.require_postgres()
    env = application_env(pg, settings.cipher_key)
    prepare_database(pg, settings.cipher_key)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()
        # Stopping the library's runners joins threads that may be stuck reconnecting to
        # a database that is gone; each read-model change commits with its tracking
        # record, so leaving abruptly after a grace period loses nothing (a kill -9 is as
        # safe), and the stack is not held up for its 15 s stop timeout.
        timer = threading.Timer(STOP_GRACE, _leave_now)
        timer.daemon = True
        timer.start()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    backoff = 1.0
    while not stop.is_set():
        try:
            _project_while_active(pg, env, stop)
            backoff = 1.0
        except LOST_DATABASE as exc:
            # PostgreSQL restarted or the network dropped: wait, then compete for the lock
            # again (a standby may have taken over); the runners resume from their
            # tracking records, so nothing is skipped or applied twice.
            log.warning("lost the database (%s); reconnecting in %.0f s", exc, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
    log.info("projection runner stopped")


def _project_while_active(pg: PostgresSettings, env: dict[str, str], stop: threading.Event) -> None:
    # Shared: this process runs the projections whose locks it holds (a fair share of
    # them, or all if it is alone) and competes for the others every second, so two
    # processes split the work and one takes over what a dead one held.
    poll = os.environ.get("CAREERFLOW_READINESS_POLL")  # seconds; unset: on progress only
    read_models = ReadModels(pg, env, shared=True, poll=float(poll) if poll else None)
    try:
        read_models.start()
        log.info("projecting: %s", ", ".join(read_models.held()) or "nothing yet (standby)")
        while not stop.wait(1.0):
            read_models.check()
    finally:
        with contextlib.suppress(Exception):  # the database may be gone
            read_models.stop()
        with contextlib.suppress(Exception):
            read_models.refresher.close()


def rebuild_read_models(settings: Settings, principal: Principal, timeout: float = 600) -> None:
    """Rebuilds from zero; needs the projection runner stopped (so nothing writes the
    read models meanwhile), and waits until the rebuilt models have caught up."""
    principal.require(AccessRole.hr, AccessRole.system, action=Message("rebuild read models"))
    pg = settings.require_postgres()
    env = application_env(pg, settings.cipher_key)
    with all_projection_locks(pg) as got:
        if not got:
            raise DomainError(
                "a projection runner is running: stop it (or the stack) first, then rebuild"
            )
        read_models = ReadModels(pg, env)
        read_models.rebuild()
        with Store(pg, settings.cipher_key) as store, read_models:
            read_models.wait_caught_up(store.applications(), timeout)
        read_models.refresher.close()
