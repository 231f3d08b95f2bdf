"""A notification's pure parts: the languages it is written in and a channel's delivery
status, and what creating one answers. Apart from aggregates.notification (which
re-exports them) so that the delivery activity's contracts, imported by workflows, need not
import eventsourcing."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel

LANGUAGES = ("en", "zh")


def language_of(locale: str | None) -> str:
    """`en-US` → `en`; anything not supported falls back to Chinese (the default)."""
    lang = (locale or "").replace("_", "-").split("-")[0].strip().lower()
    return lang if lang in LANGUAGES else "zh"


class DeliveryStatus(StrEnum):
    delivered = "delivered"
    skipped = "skipped"  # nothing to send to (no address, channel not configured)
    failed = "failed"  # last attempt failed; a retry may still deliver


class NotificationRef(BaseModel):
    """What creating a notification answers (the Notifications application returns it,
    activities.notifications re-exports it as the activity's result)."""

    created: bool  # False: the key was used before, nothing new was written
    notification_id: UUID
    # Log position of the Created event (wait on it for read-your-writes); None when
    # nothing was written.
    position: int | None = None
