"""Messages a person reads, kept as a template and its values until they are shown, so the
API and the CLI can say them in the reader's language (Simplified Chinese or English).

A template is English with named `{placeholders}` (str.format syntax, conversions and
format specs allowed). It is the msgid in the `engine` gettext catalogue
(careerflow/api/locale/<lang>/LC_MESSAGES/engine.po): `pybabel extract` finds it as the
first argument of DomainError and its subclasses, of `refuse` (workflow validators) and of
`Message`. Values are JSON-able (they cross Temporal as failure details and activity
inputs); a value that is itself a Message, or a list of Messages, is said in the same
language; a label ({"en": ..., "zh": ...}, e.g. a name from a policy document) in that
language; `Message.date/number/money` values in the reader's locale (2026年12月1日,
¥1,200,000), `Message.week_time/moment/local/zone` moments and time zones in the reader's
words (周五 18:00, 2026年11月23日 17:30（中国标准时间）) when said through words.catalogue.

Texts the engine stores in both languages (readiness details, plan progress) are made from
a Message with `words.catalogue.in_every_language`, so their words live in the catalogue
too, not in dictionaries in the code. Notifications store the Message itself (its JSON) and
are said when read; what people typed goes in as `Message.quote`, apart from the sentence,
so a page shows it as data. The domain returns Messages and
never reads the catalogue itself.

Imports nothing of the engine and no heavy library: the domain, workflow code (re-imported
by the sandbox) and every face use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

Gettext = Callable[[str], str]
# Formats a typed value (a date, number or money marker) in a language.
Formatter = Callable[[Mapping[str, Any], str], str]
Label = dict[str, str]

LANGUAGES = ("zh", "en")  # those the engine speaks; English is the templates' language
SEPARATORS = {"zh": "；"}  # between the messages of a list; "; " otherwise
TYPED = ("$date", "$number", "$money", "$weektime", "$local", "$zone", "$quote")
# A moment of the weekly cycle's week as the cycle settings label it ("Fri 18:00",
# "next Mon 08:00"), and a moment in a time zone as the engine labels it for people
# ("2026-11-23 17:30 (Asia/Shanghai)"): the forms stored and carried as plain strings.
WEEK_TIME = re.compile(r"^(next )?(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{2}):(\d{2})$")
LOCAL_LABEL = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \(([A-Za-z][\w+\-/]*)\)$")

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

    # -- values said in the reader's locale ---------------------------------------------
    @staticmethod
    def date(day: Any) -> dict[str, Any]:
        """A date value: 2026年12月1日 / Dec 1, 2026 (ISO without a formatter)."""
        return {"$date": str(day)[:10]}

    @staticmethod
    def number(value: float, digits: int = 2) -> dict[str, Any]:
        """A number value with grouping (1,234.5), at most `digits` decimals."""
        return {"$number": value, "digits": digits}

    @staticmethod
    def money(amount: float, currency: str = "CNY") -> dict[str, Any]:
        """An amount of money: ¥1,200,000 / CN¥1,200,000."""
        return {"$money": amount, "currency": currency}

    @staticmethod
    def week_time(label: str) -> dict[str, Any] | str:
        """A moment of the weekly cycle's week as WeekTime.label() says it ("Fri 18:00",
        "next Mon 08:00"): 周五 18:00 / Fri 18:00. Anything else stays as it is."""
        return {"$weektime": label} if WEEK_TIME.match(label) else label

    @staticmethod
    def quote(text: str) -> dict[str, Any]:
        """Text a person typed (a comment, an answer, a round's title): said as it is in
        every language, and kept apart from the sentence around it so a page can show it
        as data (translate="no"), not as words of the page's language."""
        return {"$quote": str(text)}

    @staticmethod
    def zone(name: str) -> dict[str, Any]:
        """A time zone by its id ("Asia/Shanghai"), said as people call it: 中国标准时间 /
        China Standard Time."""
        return {"$zone": str(name)}

    @staticmethod
    def moment(value: datetime | str, zone: str | None = None) -> dict[str, Any] | str:
        """A moment in a time zone (UTC without one): said as the local date and time and
        the zone's name (2026年11月23日 17:30（中国标准时间）); plain, as the engine labelled
        moments before: "2026-11-23 17:30 (Asia/Shanghai)"."""
        from datetime import UTC
        from zoneinfo import ZoneInfo  # the standard library; only when a moment is made

        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                return value
        else:
            parsed = value
        name = zone or "UTC"
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # stores' UTC
        local = aware.astimezone(ZoneInfo(name))
        return {"$local": local.strftime("%Y-%m-%d %H:%M"), "zone": name}

    @staticmethod
    def local(label: str) -> dict[str, Any] | str:
        """A moment as the engine labels it for people ("2026-11-23 17:30 (Asia/Shanghai)",
        aggregates' local_label) as a value said in the reader's language (see `moment`).
        Anything else stays as it is."""
        found = LOCAL_LABEL.match(label)
        return {"$local": found[1], "zone": found[2]} if found else label

    def say(
        self, gettext: Gettext = _english, lang: str = "en", fmt: Formatter | None = None
    ) -> str:
        """The message in `lang`, translated by `gettext`; typed values formatted by
        `fmt` (plain without one)."""
        values = {name: _said(value, gettext, lang, fmt) for name, value in self.params.items()}
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


def as_message(text: Mapping[str, Any]) -> Message:
    """A text stored to be said later: a Message's JSON (template and values, typed text
    kept apart as `Message.quote`), or a text stored already said in each language
    ({"en": ..., "zh": ...}: notifications from before they stored their message), said
    in the reader's language as it was stored."""
    if Message.is_json(text):
        return Message.from_json(text)
    return Message("{text}", text=dict(text))


# Says a Message in every language the engine speaks: words.catalogue.in_every_language.
# The domain functions that make stored texts take one from their caller, so the domain
# returns Messages and never reads the catalogue itself.
Labeller = Callable[[Message], Label]


def is_label(value: Any) -> bool:
    """A text given in each language, e.g. {"en": "Sales Supervisor", "zh": "销售主管"}."""
    return (
        isinstance(value, Mapping)
        and bool(value)
        and "en" in value
        and all(k in LANGUAGES and isinstance(v, str) for k, v in value.items())
    )


def _said(value: Any, gettext: Gettext, lang: str, fmt: Formatter | None) -> Any:
    if isinstance(value, Message):
        return value.say(gettext, lang, fmt)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Message) for v in value):
        return SEPARATORS.get(lang, "; ").join(v.say(gettext, lang, fmt) for v in value)
    if is_label(value):
        return value.get(lang) or value["en"]
    if isinstance(value, Mapping) and any(k in value for k in TYPED):
        return fmt(value, lang) if fmt is not None else _plain(value)
    return value


def _plain(value: Mapping[str, Any]) -> str:
    if "$quote" in value:
        return str(value["$quote"])
    if "$weektime" in value:
        return str(value["$weektime"])
    if "$zone" in value:
        return str(value["$zone"])
    if "$local" in value:
        return f"{value['$local']} ({value.get('zone') or 'UTC'})"
    if "$money" in value:
        return f"{value.get('currency', 'CNY')} {value['$money']:,}"
    if "$number" in value:
        return f"{value['$number']:,}"
    return str(value.get("$date"))


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


def legacy_value(name: str, value: Any) -> Any:
    """A value a stored message carries in the form the engine used before it typed its
    moments and zones (a plain "Fri 18:00", "2026-11-23 17:30 (Asia/Shanghai)", a zone id
    as `time_zone`), as the typed value said in the reader's language; others as they are."""
    if not isinstance(value, str):
        return value
    if name in ("time_zone", "zone") and "/" in value and " " not in value:
        return Message.zone(value)
    typed = Message.week_time(value)
    return typed if typed is not value else Message.local(value)


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


# -- the access roles as words ----------------------------------------------------------
# For messages that name who was refused ("员工 E1 无权…"): each role value as a message,
# so it is said in the reader's language; English keeps the role's own value, as the API
# and CLI always said it. (Here, not in a module of their own: the workflow sandbox
# imports words.messages already.)
def _access_roles() -> dict[str, Message]:
    return {
        "employee": Message("employee"),
        "manager": Message("manager"),
        "hr": Message("hr"),
        "auditor": Message("auditor"),
        "system": Message("system"),
        "integration": Message("integration"),
    }


def role_word(value: str) -> Message | str:
    """A role value as a message said in the reader's language."""
    return _access_roles().get(value, value)


def role_words(values: Iterable[str]) -> Message | str:
    """Several roles, listed in each language's way ("hr, auditor")."""
    said = [role_word(v) for v in values]
    if not said:
        return ""
    listed = said[-1]
    for word in reversed(said[:-1]):
        listed = Message("{first}, {rest}", first=word, rest=listed)
    return listed
