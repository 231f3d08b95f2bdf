"""A step sent again after its answer was lost (the caller saw a timeout, the step was
recorded) is answered with its recorded outcome, not refused as "already decided": the
same command id, by the same person, saying the same. The same id saying something else
is refused and changes nothing; another id or person meets the usual refusals. Through
the API (Idempotency-Key, or the body's command_id), the CLI (--command-id) and the
workflow itself, while the workflow runs on and after it has closed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from aggregates.promotion import application_uuid
from careerflow.api.app import create_app
from careerflow.api.context import ApiContext
from careerflow.api.errors import LANG_COOKIE
from careerflow.cli.auth import ExitCode
from careerflow.principal import AccessRole, Principal
from tests.api.conftest import ApiStack
from tests.api.test_api_promotions import APPLICATIONS, at_stage, eventually, report_month
from tests.test_cli_cycles import Cli
from tests.workflows.promotion_support import ingest, year_of_metrics
from workflows.promotion import ManagerDecision, PromotionStatus, PromotionWorkflow

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
FORM_ID = re.compile(r'name="command_id" value="([^"]+)"')
APPROVE = {"approve": True, "comment": "approve; focus on management skills"}


def events(api: ApiStack, application_id: str) -> list[tuple[str, str | None]]:
    """The application's stored events: (name, command id)."""
    stored = api.services.store.promotions.events.get(application_uuid(application_id))
    return [(type(e).__qualname__.split(".")[-1], e.meta.command_id) for e in stored]


def named(api: ApiStack, application_id: str, name: str) -> list[str | None]:
    return [cid for n, cid in events(api, application_id) if n == name]


async def post(
    api: ApiStack, who: str, application_id: str, action: str, body: Any, key: str | None = None
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return await api.call(
        who, "POST", f"{APPLICATIONS}/{application_id}/{action}", json=body, headers=headers
    )


async def first(
    api: ApiStack, who: str, application_id: str, action: str, body: Any, key: str
) -> httpx.Response:
    """The first sending, retried while the workflow is still writing the report that the
    read model already shows."""

    async def attempt() -> httpx.Response | None:
        r = await post(api, who, application_id, action, body, key)
        busy = r.status_code == 422 and "not manager review" in r.json()["detail"]
        return None if busy else r

    return await eventually(attempt, f"{action} on {application_id}")


def refused(r: httpx.Response, words: str) -> None:
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"], r.text


async def test_a_decision_and_a_review_sent_again_are_answered(api: ApiStack) -> None:
    ingest(api.services, year_of_metrics("E1", report_month(), {}, mentored=2))
    r = await api.call("employee:E1", "POST", APPLICATIONS, json={})
    assert r.status_code == 200, r.text
    application_id, workflow_id = r.json()["application_id"], r.json()["workflow_id"]
    await at_stage(api, "employee:E1", application_id, "manager_review")

    # (a) decided under X; sent again with X: the same answer, one decision in the store.
    decided = await first(api, "manager:S001", application_id, "decision", APPROVE, "cmd-X")
    assert decided.status_code == 200, decided.text
    assert decided.json()["stage"] == "hr_review" and decided.json()["command_id"] == "cmd-X"
    again = await post(api, "manager:S001", application_id, "decision", APPROVE, "cmd-X")
    assert again.status_code == 200, again.text
    assert again.json() == decided.json()
    as_field = await post(
        api, "manager:S001", application_id, "decision", {**APPROVE, "command_id": "cmd-X"}
    )
    assert as_field.status_code == 200 and as_field.json() == decided.json(), as_field.text
    assert named(api, application_id, "ManagerDecided") == ["cmd-X"]
    recorded = events(api, application_id)

    # (b) the same id saying something else: refused, nothing changes.
    for body in (
        {**APPROVE, "comment": "approve"},
        {"approve": False, "comment": "not this year"},
    ):
        refused(
            await post(api, "manager:S001", application_id, "decision", body, "cmd-X"),
            "command id cmd-X already recorded a different decision in round 1; nothing was "
            "changed",
        )
    # (c) another id, or another person with the same id: refused as before.
    refused(
        await post(api, "manager:S001", application_id, "decision", APPROVE, "cmd-Y"),
        "not manager review",
    )
    refused(
        await post(api, "hr:H001", application_id, "decision", APPROVE, "cmd-X"),
        "not manager review",
    )
    refused(
        await post(
            api, "manager:S001", application_id, "decision", {**APPROVE, "command_id": "b"}, "h"
        ),
        "the Idempotency-Key header (h) and the body's command_id (b) differ",
    )
    refused(
        await post(api, "manager:S001", application_id, "decision", APPROVE, "no spaces"),
        "command id 'no spaces': use 1 to 128 letters",
    )
    assert events(api, application_id) == recorded

    # HR's review shares it: confirmed under Z, sent again, a different reason refused.
    confirm = {"outcome": "confirm", "reason": "well prepared"}
    reviewed = await post(api, "hr:H001", application_id, "hr-review", confirm, "cmd-Z")
    assert reviewed.status_code == 200 and reviewed.json()["stage"] == "approved", reviewed.text
    again = await post(api, "hr:H001", application_id, "hr-review", confirm, "cmd-Z")
    assert again.status_code == 200 and again.json() == reviewed.json(), again.text
    refused(
        await post(
            api, "hr:H001", application_id, "hr-review", {**confirm, "reason": "ok"}, "cmd-Z"
        ),
        "command id cmd-Z already recorded a different HR review in round 1",
    )
    assert named(api, application_id, "HrConfirmed") == ["cmd-Z"]

    # (d) after the workflow moved on (approved, waiting for the effective date), the
    # decision sent again is still answered with where it led.
    late = await post(api, "manager:S001", application_id, "decision", APPROVE, "cmd-X")
    assert late.status_code == 200 and late.json() == decided.json(), late.text
    # The workflow itself answers a repeat that Temporal's Update-id dedup does not catch.
    handle = api.temporal.get_workflow_handle_for(PromotionWorkflow.run, workflow_id)
    s001 = Principal(person_id="S001", role=AccessRole.manager)
    direct = await handle.execute_update(
        PromotionWorkflow.decide,
        ManagerDecision(principal=s001, command_id="cmd-X", **APPROVE),
        id="another-update-id",
        result_type=PromotionStatus,
    )
    assert (direct.stage, direct.round) == ("hr_review", 1)
    assert named(api, application_id, "ManagerDecided") == ["cmd-X"]
    await handle.terminate("test over")


async def test_retried_across_rounds_and_after_the_workflow_closed(
    api: ApiStack, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    ingest(api.services, year_of_metrics("E2", report_month(), {"repurchase_rate": 50.0}, 2))
    r = await api.call("hr:H001", "POST", APPLICATIONS, json={"employee_id": "E2"})
    assert r.status_code == 200, r.text
    application_id, workflow_id = r.json()["application_id"], r.json()["workflow_id"]
    await at_stage(api, "employee:E2", application_id, "manager_review")
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    s001, e2 = cli.as_("manager:S001"), cli.as_("employee:E2")

    async def decide(*args: str) -> tuple[int, dict[str, Any] | str]:
        done = await cli("promotion", "decide", application_id, "--json", *args, *s001)
        return done.returncode, json.loads(done.stdout) if done.returncode == 0 else done.stderr

    # A decision without a command id gets a fresh one, in the answer: retry with it.
    code, answer = await decide("--approve", "--comment", "approve")
    assert code == ExitCode.OK, answer
    assert isinstance(answer, dict) and answer["stage"] == "returned"  # repurchase unmet
    round_1 = answer["command_id"]
    assert named(api, application_id, "ManagerDecided") == [round_1]
    assert await decide("--approve", "--comment", "approve", "--command-id", round_1) == (
        ExitCode.OK,
        answer,
    )

    # Resubmitted: round 2 waits for the manager; round 1's decision sent again is round
    # 1's answer and decides nothing in round 2.
    resubmitted = await cli(
        "promotion", "resubmit", application_id, "--json", "--command-id", "re-1", *e2
    )
    assert resubmitted.returncode == 0, resubmitted.stderr
    assert json.loads(resubmitted.stdout)["stage"] == "manager_review"
    assert await decide("--approve", "--comment", "approve", "--command-id", round_1) == (
        ExitCode.OK,
        answer,
    )
    assert named(api, application_id, "ManagerDecided") == [round_1]

    # Round 2 rejected under R: the workflow closes; R sent again is answered from the
    # event store, by the CLI and the API alike.
    reject = ("--reject", "--comment", "repurchase still short")
    code, rejected = await decide(*reject, "--command-id", "cmd-R")
    assert code == ExitCode.OK, rejected
    assert isinstance(rejected, dict) and (rejected["stage"], rejected["round"]) == ("rejected", 2)
    handle = api.temporal.get_workflow_handle_for(PromotionWorkflow.run, workflow_id)
    assert (await handle.result()).stage == "rejected"
    await at_stage(api, "employee:E2", application_id, "rejected")
    assert await decide(*reject, "--command-id", "cmd-R") == (ExitCode.OK, rejected)
    body = {"approve": False, "comment": "repurchase still short"}
    by_api = await post(api, "manager:S001", application_id, "decision", body, "cmd-R")
    assert by_api.status_code == 200 and by_api.json() == rejected, by_api.text
    recorded = events(api, application_id)

    code, said = await decide("--reject", "--comment", "other words", "--command-id", "cmd-R")
    assert code == ExitCode.INVALID and "already recorded a different decision in round 2" in str(
        said
    ), said
    code, said = await decide(*reject)
    assert code == ExitCode.INVALID and "the application is closed (rejected)" in str(said), said
    code, said = await decide(*reject, "--command-id", round_1)  # round 1's id, other words
    assert code == ExitCode.INVALID and "different decision in round 1" in str(said), said
    assert events(api, application_id) == recorded
    assert named(api, application_id, "ManagerDecided") == [round_1, "cmd-R"]


async def test_a_decide_form_sent_again_is_recorded_once(api: ApiStack) -> None:
    r = await api.call("hr:H001", "POST", APPLICATIONS, json={"employee_id": "E3"})
    assert r.status_code == 200, r.text
    application_id = r.json()["application_id"]
    await at_stage(api, "hr:H001", application_id, "manager_review")

    async def connect() -> Client:
        return api.temporal

    app = create_app(ApiContext(api.services, connect, api.queue))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://careerflow.test") as b:
        b.cookies.set(LANG_COOKIE, "en")
        login = await b.get("/login")
        token = api.tokens["manager:S001"]
        csrf = CSRF.search(login.text)
        assert csrf
        signed_in = await b.post("/login", data={"token": token, "csrf": csrf[1], "next": "/"})
        assert signed_in.status_code == 303, signed_in.text

        page = await b.get(f"/applications/{application_id}")
        form_ids = FORM_ID.findall(page.text)
        assert len(form_ids) == 1, page.text
        again = await b.get(f"/applications/{application_id}")
        assert FORM_ID.findall(again.text) != form_ids  # each form shown has its own id
        found = CSRF.search(page.text)
        assert found
        form = {
            "decision": "approve",
            "comment": "ready",
            "csrf": found[1],
            "command_id": form_ids[0],
        }
        path = f"/applications/{application_id}/decide"
        for _ in range(2):  # the same form posted twice (a retried post)
            decided = await b.post(path, data=form)
            assert decided.status_code == 303, decided.text
        assert named(api, application_id, "ManagerDecided") == [form_ids[0]]

        other = await b.post(path, data={**form, "command_id": FORM_ID.findall(again.text)[0]})
        assert other.status_code == 422
        assert "not manager review; nothing was decided" in html.unescape(other.text)
        assert named(api, application_id, "ManagerDecided") == [form_ids[0]]

    # A withdrawal closes the workflow: sent again, it is answered from the event store.
    reason = {"reason": "next year"}
    withdrawn = await post(api, "hr:H001", application_id, "withdrawal", reason, "cmd-W")
    assert withdrawn.status_code == 200 and withdrawn.json()["stage"] == "withdrawn"
    again = await post(api, "hr:H001", application_id, "withdrawal", reason, "cmd-W")
    assert again.status_code == 200 and again.json() == withdrawn.json(), again.text
    refused(
        await post(api, "hr:H001", application_id, "withdrawal", {"reason": "x"}, "cmd-W"),
        "command id cmd-W already recorded a different withdrawal",
    )
    assert named(api, application_id, "Withdrawn") == ["cmd-W"]
