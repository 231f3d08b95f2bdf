"""Fuzz the HTTP API from its own OpenAPI schema (schemathesis + hypothesis) against the
real stack: the API, the worker and the projection runner as processes, an embedded
PostgreSQL and a Temporal dev server. Each generated request goes out with an HR token
or an employee token (now and then none); path parameters are sometimes replaced by ids
that exist, so requests also reach the business rules and not only the 404s.

Two properties, over every operation of the live schema:
- no answer is a 5xx;
- a rejected request (4xx) changes nothing: the event store's heads (each application's
  last notification id) are the same after it as before, and stay so until the next
  request (the store is quiet before each one: after an accepted change the test waits
  for the work it started, e.g. a workflow's activities, to settle)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from careerflow.engine import Engine
from careerflow.principal import AccessRole
from tests.fault.conftest import HR, FaultStack, build_org, heads, say

EXAMPLES = 5  # per operation
HEAVY_EXAMPLES = 2  # operations that rebuild, replay or launch whole cycles
HEAVY = ("check-projections", "replay-workflows", "launches", "schedules", "verify")
QUIET_FOR = 0.5  # seconds without a new event: the work an accepted call started is done


def wait_quiet(
    services: Engine, quiet_for: float = QUIET_FOR, timeout: float = 30.0
) -> dict[str, int]:
    """Heads once nothing has been written for `quiet_for` seconds."""
    last = heads(services)
    since = time.monotonic()
    deadline = since + timeout
    while time.monotonic() - since < quiet_for:
        time.sleep(0.1)
        now = heads(services)
        if now != last:
            last, since = now, time.monotonic()
        assert time.monotonic() < deadline, f"the store never went quiet: {last}"
    return last


def test_api_fuzzed_from_its_schema_no_5xx_and_refusals_change_nothing(
    fault_stack: FaultStack,
) -> None:
    began = time.monotonic()
    with fault_stack.services() as services:
        reps = build_org(services, 6, per_team=3)
        tokens = {
            "hr": services.tokens.issue(HR, "H001", AccessRole.hr, "fuzz").token,
            "employee": services.tokens.issue(HR, reps[0], AccessRole.employee, "fuzz").token,
        }
        api = fault_stack.api()
        fault_stack.start_all(fault_stack.worker(), fault_stack.projection_runner(), api)
        base = fault_stack.api_url
        http = requests.Session()

        def call(who: str, method: str, path: str, **kwargs: Any) -> requests.Response:
            return http.request(
                method,
                base + path,
                headers={"Authorization": f"Bearer {tokens[who]}"},
                timeout=60,
                **kwargs,
            )

        applied = call("employee", "POST", "/api/v1/promotions/applications", json={})
        assert applied.status_code in (200, 201, 202), applied.text
        application_id = applied.json()["application_id"]
        week = datetime.now(UTC).strftime("%G-W%V")
        known: dict[str, list[Any]] = {
            "employee_id": [reps[0], reps[1], "S001"],
            "manager_id": ["S001"],
            "team_id": ["T001", "R01"],
            "application_id": [application_id],
            "ident": [reps[0], application_id],
            "kind": ["promotion_criteria", "metric_catalog", "employee", "promotion"],
            "key": ["sales_supervisor", "default"],
            "week": [week],
            "month": [datetime.now(UTC).strftime("%Y-%m")],
            "year": [datetime.now(UTC).year],
        }
        schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
        operations = []
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), f"an operation the schema cannot describe: {result}"
            operations.append(result.ok())
        quiet = wait_quiet(services)
        say(
            f"API (pid {api.pid}) serves {len(operations)} operations; store quiet at {quiet}; "
            f"setup took {time.monotonic() - began:.1f}s"
        )

        statuses: Counter[int] = Counter()
        server_errors: list[str] = []
        changed_by_refusal: list[str] = []
        calls = 0
        state: dict[str, Any] = {"heads": quiet, "last": "setup", "refused": False}

        def check(case: Any, data: Any) -> None:
            nonlocal calls
            who = data.draw(st.sampled_from(["hr", "hr", "employee", "employee", "nobody"]))
            for name in list(case.path_parameters or {}):
                if name in known and data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
            before = heads(services)
            if before != state["heads"] and state["refused"]:  # written after a refusal
                changed_by_refusal.append(f"after {state['last']}: {diff(state['heads'], before)}")
            headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
            response = case.call(base_url=base, headers=headers, timeout=60)
            calls += 1
            statuses[response.status_code] += 1
            label = f"{case.method} {case.formatted_path} as {who} -> {response.status_code}"
            if response.status_code >= 500:
                server_errors.append(f"{label}: {response.text[:300]}")
            refused = 400 <= response.status_code < 500
            if refused:
                after = heads(services)
                if after != before:
                    changed_by_refusal.append(f"{label}: {diff(before, after)}")
            elif case.method.upper() != "GET":  # let the work it started finish
                heavy = any(part in case.path for part in HEAVY)
                after = wait_quiet(services, 3.0 if heavy else QUIET_FOR)
            else:  # reads may record an audit entry, synchronously
                after = heads(services)
            state.update(heads=after, last=label, refused=refused)

        for operation in operations:
            heavy = any(part in operation.path for part in HEAVY)
            run = fuzz(operation, HEAVY_EXAMPLES if heavy else EXAMPLES, check)
            run()
        time.sleep(1.0)
        final = heads(services)
        if final != state["heads"] and state["refused"]:
            changed_by_refusal.append(f"after {state['last']}: {diff(state['heads'], final)}")

        say(
            f"{calls} requests over {len(operations)} operations in "
            f"{time.monotonic() - began:.1f}s; statuses {dict(sorted(statuses.items()))}; "
            f"5xx: {len(server_errors)}; refusals that changed state: {len(changed_by_refusal)}"
        )
        for line in server_errors[:20] + changed_by_refusal[:20]:
            say(f"  {line}")
        assert not server_errors, "\n".join(server_errors)
        assert not changed_by_refusal, "\n".join(changed_by_refusal)
        assert api.alive()


def diff(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {k: (before.get(k, 0), v) for k, v in after.items() if before.get(k, 0) != v}


def fuzz(operation: Any, examples: int, check: Callable[[Any, Any], None]) -> Callable[[], None]:
    """One hypothesis run over one operation: deterministic, no shrinking (every failure
    is collected, not raised), no example database."""

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(), data=st.data())
    def run(case: Any, data: Any) -> None:
        check(case, data)

    return run
