"""The dashboards' two languages, Simplified Chinese and English: gettext catalogues made
with Babel, the choice of language for a request, and locale-aware numbers, money, dates
and times (Babel's CLDR data) in the company's time zone.

English is the source language (the msgids); `locale/zh_CN/LC_MESSAGES/messages.po` holds
the Chinese, compiled to `messages.mo` (committed, shipped as package data). Domain names
(roles, criteria, courses, milestones, metrics, notifications) are not in the catalogue:
the policy documents and read models carry them in both languages.

The catalogue workflow (also `python -m careerflow.api.i18n extract|update|compile|all`):

    pybabel extract -F careerflow/api/locale/babel.cfg -o careerflow/api/locale/messages.pot \\
        --project careerflow --copyright-holder careerflow --sort-by-file --no-wrap careerflow/api
    pybabel update -i careerflow/api/locale/messages.pot -d careerflow/api/locale -l zh_CN \\
        --no-wrap
    pybabel compile -d careerflow/api/locale -l zh_CN --statistics

tests/test_i18n.py fails while a marked string has no Chinese, or the .mo is stale.

The engine's messages (errors and refusals from services, aggregates, workflow validators
and pydantic validation; careerflow.messages) are a second catalogue, `engine`, extracted
from the whole repository with `locale/engine.cfg` and `--no-default-keywords` plus the
keywords in careerflow.messages.KEYWORDS; `say(error, lang)` says one. The same
`python -m careerflow.api.i18n extract|update|compile|all` handles both catalogues;
tests/test_engine_messages.py checks the engine catalogue as test_i18n checks the pages'.
"""

from __future__ import annotations

import gettext
import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time, get_timezone_name
from babel.numbers import format_currency, format_decimal

from aggregates.base import DomainError
from aggregates.ladder import ROLE_LABELS, Role
from careerflow.messages import KEYWORDS, LANGUAGES, Invalid, Message

HERE = Path(__file__).resolve().parent
LOCALE_DIR = HERE / "locale"
MAPPING = LOCALE_DIR / "babel.cfg"
DOMAIN = "messages"
POT = LOCALE_DIR / f"{DOMAIN}.pot"
# The engine's messages (errors and refusals from the services, aggregates, workflows and
# validators; careerflow.messages) have their own catalogue, extracted from the repository.
ENGINE_DOMAIN = "engine"
ENGINE_MAPPING = LOCALE_DIR / "engine.cfg"
ENGINE_POT = LOCALE_DIR / f"{ENGINE_DOMAIN}.pot"

LANGS = LANGUAGES  # those a profile can choose
DEFAULT_LANG = "zh"  # the companies are Chinese; the employee profile's default too
SOURCE_LANG = "en"  # the language of the msgids
CATALOGUES = {"zh": "zh_CN"}  # language → catalogue directory under locale/
BABEL_LOCALES = {"zh": Locale.parse("zh_Hans_CN"), "en": Locale.parse("en_US")}
HTML_LANG = {"zh": "zh-CN", "en": "en"}
# Each language is offered in its own name (an autonym is the same in every language).
AUTONYMS = {"zh": "中文", "en": "English"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; translated where it is shown."""
    return message


Gettext = Callable[[str], str]


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang` (English: the msgids themselves). A missing
    Chinese catalogue is an error, not a silent fallback to English."""
    if lang == SOURCE_LANG:
        return gettext.NullTranslations()
    if lang not in CATALOGUES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGS)}")
    return gettext.translation(DOMAIN, str(LOCALE_DIR), [CATALOGUES[lang]])


def gettext_for(lang: str) -> Gettext:
    return translations(lang).gettext


@cache
def engine_translations(lang: str) -> gettext.NullTranslations:
    """The engine catalogue of `lang`: what errors and refusals say."""
    if lang == SOURCE_LANG:
        return gettext.NullTranslations()
    if lang not in CATALOGUES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGS)}")
    return gettext.translation(ENGINE_DOMAIN, str(LOCALE_DIR), [CATALOGUES[lang]])


def say(message: Message | DomainError | Invalid, lang: str) -> str:
    """An engine message (or the error carrying it) in `lang`, its dates, numbers and
    money in that locale."""
    said = message if isinstance(message, Message) else message.message
    return said.say(engine_translations(lang).gettext, lang, typed_value)


def typed_value(value: Mapping[str, Any], lang: str) -> str:
    """A Message's date, number or money value (Message.date/number/money) in `lang`."""
    if "$money" in value:
        return money(value["$money"], value.get("currency"), lang)
    if "$number" in value:
        return number(value["$number"], lang, int(value.get("digits", 2)))
    return date_text(value.get("$date"), lang)


# -- choosing the language -------------------------------------------------------------
def normalise(value: str | None) -> str | None:
    """`zh_CN`, `zh-Hans`, `ZH` → "zh"; `en-GB` → "en"; anything else → None."""
    primary = (value or "").replace("_", "-").split("-")[0].strip().lower()
    return primary if primary in LANGS else None


def from_accept_language(header: str | None) -> str | None:
    """The browser's most preferred language that the dashboards speak (q-values
    respected, ties in the header's order), or None."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = normalise(tag)
        if lang is not None and quality > 0:
            ranked.append((-quality, index, lang))
    return min(ranked)[2] if ranked else None


def choose(switch: str | None, profile: str | None, accept_language: str | None) -> tuple[str, str]:
    """The language of a page and where it came from: the language switch's cookie (the
    person's explicit choice on this browser), then the employee profile's locale, then
    the browser's Accept-Language, then Chinese."""
    for source, lang in (
        ("switch", normalise(switch)),
        ("profile", normalise(profile)),
        ("browser", from_accept_language(accept_language)),
    ):
        if lang is not None:
            return lang, source
    return DEFAULT_LANG, "default"


# -- words the code knows (states and kinds), translated where they are shown -------------
TERMS: dict[str, str] = {
    # promotion application stages
    "reporting": N_("reporting"),
    "manager_review": N_("manager review"),
    "returned": N_("returned"),
    "hr_review": N_("HR review"),
    "approved": N_("approved"),
    "promoted": N_("promoted"),
    "rejected": N_("rejected"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    # promotion events (the timeline and the audit trail)
    "Started": N_("Started"),
    "Submitted": N_("Submitted"),
    "ManagerDecided": N_("Manager decided"),
    "Reminded": N_("Reminded"),
    "Returned": N_("Returned"),
    "HrConfirmed": N_("HR confirmed"),
    "HrOverridden": N_("HR overrode"),
    "Withdrawn": N_("Withdrawn"),
    "Announced": N_("Announced"),
    "Promoted": N_("Promoted"),
    # weekly cycle events and states
    "Opened": N_("Opened"),
    "PlanSubmitted": N_("Plan submitted"),
    "PlanDefaulted": N_("Plan defaulted"),
    "ReportBuilt": N_("Report built"),
    "FeedbackGiven": N_("Feedback given"),
    "FeedbackMissed": N_("Feedback missed"),
    "submitted": N_("submitted"),
    "agreed": N_("agreed with the manager"),
    "defaulted": N_("defaulted to the targets"),
    "pending": N_("pending"),
    "given": N_("given"),
    "missed": N_("missed"),
    # development plan events and states
    "ProgressEvaluated": N_("Progress evaluated"),
    "MilestoneOverdue": N_("Milestone overdue"),
    "MilestoneConfirmed": N_("Milestone confirmed"),
    "Adjusted": N_("Adjusted"),
    "Closed": N_("Closed"),
    "on_track": N_("on track"),
    "at_risk": N_("at risk"),
    "overdue": N_("overdue"),
    "completed": N_("completed"),
    "closed": N_("closed"),
    "done": N_("done"),
    "behind": N_("behind"),
    "awaiting_confirmation": N_("awaiting confirmation"),
    "confirmed": N_("confirmed"),
    "not_started": N_("not started"),
    # the manager's SLA clock
    "on time": N_("on time"),
    "reminded": N_("reminded"),
    "escalated": N_("escalated"),
    # who acts
    "employee": N_("employee"),
    "manager": N_("manager"),
    "hr": N_("HR"),
    "auditor": N_("auditor"),
    "system": N_("system"),
    "integration": N_("integration"),
    # what the audit trail lists
    "application": N_("application"),
    "cycle": N_("weekly cycle"),
    "month": N_("month close"),
    "plan": N_("development plan"),
    "support": N_("support request"),
    "assessment": N_("360° assessment round"),
}


def words(value: Any) -> str:
    """`manager_review` → "manager review", `ManagerDecided` → "Manager Decided"."""
    return _CAMEL.sub(" ", str(value or "")).replace("_", " ")


def term(value: Any, gettext: Gettext) -> str:
    """A state or kind in the page's language (unknown ones as words, untranslated)."""
    key = str(value or "")
    return gettext(TERMS[key]) if key in TERMS else words(key)


def label(value: Any, lang: str) -> str:
    """A bilingual label from a policy document or read model ({"en", "zh"})."""
    if isinstance(value, dict):
        other = SOURCE_LANG if lang != SOURCE_LANG else DEFAULT_LANG
        return str(value.get(lang) or value.get(other) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def role_label(value: Any, lang: str) -> str:
    """A rung of the ladder by the ladder's own bilingual names."""
    try:
        return label(ROLE_LABELS[Role(str(value))], lang)
    except ValueError:
        return words(value)


# -- numbers, money, dates and times ---------------------------------------------------
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


def _as_date(value: Any) -> date | None:
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
    day = _as_date(value)
    if day is None:
        return str(value)
    return format_date(day, "long" if lang == "zh" else "medium", locale=BABEL_LOCALES[lang])


def month_text(value: Any, lang: str) -> str:
    """ "2026-10" → 2026年10月 / October 2026."""
    text = str(value or "")
    try:
        first = date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        return text
    return format_skeleton("yMMMM", first, locale=BABEL_LOCALES[lang])


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: Any, time_zone: str | None) -> datetime | None:
    """An aware moment (naive ones are UTC, as the stores write them) in the zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(time_zone))


def datetime_text(value: Any, lang: str, time_zone: str | None) -> str:
    """2026年11月22日 09:30 / Nov 22, 2026, 9:30 AM, in the company's time zone."""
    if value is None:
        return "–"
    moment = local_time(value, time_zone)
    if moment is None:
        return date_text(value, lang) if isinstance(value, date) else str(value)
    locale = BABEL_LOCALES[lang]
    day = format_date(moment, "long" if lang == "zh" else "medium", locale=locale)
    clock = format_time(moment, "short", locale=locale)
    return f"{day} {clock}" if lang == "zh" else f"{day}, {clock}"


def zone_name(time_zone: str | None, lang: str) -> str:
    """The zone as people call it: 中国标准时间 / China Standard Time."""
    now = datetime.now(zone(time_zone))  # standard or daylight time, as it is now
    return str(get_timezone_name(now, "long", locale=BABEL_LOCALES[lang]))


# -- the catalogue workflow ------------------------------------------------------------
def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", *args])


def main(argv: list[str]) -> int:
    """extract (templates + Python → messages.pot), update (pot → zh_CN .po), compile
    (.po → .mo), or all three."""
    steps = argv or ["all"]
    os.chdir(HERE.parent.parent)  # the repository: locations read careerflow/api/…
    # (domain, mapping, .pot, what to scan, extra options)
    catalogues: list[tuple[str, Path, Path, list[str], list[str]]] = [
        (DOMAIN, MAPPING, POT, ["careerflow/api"], []),
        (ENGINE_DOMAIN, ENGINE_MAPPING, ENGINE_POT, ["."], ["--no-default-keywords"]),
    ]
    for step in steps:
        if step not in ("extract", "update", "compile", "all"):
            print(__doc__)
            return 2
        for domain, mapping, pot, sources, options in catalogues:
            if step in ("extract", "all"):
                keywords = [f"-k{word}" for word in KEYWORDS] if domain == ENGINE_DOMAIN else []
                _pybabel(
                    "extract", "-F", str(mapping.relative_to(Path.cwd())), "-o",
                    str(pot.relative_to(Path.cwd())), "--project", "careerflow",
                    "--copyright-holder", "careerflow", "--sort-by-file", "--no-wrap",
                    *options, *keywords, *sources,
                )  # fmt: skip
            if step in ("update", "all"):
                for catalogue in CATALOGUES.values():
                    po = LOCALE_DIR / catalogue / "LC_MESSAGES" / f"{domain}.po"
                    command = "update" if po.exists() else "init"  # a new catalogue
                    _pybabel(
                        command, "-i", str(pot), "-d", str(LOCALE_DIR), "-l", catalogue,
                        "-D", domain, "--no-wrap",
                        *(["--ignore-obsolete"] if command == "update" else []),
                    )  # fmt: skip
            if step in ("compile", "all"):
                for catalogue in CATALOGUES.values():
                    _pybabel(
                        "compile", "-d", str(LOCALE_DIR), "-l", catalogue, "-D", domain,
                        "--statistics",
                    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
