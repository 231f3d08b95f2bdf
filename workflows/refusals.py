"""Refusing a workflow Update in the reader's language: a validator raises `refuse(...)`
with a message template and its values (words.messages); the caller's service turns
the failure back into a DomainError (services.updates.refusal) that the API and the CLI
translate. A plain ValueError would reach people in English only."""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError

from words.messages import Message

REFUSED = "DomainError"


def refuse(template: str, /, **params: Any) -> ApplicationError:
    """The error a validator (or an update handler) raises: non-retryable, the English
    message for logs and the Web UI, the template and values as details."""
    message = Message(template, **params)
    return refused(message)


def refused(message: Message) -> ApplicationError:
    return ApplicationError(str(message), message.to_json(), type=REFUSED, non_retryable=True)


def busy(message: Message, kind: str) -> ApplicationError:
    """Not a refusal: the caller may send the same again shortly (type `kind`)."""
    return ApplicationError(str(message), message.to_json(), type=kind)
