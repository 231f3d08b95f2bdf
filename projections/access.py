"""API tokens for HR's list, from the `access` application (never the secret's hash)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL

from aggregates.access_token import AccessToken
from projections.base import Apply, EventHandlers, event_of, handles
from projections.paging import Key, keyset


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


TOKEN_STATES = ("active", "revoked", "expired", "all")


def token_page(
    conn: Connection[Any],
    q: str = "",
    role: str = "",
    state: str = "all",
    limit: int = 50,
    cursor: str = "",
) -> dict[str, Any]:
    """One page of tokens, newest first, with the holder's name: filtered by a search on
    the person, their name or the label, by role and by state; `cursor` is the last row
    of the page before (opaque: projections.paging). Returns rows, the total that match and
    the next page's cursor (empty on the last page)."""
    where = ["TRUE"]
    args: dict[str, Any] = {"now": datetime.now(UTC)}
    if q.strip():
        where.append("(t.person_id ILIKE %(q)s OR e.name ILIKE %(q)s OR t.label ILIKE %(q)s)")
        args["q"] = f"%{q.strip()}%"
    if role:
        where.append("t.role = %(role)s")
        args["role"] = role
    if state == "active":
        where.append("t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %(now)s)")
    elif state == "revoked":
        where.append("t.revoked_at IS NOT NULL")
    elif state == "expired":
        where.append("t.revoked_at IS NULL AND t.expires_at <= %(now)s")
    rows, total, next_cursor = keyset(
        conn,
        name="tokens",
        select="SELECT t.token_id, t.person_id, e.name, t.role, t.label, t.issued_by, "
        "t.issued_at, t.expires_at, t.revoked_at, t.revoke_reason",
        source="FROM rm_token t LEFT JOIN rm_employee e ON e.employee_id = t.person_id WHERE "
        + " AND ".join(where),
        params=args,
        keys=(
            Key("t.issued_at", "timestamptz", "issued_at"),
            Key("t.token_id", "text", "token_id"),
        ),
        limit=limit,
        cursor=cursor or None,
        descending=True,
    )
    return {"rows": rows, "total": total, "next_cursor": next_cursor or ""}
