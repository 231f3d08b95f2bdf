"""Versioned policy documents (criteria, weights, catalogs, rules, templates).
Publishing appends a version; no published version ever changes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import (
    Aggregate,
    AggregateSnapshot,
    Immutable,
    NotFoundError,
    SnapshotState,
    stable_id,
)


def policy_uuid(kind: str, key: str) -> UUID:
    return stable_id("policy", f"{kind}/{key}")


class PolicyVersion(Immutable):
    version: int
    document: dict[str, Any]
    note: str = ""
    published_by: str


class PolicyState(SnapshotState):
    kind: str
    key: str
    versions: list[PolicyVersion]


class PolicyDocument(Aggregate):
    class Snapshot(AggregateSnapshot):
        state: PolicyState

    @staticmethod
    def create_id(kind: str, key: str, *_: object, **__: object) -> UUID:
        return policy_uuid(kind, key)

    @event("Created")
    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        self.versions: list[PolicyVersion] = []

    @property
    def current(self) -> PolicyVersion | None:
        return self.versions[-1] if self.versions else None

    def get_version(self, version: int) -> PolicyVersion:
        for v in self.versions:
            if v.version == version:
                return v
        raise NotFoundError(
            "{kind}/{key} has no version {version}; published versions: {versions}",
            kind=self.kind,
            key=self.key,
            version=version,
            versions=[v.version for v in self.versions],
        )

    def publish(self, document: dict[str, Any], note: str, published_by: str) -> int:
        """Returns the version now in force; republishing identical content is a no-op."""
        current = self.current
        if current is not None and current.document == document:
            return current.version
        version = (current.version if current else 0) + 1
        self._published(
            kind=self.kind,
            key=self.key,
            entry=PolicyVersion(
                version=version, document=document, note=note, published_by=published_by
            ),
        )
        return version

    @event("VersionPublished")
    def _published(self, kind: str, key: str, entry: PolicyVersion) -> None:
        # kind and key are repeated so a reader of this one event knows what it is.
        self.versions = [*self.versions, entry]
