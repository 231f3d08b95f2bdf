"""Messages a person reads, kept as a template and its values until they are shown, so the
API and the CLI can say them in the reader's language (Simplified Chinese or English).

A template is English with named `{placeholders}` (str.format syntax, conversions and
format specs allowed). It is the msgid in the `engine` gettext catalogue
(careerflow/api/locale/<lang>/LC_MESSAGES/engine.po): `pybabel extract` finds it as the
first argument of DomainError and its subclasses, of `refuse` (workflow validators) and of
`Message`. Values are JSON-able (they cross Temporal as failure details); a value that is
itself a Message, or a list of Messages, is said in the same language.

Kept free of heavy imports: workflow code (re-imported by the sandbox) uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Gettext = Callable[[str], str]

# Babel keywords for the engine catalogue: callables whose first argument is a template.
KEYWORDS = (
    "Message",
    "DomainError",
    "NotFoundError",
    "PermissionDeniedError",
    "AuthenticationError",
    "CsrfRefused",
    "IngestError",
    "refuse",
    "Invalid",
)


def _english(message: str) -> str:
    return message


class Message:
    """A template and its values; `str()` is the English, `say(gettext)` any language."""

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    @classmethod
    def verbatim(cls, text: str) -> Message:
        """Text that is not the engine's own (a failure recorded before messages carried
        their template, a library's error): shown as it is, in every language."""
        return cls("{text}", text=text)

    def say(self, gettext: Gettext = _english) -> str:
        values = {name: _said(value, gettext) for name, value in self.params.items()}
        translated = gettext(self.template)
        try:
            return translated.format(**values)
        except (KeyError, IndexError, ValueError, AttributeError):
            # A broken translation must not hide the message: fall back to the English,
            # or to the template itself when even that does not fit its values.
            try:
                return self.template.format(**values)
            except (KeyError, IndexError, ValueError, AttributeError):
                return self.template

    def __str__(self) -> str:
        return self.say()

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Message)
            and other.template == self.template
            and other.params == self.params
        )

    def __hash__(self) -> int:
        return hash(self.template)

    def to_json(self) -> dict[str, Any]:
        return {"template": self.template, "params": _to_json(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        params = data.get("params") or {}
        return cls(str(data["template"]), **{k: _from_json(v) for k, v in params.items()})

    @staticmethod
    def is_json(data: Any) -> bool:
        return isinstance(data, Mapping) and isinstance(data.get("template"), str)

    @classmethod
    def from_failure(cls, details: Sequence[Any], text: str) -> Message:
        """What a Temporal failure says: the template and values it carries as its first
        detail (activities.errors, workflows.refusals), else its text as it is (a failure
        recorded before messages carried their template)."""
        if details and cls.is_json(details[0]):
            return cls.from_json(details[0])
        return cls.verbatim(text)


def _said(value: Any, gettext: Gettext) -> Any:
    if isinstance(value, Message):
        return value.say(gettext)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Message) for v in value):
        return "; ".join(v.say(gettext) for v in value)
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # dates, enums, decimals: as the English message showed them


def _from_json(value: Any) -> Any:
    if Message.is_json(value):
        return Message.from_json(value)
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


class Invalid(ValueError):
    """A pydantic validator's refusal as a Message: pydantic reports it as a `value_error`
    whose context holds this exception, and careerflow.validation says it in the reader's
    language (a plain ValueError would be English only)."""

    def __init__(self, template: str | Message, /, **params: Any) -> None:
        self.message = template if isinstance(template, Message) else Message(template, **params)
        super().__init__(str(self.message))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the Message, not from the English text (pickling across processes).
        return (type(self), (self.message,), self.__dict__)
