"""What the import contracts (lint-imports) cannot say: how much of the engine a workflow
loads. Workflow modules are re-imported by Temporal's sandbox and their contracts are
imported by every worker, so they stay small and never reach the store, the services or
the faces (docs/layers-plan.md, step 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ("aggregates", "careerflow", "activities", "workflows", "projections", "words")
# Packages no workflow module may load: the store, the services and the faces, and the
# libraries of I/O and of the catalogue.
FORBIDDEN = (
    "careerflow.services",
    "careerflow.apps",
    "careerflow.store",
    "careerflow.api",
    "projections",
    "psycopg",
    "psycopg_pool",
    "eventsourcing",
    "httpx",
    "babel",
)
# Engine modules `import workflows.promotion` may load, exclusive: 24 before its state and
# helpers moved to workflows/promotion_state.py (a module of its own, loading nothing more).
PROMOTION_BUDGET = 26


def loaded_by(module: str) -> list[str]:
    """Every module a fresh interpreter has loaded after importing `module`."""
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-B", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def within(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in packages)]


def test_promotion_workflow_import_closure() -> None:
    modules = loaded_by("workflows.promotion")
    engine = within(modules, ENGINE)
    assert "workflows.promotion" in engine  # the measurement measures something
    forbidden = within(modules, FORBIDDEN)
    assert not forbidden, f"workflows.promotion loads {forbidden}; engine modules: {engine}"
    assert len(engine) < PROMOTION_BUDGET, (
        f"workflows.promotion loads {len(engine)} engine modules "
        f"(fewer than {PROMOTION_BUDGET} allowed): {engine}"
    )


def test_notify_loads_no_delivery_or_store() -> None:
    """Every workflow sends notifications: the delivery clients (httpx, SMTP) and the
    notification service load in the worker's activities, never with the workflow."""
    modules = loaded_by("workflows.notify")
    forbidden = within(modules, (*FORBIDDEN, "careerflow.delivery", "aggregates.notification"))
    assert not forbidden, f"workflows.notify loads {forbidden}"


WORKFLOWS = sorted(
    f"workflows.{p.stem}" for p in (ROOT / "workflows").glob("*.py") if p.stem != "__init__"
)


def test_every_workflow_module_stays_small() -> None:
    """Each workflow module loads none of the forbidden packages and fewer engine modules
    than the promotion's budget (the largest workflow today)."""
    assert len(WORKFLOWS) >= 10
    for name in WORKFLOWS:
        modules = loaded_by(name)
        engine = within(modules, ENGINE)
        forbidden = within(modules, FORBIDDEN)
        assert name in engine
        assert not forbidden, f"{name} loads {forbidden}"
        assert len(engine) < PROMOTION_BUDGET, f"{name} loads {len(engine)}: {engine}"


FACES = ("careerflow/cli", "careerflow/api/pages", "careerflow/api/routes")
MODULE_LINES = 600


def test_face_modules_are_split_by_feature() -> None:
    """The CLI and the pages are packages of one module per feature, none over ~600 lines."""
    sizes = {
        str(p.relative_to(ROOT)): len(p.read_text().splitlines())
        for face in FACES
        for p in (ROOT / face).glob("*.py")
    }
    assert len(sizes) > 20
    assert not (ROOT / "careerflow/cli.py").exists()
    assert not (ROOT / "careerflow/api/pages.py").exists()
    too_long = {path: n for path, n in sizes.items() if n > MODULE_LINES}
    assert not too_long, too_long
