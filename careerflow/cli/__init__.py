"""`careerflow` command line. Every command that changes or reads business data acts as
the principal of an API token: --token, CAREERFLOW_TOKEN, or the one `careerflow login`
saved. Exit codes: 2 usage, 3 no usable token, 4 refused, 5 not found, 6 invalid,
7 no stack to talk to."""

# The docstring above is the root's --help. One module per feature, each with its own
# Typer; the root lists the commands in the order they are added here (the unnamed ones
# join the root's own commands), so this order is the order of `careerflow --help`.

from __future__ import annotations

import typer

from careerflow.cli import (
    assessment,
    audit,
    calendar,
    cycle,
    demo,
    engine,
    login,
    metrics,
    people,
    plan,
    policy,
    projections,
    promotion,
    support,
    tokens,
)
from careerflow.principal import SYSTEM

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(engine.app)  # start, worker, api
app.add_typer(login.app)  # login, logout, whoami
app.add_typer(metrics.app)  # ingest
app.add_typer(people.app)  # readiness, language
app.add_typer(projections.projections_app, name="projections")
app.add_typer(demo.demo_app, name="demo")
app.add_typer(policy.policy_app, name="policy")
app.add_typer(promotion.promotion_app, name="promotion")
app.add_typer(plan.plan_app, name="plan")
app.add_typer(cycle.cycle_app, name="cycle")
app.add_typer(assessment.assessment_app, name="assessment")
app.add_typer(support.support_app, name="support")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(tokens.token_app, name="token")
app.add_typer(calendar.calendar_app, name="calendar")


def main() -> None:
    from careerflow.cli.common import stack_unreachable, unreachable

    try:
        app()
    except Exception as exc:  # one line, no traceback, when there is no stack to talk to
        if not unreachable(exc):
            raise
        stack_unreachable()


__all__ = ["SYSTEM", "app", "main"]
