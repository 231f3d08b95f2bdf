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
