"""API tokens for HR's list, from the `access` application (never the secret's hash)."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from aggregates.access_token import AccessToken
from projections.base import Apply, EventHandlers, event_of, handles


class AccessProjection(EventHandlers):
    name = "access_projection"
    owned_tables: ClassVar[list[str]] = ["rm_token"]
    aggregates = (AccessToken,)

    @handles(event_of(AccessToken, "Issued"))
    def _AccessToken_Issued(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (token_id, aggregate_id, person_id, role, label, issued_by, "
                    "issued_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                    "ON CONFLICT DO NOTHING"
                ).format(self.view.table("rm_token")),
                (
                    e.token_id,
                    e.originator_id,
                    e.person_id,
                    e.role,
                    e.label,
                    e.issued_by,
                    e.timestamp,
                    e.expires_at,
                ),
            )

        return change

    @handles(event_of(AccessToken, "Revoked"))
    def _AccessToken_Revoked(self, e: Any) -> Apply:
        def change(curs: Cursor[DictRow]) -> None:
            curs.execute(
                SQL(
                    "UPDATE {0} SET revoked_at = %s, revoked_by = %s, revoke_reason = %s "
                    "WHERE aggregate_id = %s"
                ).format(self.view.table("rm_token")),
                (e.timestamp, e.by, e.reason, e.originator_id),
            )

        return change


# -- queries ------------------------------------------------------------------------------
def token_list(conn: Connection[Any]) -> list[Any]:
    """Every API token (never its secret): who, role, label, issued, expiry, revocation."""
    rows: list[Any] = conn.execute(
        "SELECT token_id, person_id, role, label, issued_by, issued_at, expires_at, "
        "revoked_at FROM rm_token ORDER BY issued_at, token_id"
    ).fetchall()
    return rows
