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
and pydantic validation; words.messages) are a second catalogue, `engine`, extracted
from the whole repository with `locale/engine.cfg` and `--no-default-keywords` plus the
keywords in words.messages.KEYWORDS; `say(error, lang)` (words.catalogue, re-exported
here with the number, money and date formatters it uses) says one. The same
`python -m careerflow.api.i18n extract|update|compile|all` handles both catalogues;
tests/test_engine_messages.py checks the engine catalogue as test_i18n checks the pages'.
"""

from __future__ import annotations

import gettext
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_skeleton, format_time
from markupsafe import Markup, escape

from aggregates.ladder import ROLE_LABELS, Role

# The engine catalogue and the formatters its messages use live below the domain
# (words.catalogue); re-exported for the pages and the faces.
from words.catalogue import (
    BABEL_LOCALES,
    CATALOGUES,
    ENGINE_DOMAIN,
    ENGINE_MAPPING,
    LOCALE_DIR,
    QUOTE_CLOSE,
    QUOTE_OPEN,
    SOURCE_LANG,
    date_text,
    said_apart,
)
from words.catalogue import ENGINE_POT as ENGINE_POT
from words.catalogue import engine_translations as engine_translations
from words.catalogue import money as money
from words.catalogue import number as number
from words.catalogue import say as say
from words.catalogue import typed_value as typed_value
from words.catalogue import zone as zone
from words.catalogue import zone_name as zone_name
from words.messages import KEYWORDS, LANGUAGES

HERE = Path(__file__).resolve().parent
MAPPING = LOCALE_DIR / "babel.cfg"
DOMAIN = "messages"
POT = LOCALE_DIR / f"{DOMAIN}.pot"

LANGS = LANGUAGES  # those a profile can choose
DEFAULT_LANG = "zh"  # the companies are Chinese; the employee profile's default too
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
    # month close events (the pay statement's derivation)
    "KpisScored": N_("KPIs scored"),
    "BonusComputed": N_("Bonus computed"),
    "CommissionComputed": N_("Commission computed"),
    "TrainingRulesChecked": N_("Training rules checked"),
    "TrainingRecommended": N_("Training recommended"),
    # people, their metrics and the policies
    "Hired": N_("Hired"),
    "RoleChanged": N_("Role changed"),
    "Moved": N_("Moved to another team"),
    "LanguageSet": N_("Language set"),
    "Left": N_("Left"),
    "MetricsRecorded": N_("Metrics recorded"),
    "Created": N_("Created"),
    "VersionPublished": N_("Version published"),
    # support request events and states
    "Raised": N_("Raised"),
    "Acknowledged": N_("Acknowledged"),
    "Answered": N_("Answered"),
    "Confirmed": N_("Confirmed"),
    "Reopened": N_("Reopened"),
    "Breached": N_("SLA breached"),
    "ClosedUnconfirmed": N_("Closed unconfirmed"),
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "answered": N_("answered"),
    "reopened": N_("reopened"),
    "resolved": N_("resolved"),
    # 360° round events and states
    "RatingRecorded": N_("Rating recorded"),
    "AnonymousTaskCompleted": N_("Anonymous rating completed"),
    "RemindersSent": N_("Reminders sent"),
    "DeadlinePassed": N_("Deadline passed"),
    "GroupSealed": N_("Rater group sealed"),
    "ProfileComputed": N_("Profile computed"),
    "late ratings": N_("late ratings"),
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
    "policy": N_("policy"),
    "token": N_("access token"),
    "metrics": N_("metrics"),
    # access tokens and employee profiles on the audit trail
    "Issued": N_("Issued"),
    "Revoked": N_("Revoked"),
    "active": N_("active"),
    "left": N_("left the company"),
    "revoked": N_("revoked"),
    "expired": N_("expired"),
    # policy kinds (the policies on the audit trail)
    "metric_catalog": N_("metric catalogue"),
    "potential_weights": N_("potential weights"),
    "kpi_weights": N_("KPI weights"),
    "promotion_criteria": N_("promotion criteria"),
    "promotion_process": N_("promotion process"),
    "plan_template": N_("development plan template"),
    "goal_cascade": N_("goal cascade"),
    "bonus_rules": N_("bonus rules"),
    "commission_rules": N_("commission rules"),
    "training_rules": N_("training rules"),
    "weekly_cycle": N_("weekly cycle calendar"),
    "access_rules": N_("access rules"),
    "competency_model": N_("competency model"),
    "support_process": N_("support process"),
    "default": N_("default"),
}


def words(value: Any) -> str:
    """`manager_review` → "manager review", `ManagerDecided` → "Manager Decided"."""
    return _CAMEL.sub(" ", str(value or "")).replace("_", " ")


def term(value: Any, gettext: Gettext) -> str:
    """A state or kind in the page's language (unknown ones as words, untranslated)."""
    key = str(value or "")
    return gettext(TERMS[key]) if key in TERMS else words(key)


def document_name(kind: Any, key: Any, gettext: Gettext, lang: str) -> str:
    """A policy document by name: its kind's word and its key (a role by the ladder's
    name, `default` as a word): "promotion criteria · Sales Supervisor"."""
    key_text = str(key or "")
    try:
        said_key = label(ROLE_LABELS[Role(key_text)], lang)
    except ValueError:
        said_key = term(key_text, gettext)
    return f"{term(kind, gettext)} · {said_key}"


def label(value: Any, lang: str) -> str:
    """A bilingual label from a policy document or read model ({"en", "zh"})."""
    if isinstance(value, dict):
        other = SOURCE_LANG if lang != SOURCE_LANG else DEFAULT_LANG
        return str(value.get(lang) or value.get(other) or next(iter(value.values()), ""))
    return "" if value is None else str(value)


_MARKED = re.compile(r"\*([^*\n]+)\*")


def unmarked(text: str) -> str:
    """A label without its markers (`course *Prospecting Skills*` → `course Prospecting
    Skills`): for charts, files and the terminal."""
    return _MARKED.sub(r"\1", text)


def marked_html(text: str) -> Markup:
    """A label for a page: escaped, its `*Course*` markers as <cite> (course titles)."""
    return Markup(_MARKED.sub(r"<cite>\1</cite>", str(escape(text))))


_QUOTED = re.compile(f"{QUOTE_OPEN}(\\d+){QUOTE_CLOSE}")


def notice_html(value: Any, lang: str) -> Markup:
    """A notification's title or body as stored (its message, or its text in every
    language as stored before) for a page, in `lang`: escaped, course titles as <cite>,
    and what people typed (Message.quote) as data, in <q translate="no">: not words of
    the page, so neither translated nor held to the page's language."""
    if not isinstance(value, dict):
        return marked_html(label(value, lang))
    sentence, quotes = said_apart(value, lang)
    marked = str(marked_html(sentence))

    def quoted(found: re.Match[str]) -> str:
        return str(Markup('<q class="typed" translate="no">{}</q>').format(quotes[int(found[1])]))

    return Markup(_QUOTED.sub(quoted, marked))


def role_label(value: Any, lang: str) -> str:
    """A rung of the ladder by the ladder's own bilingual names."""
    try:
        return label(ROLE_LABELS[Role(str(value))], lang)
    except ValueError:
        return words(value)


# -- months, dates and times (numbers, money and dates: words.catalogue) ------------
def month_text(value: Any, lang: str) -> str:
    """ "2026-10" → 2026年10月 / October 2026."""
    text = str(value or "")
    try:
        first = date(int(text[:4]), int(text[5:7]), 1)
    except ValueError:
        return text
    return format_skeleton("yMMMM", first, locale=BABEL_LOCALES[lang])


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
