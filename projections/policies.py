"""Every published policy version, from the `policies` application."""

from __future__ import annotations

from typing import Any, ClassVar

from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL
from psycopg.types.json import Jsonb

from aggregates.policy import PolicyDocument
from projections.base import Apply, EventHandlers, event_of, handles
from projections.paging import Key, Page, PageRequest, keyset

# Kinds whose change alters everyone's readiness.
READINESS_KINDS = frozenset(
    {"metric_catalog", "potential_weights", "kpi_weights", "promotion_criteria"}
)


class PoliciesProjection(EventHandlers):
    name = "policies_projection"
    owned_tables: ClassVar[list[str]] = ["rm_policy"]
    aggregates = (PolicyDocument,)
    # Only advance tracking: a document shows once it has a version.
    ignored = (event_of(PolicyDocument, "Created"),)

    @handles(event_of(PolicyDocument, "VersionPublished"))
    def published(self, e: Any) -> Apply:
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
                        'ORDER BY employee_id COLLATE "C" ON CONFLICT (employee_id) '
                        "DO UPDATE SET marked = clock_timestamp()"
                    ).format(self.view.table("rm_readiness_dirty"), self.view.table("rm_employee"))
                )

        return change


# -- queries: the published documents, as the faces read them -------------------------------
def latest_document(conn: Connection[Any], kind: str) -> dict[str, Any] | None:
    """The newest version of the default `kind` document (None: none published yet)."""
    row: Any = conn.execute(
        "SELECT document FROM rm_policy WHERE kind = %s AND key = 'default' "
        "ORDER BY version DESC LIMIT 1",
        (kind,),
    ).fetchone()
    return dict(row["document"]) if row else None


def criteria_versions(conn: Connection[Any]) -> list[Any]:
    """Every promotion_criteria version (key, version, note, who and when), newest first."""
    rows: list[Any] = conn.execute(
        "SELECT key, version, note, published_by, published_at FROM rm_policy "
        "WHERE kind = 'promotion_criteria' ORDER BY key, version DESC"
    ).fetchall()
    return rows


def published_documents(conn: Connection[Any]) -> list[Any]:
    """Each published document (kind, key) with its latest version and when it came."""
    rows: list[Any] = conn.execute(
        "SELECT kind, key, max(version) AS version, max(published_at) AS published_at "
        "FROM rm_policy GROUP BY kind, key ORDER BY kind, key"
    ).fetchall()
    return rows


def published_at(conn: Connection[Any], kind: str, key: str, version: int) -> Any:
    """When version `version` of kind/key was published (None: not in the read model)."""
    row: Any = conn.execute(
        "SELECT published_at FROM rm_policy WHERE kind = %s AND key = %s AND version = %s",
        (kind, key, version),
    ).fetchone()
    return row["published_at"] if row else None


def documents_in_force(conn: Connection[Any], kind: str | None = None) -> list[Any]:
    """Each document in force (kind, key, version, note, who and when), optionally of one kind."""
    sql = (
        "SELECT DISTINCT ON (kind, key) kind, key, version, note, published_by, published_at "
        "FROM rm_policy"
    )
    params: list[Any] = []
    if kind:
        sql += " WHERE kind = %s"
        params.append(kind)
    rows: list[Any] = conn.execute(sql + " ORDER BY kind, key, version DESC", params).fetchall()
    return rows


def documents_in_force_paged(
    conn: Connection[Any], kind: str | None, page: PageRequest
) -> Page[dict[str, Any]]:
    """A page of the documents in force, by kind and key, optionally of one kind."""
    rows, total, next_cursor = keyset(
        conn,
        name="policies",
        select="SELECT p.kind, p.key, p.version, p.note, p.published_by, p.published_at",
        source="FROM (SELECT DISTINCT ON (kind, key) kind, key, version, note, published_by, "
        "published_at FROM rm_policy ORDER BY kind, key, version DESC) p "
        "WHERE (%(kind)s::text IS NULL OR p.kind = %(kind)s)",
        params={"kind": kind or None},
        keys=(Key("p.kind", "text", "kind"), Key("p.key", "text", "key")),
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[dict[str, Any]](items=rows, total=total, limit=page.limit, next_cursor=next_cursor)


def document_versions_paged(
    conn: Connection[Any], kind: str, key: str, page: PageRequest
) -> Page[dict[str, Any]]:
    """A page of kind/key's published versions (as `document_versions`), oldest first."""
    rows, total, next_cursor = keyset(
        conn,
        name="policy-versions",
        select="SELECT version, note, published_by, published_at",
        source="FROM rm_policy WHERE kind = %(kind)s AND key = %(key)s",
        params={"kind": kind, "key": key},
        keys=(Key("version", "int", "version"),),
        limit=page.limit,
        cursor=page.cursor,
    )
    return Page[dict[str, Any]](items=rows, total=total, limit=page.limit, next_cursor=next_cursor)


def document_versions(conn: Connection[Any], kind: str, key: str) -> list[Any]:
    """Every published version of kind/key (version, note, who and when), oldest first."""
    rows: list[Any] = conn.execute(
        "SELECT version, note, published_by, published_at FROM rm_policy "
        "WHERE kind = %s AND key = %s ORDER BY version",
        (kind, key),
    ).fetchall()
    return rows


def support_teams(conn: Connection[Any]) -> dict[str, Any]:
    """The support teams of the newest default support_process document ({} before one)."""
    row: Any = conn.execute(
        "SELECT document->'teams' AS teams FROM rm_policy "
        "WHERE kind = 'support_process' AND key = 'default' "
        "ORDER BY version DESC LIMIT 1"
    ).fetchone()
    teams: dict[str, Any] = (row or {}).get("teams") or {}
    return teams
