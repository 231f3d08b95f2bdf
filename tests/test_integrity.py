"""Tamper evidence on the real PostgreSQL: the chain verifies on an untouched store, and
each of the four tamperings done directly in SQL (edit, delete, insert, reorder) is named
at the first affected event; a chain recomputed by someone with database access is caught
by a head kept from an earlier verification."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from psycopg.rows import dict_row

from aggregates.base import DomainError, PermissionDeniedError
from careerflow.audit.chain_backfill import backfill_chain
from careerflow.audit.integrity import verify_store
from careerflow.config import PostgresSettings
from careerflow.engine import Engine, open_store
from careerflow.principal import AccessRole, Principal
from careerflow.recorders import GENESIS, event_hash, log_hash, stream_hash
from tests.cli_tokens import CliTokens
from tests.workflows.promotion_support import build_org
from tests.workflows.test_promotion_e2e import cli

AUDITOR = Principal(person_id="A001", role=AccessRole.auditor)


@pytest.fixture
def services(pg: PostgresSettings) -> Iterator[Engine]:
    with Engine(open_store(pg)) as s:
        build_org(s)
        cycles = s.store.cycles
        for e in ("E1", "E2"):
            cycles.open_week(e, "2030-W10", f"cycle-{e}")
        cycles.submit_plan(
            "E1",
            "2030-W10",
            Principal(person_id="E1", role=AccessRole.employee),
            "k",
            {"customer_visits": 10, "new_customers": 4, "sales_amount": 20_000},
            datetime(2030, 3, 4, 2, tzinfo=UTC),
        )
        yield s


def sql(services: Engine, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with psycopg.connect(services.store.pg.conninfo(), row_factory=dict_row) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def positions(services: Engine) -> list[int]:
    return [r["notification_id"] for r in sql(
        services, "SELECT notification_id FROM people_events ORDER BY notification_id"
    )]  # fmt: skip


def check(services: Engine, **kwargs: Any) -> Any:
    report = verify_store(services.store, services.history, AUDITOR, **kwargs)
    return report, report.first_finding


def test_an_untouched_store_verifies_with_progress(services: Engine) -> None:
    seen: list[tuple[str, int]] = []
    report, finding = check(services, progress=lambda app, n: seen.append((app, n)), batch=2)
    assert report.ok and finding is None
    counts = {a.application: a.events for a in report.applications}
    assert counts["people"] == len(positions(services)) and counts["cycles"] == 3
    assert ("people", 2) in seen  # progress while streaming, not only at the end
    with pytest.raises(PermissionDeniedError):
        verify_store(
            services.store, services.history, Principal(person_id="E1", role=AccessRole.employee)
        )


def test_an_edited_event_is_named(services: Engine) -> None:
    target = positions(services)[2]
    sql(services, "UPDATE people_events SET state = state || '\\x20'::bytea "
        "WHERE notification_id = %s", (target,))  # fmt: skip
    report, finding = check(services)
    assert not report.ok
    assert (finding.application, finding.problem, finding.notification_id) == (
        "people",
        "edited",
        target,
    )


def test_a_deleted_event_is_named(services: Engine) -> None:
    target = positions(services)[3]
    sql(services, "DELETE FROM people_events WHERE notification_id = %s", (target,))
    _, finding = check(services)
    assert (finding.problem, finding.notification_id) == ("deleted", target)


def test_an_inserted_event_is_named(services: Engine) -> None:
    row = sql(services, "SELECT topic, state FROM people_events ORDER BY notification_id "
              "LIMIT 1 OFFSET 2")[0]  # fmt: skip
    inserted = sql(
        services,
        "INSERT INTO people_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, %s, %s) RETURNING notification_id",
        (uuid4(), row["topic"], row["state"]),
    )[0]["notification_id"]
    _, finding = check(services)
    assert (finding.problem, finding.notification_id) == ("inserted", inserted)


def test_reordered_events_are_named(services: Engine) -> None:
    first, second = positions(services)[1:3]
    for a, b in ((first, -1), (second, first), (-1, second)):
        sql(services, "UPDATE people_events SET notification_id = %s "
            "WHERE notification_id = %s", (b, a))  # fmt: skip
    _, finding = check(services)
    assert (finding.problem, finding.notification_id) == ("reordered", first)


def test_a_recomputed_chain_is_caught_by_a_kept_head(services: Engine) -> None:
    report, _ = check(services)
    anchors = {a.application: (a.head_position, a.head) for a in report.applications}
    # Someone with database access edits an event and recomputes the whole chain.
    target = positions(services)[1]
    sql(services, "UPDATE people_events SET state = state || '\\x20'::bytea "
        "WHERE notification_id = %s", (target,))  # fmt: skip
    streams: dict[UUID, bytes] = {}
    previous = GENESIS
    for row in sql(services, "SELECT * FROM people_events ORDER BY notification_id"):
        own = event_hash(row["originator_id"], row["originator_version"], row["topic"],
                         bytes(row["state"]))  # fmt: skip
        stream = stream_hash(streams.get(row["originator_id"], GENESIS), own)
        streams[row["originator_id"]] = stream
        previous = log_hash(previous, row["notification_id"], stream)
        sql(services, "UPDATE people_events_chain SET event_hash = %s, stream_hash = %s, "
            "log_hash = %s WHERE notification_id = %s",
            (own, stream, previous, row["notification_id"]))  # fmt: skip
    assert check(services)[0].ok  # the chain alone cannot tell...
    _, finding = check(services, anchors=anchors)  # ...the kept head can
    assert (finding.application, finding.problem) == ("people", "head")


async def test_verify_from_the_command_line_with_kept_heads(
    services: Engine, tmp_path: Path
) -> None:
    pg = services.store.pg
    heads = tmp_path / "heads.json"
    auditor = CliTokens(pg).args("auditor:A001")
    first = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "verify",
                      "--save-anchors", str(heads), "--json", *auditor)  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "verify: people:" in first.stderr
    assert json.loads(first.stdout)["ok"] is True
    target = positions(services)[2]
    sql(services, "DELETE FROM people_events WHERE notification_id = %s", (target,))
    second = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "verify",
                       "--anchors", str(heads), "--json", *auditor)  # fmt: skip
    assert second.returncode == 1
    report = json.loads(second.stdout)
    people = next(a for a in report["applications"] if a["application"] == "people")
    assert people["finding"]["problem"] == "deleted"
    assert people["finding"]["notification_id"] == target


def _predate_the_chain(services: Engine) -> None:
    """An install from before the hash chain, upgraded: its events have no chain rows
    (the upgrade created the empty tables), and what it wrote since was chained as if the
    log began there."""
    for app in services.store.applications():
        table = getattr(app.recorder, "events_table_name")  # noqa: B009
        sql(services, f"DELETE FROM {table}_chain")
    # Written after the upgrade: chained from the genesis hash, onto unchained streams.
    cycles = services.store.cycles
    cycles.open_week("E3", "2030-W10", "cycle-E3")
    cycles.submit_plan(
        "E2",
        "2030-W10",
        Principal(person_id="E2", role=AccessRole.employee),
        "k2",
        {"customer_visits": 8, "new_customers": 2, "sales_amount": 10_000},
        datetime(2030, 3, 4, 3, tzinfo=UTC),
    )


HR = Principal(person_id="H001", role=AccessRole.hr)


def test_a_store_from_before_the_chain_is_backfilled_and_verifies(services: Engine) -> None:
    _predate_the_chain(services)
    report, finding = check(services)
    assert not report.ok
    assert (finding.application, finding.problem) == ("people", "unchained")
    assert "backfill-chain" in finding.detail
    cycles = next(a for a in report.applications if a.application == "cycles")
    assert cycles.finding is not None and cycles.finding.problem == "unchained"
    assert "3 events" in cycles.finding.detail  # the two opened weeks and E1's plan

    with pytest.raises(PermissionDeniedError):
        backfill_chain(services.store, services.history, AUDITOR)
    before = services.store.audit.recorder.max_notification_id() or 0
    done = backfill_chain(services.store, services.history, HR)
    by_app = {a.application: a for a in done.applications}
    assert (by_app["cycles"].chained, by_app["cycles"].rebased) == (3, 2)
    assert by_app["people"].chained == len(positions(services))
    # The backfill is on the record.
    (recorded,) = services.store.audit.recorder.select_notifications(before + 1, 10)
    action = services.store.audit.repository.get(recorded.originator_id)
    assert (action.action, action.subject) == ("backfill-chain", "event store")
    assert "cycles: 3 chained, 2 rebased" in action.detail

    report, finding = check(services)
    assert report.ok, finding
    heads = {a.application: a.head for a in report.applications}
    assert heads["cycles"] == by_app["cycles"].head
    # Tamper evidence holds after the backfill, and a second run changes nothing.
    again = backfill_chain(services.store, services.history, HR)
    assert again.chained == 0
    target = positions(services)[1]
    sql(services, "UPDATE people_events SET state = state || '\\x20'::bytea "
        "WHERE notification_id = %s", (target,))  # fmt: skip
    _, finding = check(services)
    assert (finding.problem, finding.notification_id) == ("edited", target)


def test_a_backfill_refuses_a_tampered_store_and_changes_nothing(services: Engine) -> None:
    _predate_the_chain(services)
    # An event slipped in after the chained ones is an insertion, not an old event.
    row = sql(services, "SELECT topic, state FROM cycles_events ORDER BY notification_id "
              "LIMIT 1")[0]  # fmt: skip
    sql(
        services,
        "INSERT INTO cycles_events (originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, %s, %s)",
        (uuid4(), row["topic"], row["state"]),
    )
    chain = "SELECT * FROM cycles_events_chain ORDER BY notification_id"
    chain_before = sql(services, chain)
    with pytest.raises(DomainError, match="no chain row after chained events"):
        backfill_chain(services.store, services.history, HR)
    assert sql(services, chain) == chain_before
    # An edited event among the rows chained since the upgrade is refused too.
    sql(services, "DELETE FROM cycles_events WHERE notification_id = "
        "(SELECT max(notification_id) FROM cycles_events)")  # fmt: skip
    last = sql(services, "SELECT max(notification_id) AS n FROM cycles_events_chain")[0]["n"]
    sql(services, "UPDATE cycles_events SET state = state || '\\x20'::bytea "
        "WHERE notification_id = %s", (last,))  # fmt: skip
    with pytest.raises(DomainError, match="does not match its chain row"):
        backfill_chain(services.store, services.history, HR)


async def test_verify_offers_the_backfill_and_hr_runs_it_from_the_command_line(
    services: Engine, tmp_path: Path, pg: PostgresSettings
) -> None:
    tokens = CliTokens(pg)
    auditor, hr = tokens.args("auditor:A001"), tokens.args("hr:H001")
    _predate_the_chain(services)
    refused = await cli(
        pg, "localhost:1", "unused", tmp_path, "audit", "verify", "--json", *auditor
    )
    assert refused.returncode == 1
    assert "careerflow audit backfill-chain" in refused.stderr
    assert json.loads(refused.stdout)["applications"][0]["finding"]["problem"] == "unchained"
    denied = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "backfill-chain", *auditor)
    assert denied.returncode != 0 and "may not" in denied.stderr
    done = await cli(
        pg, "localhost:1", "unused", tmp_path, "audit", "backfill-chain", "--json", *hr
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["chained"] > 0
    clean = await cli(pg, "localhost:1", "unused", tmp_path, "audit", "verify", "--json", *auditor)
    assert clean.returncode == 0, clean.stdout[-2000:]
    assert json.loads(clean.stdout)["ok"] is True
