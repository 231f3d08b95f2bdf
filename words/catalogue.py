"""The engine catalogue: what the engine's messages (errors and refusals from services,
aggregates, workflow validators and pydantic validation; words.messages.Message) say in
Simplified Chinese and English, their dates, numbers and money in the reader's locale
(Babel's CLDR data), and the texts stored in every language (`in_every_language`).

The catalogue is `careerflow/api/locale/<lang>/LC_MESSAGES/engine.po`, compiled to
`engine.mo` (package data shipped beside the pages' catalogue); `python -m
careerflow.api.i18n all` extracts, updates and compiles it with `ENGINE_MAPPING`.

Reads files and imports Babel, so not for workflow code (workflows pass a Message on to an
activity) nor for the domain (aggregates return Messages; their callers make the labels).
Imports nothing of the engine: an error is said through its `.message`.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_day_names, get_timezone_name
from babel.numbers import format_currency, format_decimal

from words.messages import LANGUAGES, WEEK_TIME, Label, Message, as_message, legacy_value

# The catalogues sit with the pages' under careerflow/api/locale (a path, not an import).
LOCALE_DIR = Path(__file__).resolve().parent.parent / "careerflow" / "api" / "locale"
ENGINE_DOMAIN = "engine"
ENGINE_MAPPING = LOCALE_DIR / "engine.cfg"
ENGINE_POT = LOCALE_DIR / f"{ENGINE_DOMAIN}.pot"

SOURCE_LANG = "en"  # the language of the msgids
CATALOGUES = {"zh": "zh_CN"}  # language → catalogue directory under locale/
BABEL_LOCALES = {"zh": Locale.parse("zh_Hans_CN"), "en": Locale.parse("en_US")}


class Carrying(Protocol):
    """An error that carries its Message (DomainError, Invalid, IngestError, ...)."""

    @property
    def message(self) -> Message: ...


@cache
def engine_translations(lang: str) -> gettext.NullTranslations:
    """The engine catalogue of `lang`: what errors and refusals say. A missing Chinese
    catalogue is an error, not a silent fallback to English."""
    if lang == SOURCE_LANG:
        return gettext.NullTranslations()
    if lang not in CATALOGUES:
        choices = ", ".join(LANGUAGES)
        raise ValueError(f"unsupported language {lang!r}; choose one of {choices}")
    return gettext.translation(ENGINE_DOMAIN, str(LOCALE_DIR), [CATALOGUES[lang]])


def say(message: Message | Carrying, lang: str) -> str:
    """An engine message (or the error carrying it) in `lang`, its dates, numbers and
    money in that locale."""
    said = message if isinstance(message, Message) else message.message
    return said.say(engine_translations(lang).gettext, lang, typed_value)


def said_in(message: Message, lang: str) -> str:
    """The message in `lang` through the engine catalogue, its dates and money in that
    locale. Not for workflow code (it reads the catalogue): workflows pass the Message on
    to an activity."""
    return say(message, lang)


def said_line(line: Any, lang: str) -> str:
    """A line a read model stored: a message (its JSON, said now in `lang`), else the text
    as stored (rows projected before lines were stored as messages)."""
    if Message.is_json(line):
        return say(upgraded(Message.from_json(line)), lang)
    return str(line)


def upgraded(message: Message) -> Message:
    """A stored message whose moments and zones were stored as plain English ("Fri 18:00",
    "2026-11-23 17:30 (Asia/Shanghai)", a zone id), with those values typed so they are
    said in the reader's language; the stored JSON itself is not changed."""
    params: dict[str, Any] = {}
    for name, value in message.params.items():
        if isinstance(value, Message):
            params[name] = upgraded(value)
        elif isinstance(value, list):
            params[name] = [upgraded(v) if isinstance(v, Message) else v for v in value]
        else:
            params[name] = legacy_value(name, value)
    return Message(message.template, **params)


def in_every_language(message: Message) -> Label:
    """The message said in every language the engine speaks: for texts stored as they
    were shown (notifications, evaluation details). Not for workflow code."""
    return {lang: said_in(message, lang) for lang in LANGUAGES}


def stored_text(text: Mapping[str, Any], lang: str) -> str:
    """A stored text (a Message's JSON, or a text stored said in each language: see
    words.messages.as_message) in `lang`, typed text as it was typed."""
    return say(upgraded(as_message(text)), lang)


def stored_label(text: Mapping[str, Any]) -> Label:
    """A stored text in every language the engine speaks."""
    return {lang: stored_text(text, lang) for lang in LANGUAGES}


# Where a quoted (typed) value stands in a sentence said by `said_apart`: characters of
# Unicode's private use area, which no catalogue or escaping touches.
QUOTE_OPEN, QUOTE_CLOSE = "\ue000", "\ue001"


def said_apart(text: Mapping[str, Any], lang: str) -> tuple[str, list[str]]:
    """A stored text in `lang` with each quoted value (Message.quote: what a person
    typed) left out: the sentence holds QUOTE_OPEN index QUOTE_CLOSE where the i-th
    typed text stands, so a page can show it as data."""
    quotes: list[str] = []

    def apart(value: Mapping[str, Any], lang: str) -> str:
        if "$quote" in value:
            quotes.append(str(value["$quote"]))
            return f"{QUOTE_OPEN}{len(quotes) - 1}{QUOTE_CLOSE}"
        return typed_value(value, lang)

    message = upgraded(as_message(text))
    return message.say(engine_translations(lang).gettext, lang, apart), quotes


def typed_value(value: Mapping[str, Any], lang: str) -> str:
    """A Message's typed value (Message.date/number/money/week_time/moment/zone, a quote)
    in `lang`."""
    if "$quote" in value:
        return str(value["$quote"])
    if "$weektime" in value:
        return week_time_text(str(value["$weektime"]), lang)
    if "$local" in value:
        return local_text(str(value["$local"]), value.get("zone"), lang)
    if "$zone" in value:
        return zone_name(value["$zone"], lang)
    if "$money" in value:
        return money(value["$money"], value.get("currency"), lang)
    if "$number" in value:
        return number(value["$number"], lang, int(value.get("digits", 2)))
    return date_text(value.get("$date"), lang)


# -- numbers, money and dates in the reader's locale -----------------------------------
def number(value: Any, lang: str, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[lang])


def money(amount: Any, currency: str | None, lang: str) -> str:
    """¥1,200,000 in Chinese, CN¥1,200,000 in English; cents only when there are any."""
    if amount is None:
        return "–"
    if not isinstance(amount, int | float) or isinstance(amount, bool):
        return str(amount)
    code = (currency or "CNY").upper()
    locale = BABEL_LOCALES[lang]
    if float(amount).is_integer():
        return format_currency(amount, code, format="¤#,##0", currency_digits=False, locale=locale)
    return format_currency(amount, code, locale=locale)


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def date_text(value: Any, lang: str) -> str:
    """2026年11月22日 / Nov 22, 2026."""
    if value is None:
        return "–"
    day = as_date(value)
    if day is None:
        return str(value)
    return format_date(day, "long" if lang == "zh" else "medium", locale=BABEL_LOCALES[lang])


# -- moments of the week, local times and time zones in the reader's words ------------
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def zone_name(time_zone: str | None, lang: str) -> str:
    """The zone as people call it: 中国标准时间 / China Standard Time."""
    now = datetime.now(zone(time_zone))  # standard or daylight time, as it is now
    return str(get_timezone_name(now, "long", locale=BABEL_LOCALES[lang]))


def week_time_text(label: str, lang: str) -> str:
    """ "Fri 18:00" → 周五 18:00 / Fri 18:00; "next Mon 08:00" → 下周一 08:00."""
    found = WEEK_TIME.match(label)
    if found is None:
        return label
    names = get_day_names("abbreviated", locale=BABEL_LOCALES[lang])
    day = str(names[_DAYS.index(found[2])])
    if found[1]:
        day = say(Message("next {day}", day=day), lang)  # 下周一 / next Mon
    return f"{day} {found[3]}:{found[4]}"


def local_text(local: str, time_zone: Any, lang: str) -> str:
    """A local wall time ("2026-11-23 17:30") in its zone: 2026年11月23日 17:30（中国标准时间）
    / Nov 23, 2026, 5:30 PM (China Standard Time)."""
    try:
        moment = datetime.fromisoformat(local)
    except ValueError:
        return f"{local} ({time_zone})"
    locale = BABEL_LOCALES[lang]
    day = format_date(moment, "long" if lang == "zh" else "medium", locale=locale)
    clock = format_time(moment, "HH:mm" if lang == "zh" else "short", locale=locale)
    said = f"{day} {clock}" if lang == "zh" else f"{day}, {clock}"
    name = zone_name(str(time_zone) if time_zone else None, lang)
    return say(Message("{moment} ({zone})", moment=said, zone=name), lang)
