"""The command line and the API refuse alike: the same check in the service layer, the
same words, and the same class of refusal (the API's status, the CLI's exit code)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from aggregates.ladder import Role
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.cli.auth import ExitCode
from careerflow.demo_loader import DEMO_HR
from careerflow.principal import AccessRole
from tests.api.conftest import ApiStack
from tests.test_cli_cycles import Cli
from workflows.promotion import PromotionWorkflow

APPLICATIONS = "/api/v1/promotions/applications"


def another_team(api: ApiStack) -> str:
    """S002 manages team T002 beside E1's team: a manager who may not see E1."""
    api.services.people.import_org(
        DEMO_HR,
        OrgImport(
            teams=[TeamIn(team_id="T002", name="Team 2", manager_id="S002", parent_team_id="R01")],
            employees=[
                EmployeeIn(
                    employee_id="S002",
                    name="Other supervisor",
                    role=Role.sales_supervisor,
                    team_id="R01",
                    manager_id="M001",
                    hire_date=date(2020, 1, 1),
                )
            ],
        ),
    )
    token = api.services.tokens.issue(DEMO_HR, "S002", AccessRole.manager, "tests").token
    api.tokens["manager:S002"] = token
    return token


async def test_the_cli_and_the_api_refuse_alike(
    api: ApiStack, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    s002 = another_team(api)
    r = await api.call("employee:E1", "POST", APPLICATIONS, json={})
    assert r.status_code == 200, r.text
    started = r.json()
    application_id = started["application_id"]
    handle = api.temporal.get_workflow_handle_for(PromotionWorkflow.run, started["workflow_id"])
    for _ in range(150):  # the manager is asked: the workflow knows E1's manager (S001)
        if (await handle.query(PromotionWorkflow.status)).stage == "manager_review":
            break
        await asyncio.sleep(0.2)
    await asyncio.to_thread(api.caught_up)
    cli = Cli(api.services.store.pg, dev_env, api.queue, tmp_path)
    auditor = api.tokens["auditor:A001"]

    async def both(
        who: str, token: str, cli_args: tuple[str, ...], method: str, path: str, body: object
    ) -> tuple[httpx.Response, str, int]:
        answer = await api.call(who, method, f"{APPLICATIONS}/{application_id}{path}", json=body)
        done = await cli("promotion", *cli_args, application_id, "--token", token)
        assert done.stdout == "" and done.stderr.startswith("error: "), done.stderr
        return answer, done.stderr.removeprefix("error: ").strip(), done.returncode

    hidden = f"no application {application_id!r} that you can see"
    cases = [
        # (a) another team's manager: deciding and showing look like no application at all
        ("manager:S002", s002, ("decide", "--approve"), "POST", "/decision", {"approve": True},
         404, ExitCode.NOT_FOUND, hidden),
        ("manager:S002", s002, ("show",), "GET", "", None, 404, ExitCode.NOT_FOUND, hidden),
        # (b) an auditor reads everything and decides nothing: the role refusal
        ("auditor:A001", auditor, ("decide", "--approve"), "POST", "/decision",
         {"approve": True}, 403, ExitCode.REFUSED,
         "auditor A001 may not decide on promotion applications; this needs one of these "
         "roles: manager, hr"),
    ]  # fmt: skip
    for who, token, args, method, path, body, status, code, says in cases:
        answer, said, exit_code = await both(who, token, args, method, path, body)
        assert answer.status_code == status, answer.text
        assert exit_code == code, said
        assert answer.json()["detail"] == said == says, (who, args)

    # Nothing was decided.
    assert (await handle.query(PromotionWorkflow.status)).stage == "manager_review"
    await handle.terminate("test over")
