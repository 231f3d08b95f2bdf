"""Opens the engine's persistence for any process (worker, projection runner, API, CLI,
demo loader, bench): the applications, with every event and read-model table in place.

It sits above both the store and the projections, so neither imports the other."""

from __future__ import annotations

from careerflow.config import PostgresSettings, Settings
from careerflow.database import schema_lock
from careerflow.store import Store
from projections.runner import create_read_models


def open_store(pg: PostgresSettings, cipher_key: str = "") -> Store:
    """The store, after creating (under the schema lock) what a new database lacks."""
    with schema_lock(pg):
        store = Store(pg, cipher_key)  # creates the event tables
        create_read_models(pg, store.env)
    return store


def store_from_settings(settings: Settings) -> Store:
    return open_store(settings.require_postgres(), settings.cipher_key)


def prepare_database(pg: PostgresSettings, cipher_key: str = "") -> None:
    """For processes that don't otherwise open a store (the projection runner)."""
    open_store(pg, cipher_key).close()
