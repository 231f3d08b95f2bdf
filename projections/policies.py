"""Every published policy version, from the `policies` application."""

from __future__ import annotations

from typing import Any, ClassVar

from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from projections.base import ReadModelView

# Kinds whose change alters everyone's readiness.
READINESS_KINDS = frozenset(
    {"metric_catalog", "potential_weights", "kpi_weights", "promotion_criteria"}
)


class PoliciesProjection(Projection[ReadModelView]):
    name = "policies_projection"
    owned_tables: ClassVar[list[str]] = ["rm_policy"]

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if type(domain_event).__qualname__ != "PolicyDocument.VersionPublished":
            self.view.apply(tracking, None)
            return
        e = domain_event
        kind, key = e.kind, e.key
        entry = e.entry

        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
                ).format(self.view.table("rm_policy")),
                (
                    kind,
                    key,
                    entry.version,
                    Jsonb(entry.document),
                    entry.note,
                    entry.published_by,
                    e.timestamp,
                ),
            )
            if kind in READINESS_KINDS:
                curs.execute(
                    SQL(
                        "INSERT INTO {0} SELECT employee_id FROM {1} "
                        # Ascending, as every other marker: no deadlock with them.
                        'ORDER BY employee_id COLLATE "C" ON CONFLICT DO NOTHING'
                    ).format(self.view.table("rm_readiness_dirty"), self.view.table("rm_employee"))
                )

        self.view.apply(tracking, change)
