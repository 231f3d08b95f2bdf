"""The auditor's long walk: the event store's hash chains verified in an activity that
heartbeats its progress (events checked of the total), so any API replica can show it
from the workflow's pending activity (careerflow.services.verify_process), and a worker
that dies mid-walk is replaced within the heartbeat timeout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from temporalio import activity

from activities.errors import business_errors_are_final
from careerflow.principal import Principal

Progress = Callable[[str, int], None]
"""(application, events checked in it so far): what verify_store reports as it walks."""


class VerifyRequest(BaseModel):
    principal: Principal


class VerifyProgress(BaseModel):
    """The heartbeat's details: how far the walk has come."""

    checked: int = 0
    total: int = 0
    application: str = ""


class AuditActivities:
    def __init__(
        self,
        verify: Callable[[Principal, Progress], dict[str, Any]],
        count: Callable[[], dict[str, int]],
    ) -> None:
        # The store's verification and its event counts come in as functions: this module
        # is imported by workflows for its contracts.
        self.verify = verify
        self.count = count

    @activity.defn(name="verify_event_store")
    @business_errors_are_final
    def verify_event_store(self, request: VerifyRequest) -> dict[str, Any]:
        """The verification report (integrity.VerifyReport as JSON)."""
        counts = self.count()
        total = sum(counts.values())
        done: dict[str, int] = {}

        def progress(application: str, checked: int) -> None:
            done[application] = checked
            activity.heartbeat(
                VerifyProgress(
                    checked=sum(done.values()), total=max(total, 1), application=application
                )
            )

        activity.heartbeat(VerifyProgress(checked=0, total=max(total, 1)))
        return self.verify(request.principal, progress)
