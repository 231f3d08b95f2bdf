"""The refusals of business rules. Pure (words only), so workflows and activity contracts
raise and catch them without importing the event store."""

from __future__ import annotations

from typing import Any

from words.messages import Gettext, Message


class DomainError(Exception):
    """A command broke a business rule: the message says what and how to fix it.

    The message is a template with named `{placeholders}` and their values (see
    words.messages): `str()` is the English; the API and the CLI say it in the
    reader's language. The template must be a string literal, so that it is extracted
    into the engine catalogue (tests/test_engine_messages.py checks every raise)."""

    def __init__(self, template: str | Message, /, **params: Any) -> None:
        self.message = template if isinstance(template, Message) else Message(template, **params)
        super().__init__(str(self.message))

    def say(self, gettext: Gettext, lang: str = "en") -> str:
        return self.message.say(gettext, lang)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the Message, not from the English text (pickling across processes).
        return (type(self), (self.message,), self.__dict__)


class NotFoundError(DomainError):
    pass


class PermissionDeniedError(DomainError):
    pass
