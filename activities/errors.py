"""Business-rule errors are final: retrying cannot fix a wrong role or a second decision,
so they reach the workflow (and the caller) as non-retryable application errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from aggregates.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def business_errors_are_final(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            # The template and its values ride along, so the caller can say it in the
            # reader's language (services.updates.refusal rebuilds the error).
            raise ApplicationError(
                str(exc), exc.message.to_json(), type=type(exc).__name__, non_retryable=True
            ) from exc

    return wrapper
