"""What the support request views share: the read pool, the support_process document
in force (who is on which team) and the SQL that counts a request breached (as
support_queries._breached says it, against `now`)."""

from __future__ import annotations

from psycopg import Connection
from psycopg.rows import DictRow

from aggregates.support_process import SupportProcess
from projections.pooled import PooledReads

BREACHED = (
    "count(*) FILTER (WHERE sla_met IS FALSE OR (sla_met IS NULL AND "
    "(breached_at IS NOT NULL OR due_at < %(now)s))) AS breached"
)


class SupportReads(PooledReads):
    """The read pool and the document in force, for the support query classes."""

    @staticmethod
    def _process(conn: Connection[DictRow]) -> SupportProcess | None:
        row = conn.execute(
            "SELECT document FROM rm_policy WHERE kind = 'support_process' AND key = 'default' "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return SupportProcess.model_validate(row["document"]) if row else None
