"""The not-found refusals several lookups share, each written once: the same lookup says
the same words wherever it is made (a service, a projection's query or a face)."""

from __future__ import annotations

from aggregates.errors import NotFoundError


def unknown_employee(employee_id: str) -> NotFoundError:
    """No employee with this id in the directory."""
    return NotFoundError("unknown employee {employee_id!r}", employee_id=employee_id)


def employee_not_visible(employee_id: str) -> NotFoundError:
    """An employee the caller may not see, said exactly like one that does not exist."""
    return NotFoundError("no employee {employee_id!r} that you can see", employee_id=employee_id)


def unpublished_policy(kind: str, key: str) -> NotFoundError:
    """No version of this policy document has been published."""
    return NotFoundError("no {kind}/{key} has been published", kind=kind, key=key)


def no_weekly_cycle(employee_id: str, week: str) -> NotFoundError:
    return NotFoundError(
        "no weekly cycle for {employee_id} in week {week}", employee_id=employee_id, week=week
    )


def month_not_closed(employee_id: str, month: str) -> NotFoundError:
    return NotFoundError(
        "{employee_id}'s month {month} is not closed", employee_id=employee_id, month=month
    )


def no_assessment_round(round_id: str) -> NotFoundError:
    return NotFoundError("no assessment round {round_id!r}", round_id=round_id)


def no_support_request(request_id: str) -> NotFoundError:
    return NotFoundError("no support request {request_id!r}", request_id=request_id)


def application_not_visible(application_id: str) -> NotFoundError:
    """An application the caller may not see, said exactly like one that does not exist."""
    return NotFoundError(
        "no application {application_id!r} that you can see", application_id=application_id
    )


def plan_not_visible(plan_id: str) -> NotFoundError:
    """A development plan the caller may not see, said exactly like one that does not exist."""
    return NotFoundError("no development plan {plan_id!r} that you can see", plan_id=plan_id)
