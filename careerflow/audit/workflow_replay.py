"""Before a deploy: replay the histories of running and recently closed workflows from the
Temporal server against the current worker code, and report every non-determinism
(`temporalio.worker.Replayer`). Auditors and HR may run it; it changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from careerflow.principal import AccessRole, Principal
from words.messages import Message


class ReplayFailure(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    error: str


class ReplayReport(BaseModel):
    query: str
    replayed: int
    by_type: dict[str, int]
    failures: list[ReplayFailure]

    @property
    def ok(self) -> bool:
        return not self.failures


def replay_query(closed_within: timedelta, now: datetime | None = None) -> str:
    since = (now or datetime.now(UTC)) - closed_within
    return f"ExecutionStatus = 'Running' OR CloseTime > '{since.strftime('%Y-%m-%dT%H:%M:%SZ')}'"


async def replay_workflows(
    principal: Principal,
    client: Client,
    closed_within: timedelta = timedelta(days=7),
    workflows: Sequence[type] | None = None,
    limit: int | None = None,
) -> ReplayReport:
    """Replays every matching history; `workflows` defaults to the worker's own."""
    principal.require(
        AccessRole.auditor,
        AccessRole.hr,
        AccessRole.system,
        action=Message("replay workflow histories"),
    )
    from worker import WORKFLOW_RUNNER, WORKFLOWS

    query = replay_query(closed_within)
    by_type: dict[str, int] = {}
    runs: dict[str, tuple[str, str]] = {}  # run id -> (workflow id, type)

    async def histories() -> AsyncIterator[WorkflowHistory]:
        count = 0
        async for execution in client.list_workflows(query):
            if limit is not None and count >= limit:
                return
            handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
            history = await handle.fetch_history()
            runs[execution.run_id] = (execution.id, execution.workflow_type)
            by_type[execution.workflow_type] = by_type.get(execution.workflow_type, 0) + 1
            count += 1
            yield history

    replayer = Replayer(
        workflows=list(workflows if workflows is not None else WORKFLOWS),
        data_converter=client.data_converter,  # the client's codec decrypts histories
        workflow_runner=WORKFLOW_RUNNER,
    )
    results = await replayer.replay_workflows(histories(), raise_on_replay_failure=False)
    failures = [
        ReplayFailure(
            workflow_id=runs.get(run_id, ("?", "?"))[0],
            run_id=run_id,
            workflow_type=runs.get(run_id, ("?", "?"))[1],
            error=str(error),
        )
        for run_id, error in sorted(results.replay_failures.items())
    ]
    return ReplayReport(
        query=query, replayed=sum(by_type.values()), by_type=by_type, failures=failures
    )
