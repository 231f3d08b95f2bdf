"""The engine's moments, weekdays, clock times and time zones are said in the reader's
language (issue 18: "times in the company's time zone everywhere", nothing English on a
Chinese page): a Message carries them as typed values (Message.week_time, .moment, .local,
.zone) that words.catalogue says as 周五 18:00 / Fri 18:00, 2026年11月23日 17:30（中国标准时间）
/ Nov 23, 2026, 5:30 PM (China Standard Time); `str()` keeps the engine's English labels;
stored messages whose values were plain labels are still said right.

The walk finds every engine message (DomainError, refuse, Message, Invalid, …) that gives
a typed time value, says it in both languages with sample values, and fails on English in
the Chinese or Chinese in the English."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from aggregates.assessment_rules import closed_message, local_label
from aggregates.cycle_settings import WeeklyCycleSettings, WeekTime
from tests.language import foreign_words
from tests.test_engine_messages import called_name, python_files
from words.catalogue import said_line, say
from words.messages import KEYWORDS, Invalid, Message

ROOT = Path(__file__).resolve().parent.parent
TYPED = {"week_time", "moment", "local", "zone"}
ZONE = "Asia/Shanghai"
MOMENT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
# A sample of each typed value, as the engine makes it.
SAMPLES: dict[str, Any] = {
    "week_time": Message.week_time("Fri 18:00"),
    "moment": Message.moment(MOMENT, ZONE),
    "local": Message.local(local_label(MOMENT, ZONE)),
    "zone": Message.zone(ZONE),
}
# Other values: data without a language (ids, weeks, names).
DATA = "X1"


def typed_kind(value: ast.expr) -> str | None:
    """`Message.week_time(...)` → "week_time" (None: not a typed time value)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr in TYPED
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == "Message"
    ):
        return value.func.attr
    return None


def timed_messages() -> Iterator[tuple[str, Message]]:
    """Every engine message written with a typed time value, with sample values."""
    for path in python_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and called_name(node) in KEYWORDS):
                continue
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            kinds = {k.arg: typed_kind(k.value) for k in node.keywords if k.arg}
            if not any(kinds.values()):
                continue
            values = {name: SAMPLES[kind] if kind else DATA for name, kind in kinds.items()}
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            yield where, Message(first.value, **values)


TIMED = list(timed_messages())


def test_the_walk_finds_the_engines_timed_messages() -> None:
    """The weekly cycle, the support clock and the 360° round all say moments."""
    places = {where.split(":")[0] for where, _ in TIMED}
    for expected in (
        "workflows/rep_week.py",
        "workflows/support_request.py",
        "workflows/assessment_round.py",
        "aggregates/assessment_rules.py",
        "aggregates/cycle_settings.py",
        "careerflow/applications/cycles.py",
    ):
        assert expected in places, f"no timed message found in {expected}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_timed_message_is_said_in_one_language(lang: str) -> None:
    bad = []
    for where, message in TIMED:
        said = say(message, lang).replace(DATA, " ")
        if found := foreign_words(said, lang):
            bad.append(f"{where}: {found}: {said}")
    assert not bad, "\n".join(bad)


def test_the_values_are_said_as_people_say_them() -> None:
    message = Message(
        "due {due} ({time_zone}); closes {close}; at {at}",
        due=Message.week_time("next Mon 08:00"),
        time_zone=Message.zone(ZONE),
        close=Message.local("2026-11-23 17:30 (Asia/Shanghai)"),
        at=Message.moment(MOMENT, ZONE),
    )
    zh = say(message, "zh")
    assert "下周一 08:00" in zh and "(中国标准时间)" in zh
    assert zh.count("2026年11月23日 17:30（中国标准时间）") == 2
    en = say(message, "en")
    assert "next Mon 08:00 (China Standard Time)" in en
    assert (
        en.count("Nov 23, 2026, 5:30\u202fPM (China Standard Time)") == 2
        or en.count("Nov 23, 2026, 5:30 PM (China Standard Time)") == 2
    )
    # The English the engine always wrote, for logs and `str()`.
    assert str(message) == (
        "due next Mon 08:00 (Asia/Shanghai); closes 2026-11-23 17:30 (Asia/Shanghai); "
        "at 2026-11-23 17:30 (Asia/Shanghai)"
    )


def test_every_weekday_is_said_in_chinese() -> None:
    for day in range(8):
        label = WeekTime(day=day, hour=18).label()
        said = say(Message("{at}", at=Message.week_time(label)), "zh")
        assert not foreign_words(said, "zh"), said
        assert said.endswith("18:00") and said.startswith(("周", "下周")), said


def test_a_round_closed_says_its_moments_in_chinese() -> None:
    deadline, close = local_label(MOMENT, ZONE), local_label(MOMENT, ZONE)
    for grace in (True, False):
        said = say(closed_message("R1", deadline, close, grace), "zh")
        assert "中国标准时间" in said and ZONE not in said
        assert not foreign_words(said.replace("R1", " "), "zh"), said


def test_a_calendar_out_of_order_says_its_weekdays_in_chinese() -> None:
    with pytest.raises(ValidationError) as info:
        WeeklyCycleSettings(plan_deadline=WeekTime(day=0, hour=7))
    error = info.value.errors()[0]["ctx"]["error"]
    assert isinstance(error, Invalid)
    said = say(error.message, "zh")
    assert "周一 07:00" in said and "周一 12:00" in said, said
    assert not foreign_words(said, "zh"), said
    assert (
        str(error.message) == "plan_deadline (Mon 07:00) must come after plan_reminder (Mon 12:00)"
    )


def test_stored_messages_with_plain_labels_stay_readable_and_are_said_right() -> None:
    """Lines stored as Message JSON before the values were typed: said in the reader's
    words; the stored JSON is read as it is."""
    stored = {
        "template": "the plan deadline for {week} ({deadline}, {time_zone}) has passed; "
        "your targets were recorded as this week's plan",
        "params": {"week": "2026-W48", "deadline": "Fri 18:00", "time_zone": ZONE},
    }
    zh = said_line(stored, "zh")
    assert "周五 18:00" in zh and "中国标准时间" in zh
    assert not foreign_words(zh.replace("2026-W48", " "), "zh"), zh
    assert "Fri 18:00, China Standard Time" in said_line(stored, "en")
    typed = Message(
        "{subject}: acknowledge it by {due}",
        subject="S",
        due=Message.local(local_label(MOMENT, ZONE)),
    )
    again = Message.from_json(typed.to_json())
    assert again == typed and "中国标准时间" in said_line(typed.to_json(), "zh")
