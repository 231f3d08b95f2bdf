"""API tokens: HR issues a token bound to a person and a role; only a hash of its secret
is stored, so the token is shown once. Every API request authenticates with one."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from aggregates.access_token import AccessToken, token_uuid
from aggregates.base import DomainError, NotFoundError, command_context
from careerflow.applications.people import People
from careerflow.eventstore import PydanticApplication
from careerflow.principal import AccessRole, Principal
from words.messages import Message, role_word

SupportTeams = Callable[[], dict[str, Any]]
"""() -> the support teams of the support_process document in force, by team id."""
TokenList = Callable[[], list[Any]]
TokenPageReader = Callable[["TokenQuery"], dict[str, Any]]
"""() -> HR's list of tokens, one row (a mapping of TokenInfo's fields) each."""


def no_support_teams() -> dict[str, Any]:
    """The default read: no support teams (a standalone application)."""
    return {}


def no_token_page(query: TokenQuery) -> dict[str, Any]:
    return {"rows": [], "total": 0, "next_cursor": ""}


def no_tokens() -> list[Any]:
    """The default read: no token list (a standalone application)."""
    return []


_TOKEN = re.compile(r"^cf_([a-z0-9]{12})\.([A-Za-z0-9_-]{20,})$")
# People who must exist in the organisation to hold a token of this role.
_PERSON_ROLES = (AccessRole.employee, AccessRole.manager)


class AuthenticationError(DomainError):
    """No usable token: the caller is not identified (HTTP 401)."""


class IssuedToken(BaseModel):
    token: str
    """The secret token; shown this once, stored only as a hash."""
    token_id: str
    person_id: str
    role: AccessRole
    expires_at: datetime | None


class TokenQuery(BaseModel):
    """Which tokens, one page at a time (HR's list): a search on the person, their name
    or the label, a role, a state, the page size and where the page starts."""

    q: str = ""
    role: AccessRole | None = None
    state: Literal["active", "revoked", "expired", "all"] = "all"
    limit: int = Field(50, ge=1, le=500)
    cursor: str = ""


class TokenInfo(BaseModel):
    token_id: str
    person_id: str
    role: str
    label: str
    issued_by: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    name: str | None = None
    """The holder's name (people outside the organisation have none)."""
    revoke_reason: str | None = None


class TokenPage(BaseModel):
    items: list[TokenInfo]
    total: int
    next_cursor: str
    """The next page's cursor; empty on the last page."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Access(PydanticApplication):
    """API access tokens (hashed), issued and revoked by HR.

    Collaborators: `people`, the People application (a person's token needs the person),
    `support_teams` the support teams in force and `token_list` HR's list of tokens, both
    from the read side."""

    name = "access"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        people: People | None = None,
        support_teams: SupportTeams = no_support_teams,
        token_list: TokenList = no_tokens,
        token_page: TokenPageReader = no_token_page,
    ) -> None:
        super().__init__(env=env)
        self.wire(
            people=people,
            support_teams=support_teams,
            token_list=token_list,
            token_page=token_page,
        )

    def wire(
        self,
        *,
        people: People | None = None,
        support_teams: SupportTeams = no_support_teams,
        token_list: TokenList = no_tokens,
        token_page: TokenPageReader = no_token_page,
    ) -> None:
        """The constructor's collaborators, for the store, which opens every application
        before wiring them (careerflow.wiring)."""
        self._people = people
        self.support_teams = support_teams
        self.token_list = token_list
        self.token_page = token_page

    @property
    def people(self) -> People:
        assert self._people is not None, "Access needs people= to know the employees"
        return self._people

    def issue(
        self,
        principal: Principal,
        person_id: str,
        role: AccessRole,
        label: str = "",
        valid_days: int | None = 90,
    ) -> IssuedToken:
        principal.require(AccessRole.hr, AccessRole.system, action=Message("issue API tokens"))
        if role == AccessRole.system:
            raise DomainError("system tokens are not issued; the engine acts as itself")
        if not person_id.strip():
            raise DomainError("a token needs the person it acts for")
        if role in _PERSON_ROLES:
            from aggregates.employee import employee_uuid

            known = employee_uuid(person_id) in self.people.repository
            # Support staff outside the sales organisation act as employees on the teams
            # the support_process document in force names them on.
            if not known and not (role == AccessRole.employee and self._on_support_team(person_id)):
                raise DomainError(
                    "unknown employee {person_id!r}: {role} tokens are for people in "
                    "the organisation (import them first) or on a support team",
                    person_id=person_id,
                    role=role_word(role.value),
                )
        if valid_days is not None and valid_days < 1:
            raise DomainError(
                "valid_days must be at least 1, got {valid_days}", valid_days=valid_days
            )
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(days=valid_days) if valid_days else None
        with command_context(actor=principal.person_id, role=principal.role.value):
            token = AccessToken(
                token_id=token_id,
                secret_hash=_hash(secret),
                person_id=person_id,
                role=role.value,
                label=label,
                issued_by=principal.person_id,
                expires_at=expires,
            )
        self.save(token)
        return IssuedToken(
            token=f"cf_{token_id}.{secret}",
            token_id=token_id,
            person_id=person_id,
            role=role,
            expires_at=expires,
        )

    def _on_support_team(self, person_id: str) -> bool:
        teams = self.support_teams()
        return any(
            person_id == t.get("lead_id") or person_id in t.get("members", [])
            for t in teams.values()
        )

    def authenticate(self, token: str) -> Principal:
        match = _TOKEN.match(token.strip())
        if match is None:
            raise AuthenticationError("malformed token: expected cf_<id>.<secret>")
        found: AccessToken | None = self.find(token_uuid(match.group(1)))
        # One message for every failure: a caller learns nothing about which ids exist.
        if found is None or not hmac.compare_digest(found.secret_hash, _hash(match.group(2))):
            raise AuthenticationError("unknown token; ask HR for a new one")
        if found.revoked:
            raise AuthenticationError("this token was revoked; ask HR for a new one")
        if found.expires_at is not None and found.expires_at <= datetime.now(UTC):
            raise AuthenticationError("this token has expired; ask HR for a new one")
        return Principal(person_id=found.person_id, role=AccessRole(found.role))

    def list_tokens(self, principal: Principal) -> list[TokenInfo]:
        _require_lister(principal)
        rows = self.token_list()
        return [TokenInfo.model_validate(r) for r in rows]

    def browse(self, principal: Principal, query: TokenQuery) -> TokenPage:
        """One page of HR's token list, newest first, with the holders' names."""
        _require_lister(principal)
        found = self.token_page(query)
        return TokenPage(
            items=[TokenInfo.model_validate(r) for r in found["rows"]],
            total=found["total"],
            next_cursor=found["next_cursor"],
        )

    def revoke(self, principal: Principal, token_id: str, reason: str) -> bool:
        principal.require(AccessRole.hr, AccessRole.system, action=Message("revoke API tokens"))
        found: AccessToken | None = self.find(token_uuid(token_id))
        if found is None:
            raise NotFoundError("no token {token_id!r}", token_id=token_id)
        with command_context(actor=principal.person_id, role=principal.role.value, reason=reason):
            changed = found.revoke(principal.person_id, reason)
        if changed:
            self.save(found)
        return changed


def _require_lister(principal: Principal) -> None:
    principal.require(
        AccessRole.hr, AccessRole.auditor, AccessRole.system, action=Message("list API tokens")
    )
