"""The projection runner process and the rebuild command."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Sequence

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from aggregates.base import DomainError
from careerflow.config import PostgresSettings, Settings
from careerflow.engine import prepare_database
from careerflow.heap import freeze_startup_heap
from careerflow.principal import AccessRole, Principal
from careerflow.signals import relay_signals
from careerflow.store import application_env
from projections.readiness import ReadinessRefresher
from projections.rebuild import (
    ProgressFn,
    RebuildResult,
    known_names,
    rebuild_online,
    unknown_names,
)
from projections.runner import ReadModels
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
    freeze_startup_heap()  # everything is imported: keep full collections short
    stop = threading.Event()

    def on_signal(signum: int) -> None:
        stop.set()
        # Stopping the library's runners joins threads that may be stuck reconnecting to
        # a database that is gone; each read-model change commits with its tracking
        # record, so leaving abruptly after a grace period loses nothing (a kill -9 is as
        # safe), and the stack is not held up for its 15 s stop timeout.
        timer = threading.Timer(STOP_GRACE, _leave_now)
        timer.daemon = True
        timer.start()

    with relay_signals((signal.SIGINT, signal.SIGTERM), on_signal):
        backoff = 1.0
        while not stop.is_set():
            try:
                _project_while_active(pg, env, stop)
                backoff = 1.0
            except LOST_DATABASE as exc:
                # PostgreSQL restarted or the network dropped: wait, then compete for the
                # lock again (a standby may have taken over); the runners resume from
                # their tracking records, so nothing is skipped or applied twice.
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


def rebuild_read_models(
    settings: Settings,
    principal: Principal,
    names: Sequence[str] = (),
    progress: ProgressFn | None = None,
) -> RebuildResult:
    """Rebuilds the named read models (every one for none) without downtime: built
    aside while the live ones serve and their runner keeps running, then switched in
    (projections/rebuild.py); readiness is recomputed before this returns."""
    principal.require(AccessRole.hr, AccessRole.system, action=Message("rebuild read models"))
    pg = settings.require_postgres()
    env = application_env(pg, settings.cipher_key)
    if unknown := unknown_names(names):
        raise DomainError(
            "no projection named {unknown} (known: {known})",
            unknown=", ".join(unknown),
            known=", ".join(known_names()),
        )
    result = rebuild_online(pg, env, names, progress)
    refresher = ReadinessRefresher(pg)
    try:
        # A running refresher would do it too; sharing the dirty marks is safe.
        while refresher.refresh_batch() > 0:
            pass
    finally:
        refresher.close()
    return result
