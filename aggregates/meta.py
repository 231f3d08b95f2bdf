"""What every event carries and every command runs under: the aggregate ids derived
from natural keys, and who did it, under which command and from which workflow. Pure
(pydantic and the standard library), so workflows and contracts import it without
pulling in the event store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict

# All aggregate ids are derived from natural keys, so the same command always
# addresses the same aggregate (idempotent creation, no lookup tables).
CAREERFLOW_NS = uuid5(NAMESPACE_URL, "https://careerflow.invalid/")


def stable_id(kind: str, key: str) -> UUID:
    return uuid5(CAREERFLOW_NS, f"{kind}:{key}")


class Immutable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventMeta(Immutable):
    """Who, how and why: recorded on every event for the audit trail."""

    actor: str = "system"
    role: str = "system"
    command_id: str | None = None
    workflow_id: str | None = None
    reason: str | None = None


_current_meta: ContextVar[EventMeta | None] = ContextVar("careerflow_event_meta", default=None)


def current_meta() -> EventMeta:
    return _current_meta.get() or EventMeta()


@contextlib.contextmanager
def command_context(
    *,
    actor: str,
    role: str,
    command_id: str | None = None,
    workflow_id: str | None = None,
    reason: str | None = None,
) -> Iterator[EventMeta]:
    """Events created inside this block carry this metadata."""
    meta = EventMeta(
        actor=actor, role=role, command_id=command_id, workflow_id=workflow_id, reason=reason
    )
    token = _current_meta.set(meta)
    try:
        yield meta
    finally:
        _current_meta.reset(token)
