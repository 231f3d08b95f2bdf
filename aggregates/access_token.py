"""An API access token: bound to one person and one role, stored as a hash of its
secret (the secret itself is shown once, when the token is issued), revocable."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, stable_id


def token_uuid(token_id: str) -> UUID:
    return stable_id("access-token", token_id)


class AccessToken(Aggregate):
    @staticmethod
    def create_id(token_id: str, *_: object, **__: object) -> UUID:
        return token_uuid(token_id)

    @event("Issued")
    def __init__(
        self,
        token_id: str,
        secret_hash: str,
        person_id: str,
        role: str,
        label: str,
        issued_by: str,
        expires_at: datetime | None,
    ) -> None:
        self.token_id = token_id
        self.secret_hash = secret_hash
        self.person_id = person_id
        self.role = role
        self.label = label
        self.issued_by = issued_by
        self.expires_at = expires_at
        self.revoked = False

    def revoke(self, by: str, reason: str) -> bool:
        if self.revoked:
            return False
        self._revoked(by=by, reason=reason)
        return True

    @event("Revoked")
    def _revoked(self, by: str, reason: str) -> None:
        self.revoked = True
