"""The worker's sandbox imports a workflow's module again for every run; with the
worker's finder (careerflow/compiled_once.py) the module is executed for each run but
compiled once, where no bytecode may be written (PYTHONDONTWRITEBYTECODE, as the
Dockerfile sets it). Runs on the time-skipping server with the worker's own runner."""

from __future__ import annotations

import importlib
import os
import sys
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from careerflow import compiled_once
from worker import WORKFLOW_RUNNER

PROBE = """
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from {counter} import EXECUTED

EXECUTED.append(1)  # once per execution of this module


@workflow.defn(name="{workflow}")
class Probe:
    @workflow.run
    async def run(self, n: int) -> int:
        return n * 2
"""


async def test_each_run_executes_the_workflow_module_compiled_once(
    env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:10]
    counter, probe = f"cf_counter_{tag}", f"cf_probe_{tag}"
    (tmp_path / f"{counter}.py").write_text("EXECUTED: list[int] = []\n")
    path = tmp_path / f"{probe}.py"
    path.write_text(PROBE.format(counter=counter, workflow=f"Probe{tag}"))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    finder = compiled_once.install(str(tmp_path))
    try:
        module = importlib.import_module(probe)
        executed = importlib.import_module(counter).EXECUTED
        async with Worker(
            env.client,
            task_queue=f"compiled-once-{tag}",
            workflows=[module.Probe],
            workflow_runner=WORKFLOW_RUNNER,
            max_cached_workflows=0,
        ):
            for n in range(3):
                result = await env.client.execute_workflow(
                    module.Probe.run,
                    n,
                    id=f"compiled-once-{tag}-{n}",
                    task_queue=f"compiled-once-{tag}",
                )
                assert result == n * 2
        # The host's import, the sandbox's validation and one per run at least ...
        assert len(executed) >= 4
        # ... all from one compilation, and no bytecode written.
        assert compiled_once.LOADS[os.path.realpath(path)] == 1
        assert not (tmp_path / "__pycache__").exists()
    finally:
        compiled_once.uninstall(finder)
        for name in (probe, counter):
            sys.modules.pop(name, None)
