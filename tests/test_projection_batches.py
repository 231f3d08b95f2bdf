"""Read models are written a batch at a time: one transaction and one tracking record per
batch of what the subscription has already fetched. A redelivered batch, or the part of one
already applied, changes nothing; a failure mid-batch leaves neither rows nor position.
(The runner killed mid-batch and restarted: tests/fault/test_projection_kill.py.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import ListenNotifySubscription, Tracking
from psycopg import Cursor
from psycopg.rows import DictRow, dict_row

from careerflow.apps import Metrics, People
from careerflow.config import PostgresSettings
from careerflow.demo_loader import load_demo_into
from careerflow.engine import Engine
from careerflow.store import Store, application_env
from projections.base import ReadModelView
from projections.metrics import MetricsProjection
from projections.people import PeopleProjection
from projections.runner import BatchingRunner, ReadModels, batch_size

APP = "test_app"


@pytest.fixture
def view(pg: PostgresSettings, services: Engine) -> Iterator[ReadModelView]:
    rm = ReadModels(pg, application_env(pg))
    with rm:  # creates the tables; the metrics view is the one used below
        view = next(r.view for r in rm.runners if r.app_name == "metrics")
        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS batch_probe (n int PRIMARY KEY)")
            conn.execute("TRUNCATE batch_probe")
        yield view


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(Store(pg)) as engine:
        yield engine


def _insert(n: int) -> Any:
    def change(curs: Cursor[DictRow]) -> None:
        curs.execute("INSERT INTO batch_probe VALUES (%s)", (n,))

    return change


def _probe(pg: PostgresSettings) -> list[int]:
    with psycopg.connect(pg.conninfo(), row_factory=dict_row) as conn:
        return [r["n"] for r in conn.execute("SELECT n FROM batch_probe ORDER BY n")]


def test_a_batch_is_one_transaction_with_the_last_position(
    pg: PostgresSettings, view: ReadModelView
) -> None:
    assert view.apply_batch(APP, [(n, _insert(n)) for n in (1, 2, 3)]) == 3
    assert _probe(pg) == [1, 2, 3]
    assert view.max_tracking_id(APP) == 3


def test_a_redelivered_batch_changes_nothing_and_an_overlap_applies_only_the_new(
    pg: PostgresSettings, view: ReadModelView
) -> None:
    assert view.apply_batch(APP, [(n, _insert(n)) for n in (1, 2, 3)]) == 3
    # The same batch again would insert duplicate keys if applied: it is skipped.
    assert view.apply_batch(APP, [(n, _insert(n)) for n in (1, 2, 3)]) == 0
    assert view.apply_batch(APP, [(n, _insert(n)) for n in (2, 3, 4, 5)]) == 2
    assert _probe(pg) == [1, 2, 3, 4, 5]
    assert view.max_tracking_id(APP) == 5
    # A single event is a batch of one.
    assert not view.apply(Tracking(APP, 5), _insert(5))
    assert view.apply(Tracking(APP, 6), None)
    assert view.max_tracking_id(APP) == 6


def test_a_failure_mid_batch_leaves_neither_rows_nor_position(
    pg: PostgresSettings, view: ReadModelView
) -> None:
    def broken(curs: Cursor[DictRow]) -> None:
        raise RuntimeError("the third change fails")

    with pytest.raises(RuntimeError):
        view.apply_batch(APP, [(1, _insert(1)), (2, _insert(2)), (3, broken)])
    assert _probe(pg) == []
    assert view.max_tracking_id(APP) is None
    # Delivered again (the restarted runner resumes from the old position): all applied.
    assert view.apply_batch(APP, [(n, _insert(n)) for n in (1, 2, 3)]) == 3
    assert _probe(pg) == [1, 2, 3]


def test_the_runner_hands_over_what_was_fetched_in_batches_of_at_most_n(
    pg: PostgresSettings, services: Engine
) -> None:
    load_demo_into(
        services, reps=30, teams=3, if_empty=False
    )  # hundreds of metric events already in the log
    head = services.store.metrics.recorder.max_notification_id() or 0
    assert head > 20
    sizes: list[int] = []

    class Counting(MetricsProjection):
        name = "batch_counting_projection"

        def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
            sizes.append(len(batch))
            super().process_batch(batch)

    env = application_env(pg)
    with BatchingRunner(
        size=7,
        application_class=Metrics,
        projection_class=Counting,
        view_class=ReadModelView,
        env=env,
    ) as runner:
        runner.wait(head, timeout=60)
        # A batch never spans more than N events, and catching up used full batches.
        assert sum(sizes) == head
        assert max(sizes) == 7
        assert len(sizes) < head
        assert runner.view.max_tracking_id("metrics") == head


def test_readiness_dirty_marks_are_written_once_per_batch(
    pg: PostgresSettings, services: Engine
) -> None:
    load_demo_into(services, reps=30, teams=3, if_empty=False)  # hires, moves, languages
    head = services.store.people.recorder.max_notification_id() or 0
    marks: list[int] = []  # dirty-mark statements per batch
    batches: list[int] = []

    class Counting(PeopleProjection):
        name = "batch_marks_projection"

        def process_batch(self, batch: Sequence[tuple[Any, Tracking]]) -> None:
            batches.append(len(batch))
            marks.append(0)
            super().process_batch(batch)

        def _mark_dirty(self, curs: Cursor[DictRow], where: str, params: tuple[Any, ...]) -> None:
            marks[-1] += 1
            super()._mark_dirty(curs, where, params)

    with BatchingRunner(
        size=10,
        application_class=People,
        projection_class=Counting,
        view_class=ReadModelView,
        env=application_env(pg),
    ) as runner:
        runner.wait(head, timeout=60)
    assert len(batches) > 3
    # At most one statement per kind of mark (by employee id, by aggregate) per batch,
    # however many of its events touched someone.
    assert max(marks) <= 2 < max(batches)
    with psycopg.connect(pg.conninfo()) as conn:
        employees = {r[0] for r in conn.execute("SELECT employee_id FROM rm_employee")}
        dirty = {r[0] for r in conn.execute("SELECT employee_id FROM rm_readiness_dirty")}
    assert len(employees) >= 30 and employees <= dirty


def test_the_subscription_keeps_what_it_fetched_where_the_runner_looks() -> None:
    # BatchingRunner peeks at eventsourcing's ListenNotifySubscription: a new library
    # version that renames these attributes must fail here, not silently batch nothing.
    source = ListenNotifySubscription.__init__.__code__.co_names
    assert "_notifications" in source and "_notifications_index" in source


def test_the_batch_size_is_configuration() -> None:
    assert batch_size({}) == 500
    assert batch_size({"CAREERFLOW_PROJECTION_BATCH": "50"}) == 50
    for bad in ("0", "many", "-3"):
        with pytest.raises(ValueError, match="CAREERFLOW_PROJECTION_BATCH"):
            batch_size({"CAREERFLOW_PROJECTION_BATCH": bad})
