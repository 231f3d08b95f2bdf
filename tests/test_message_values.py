"""Values inside engine messages said in the reader's language: labels from documents,
dates, numbers and money in the reader's locale, lists of messages; and texts stored in
both languages (notifications) made from catalogue templates."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from activities.notifications import CreateNotification, MessageIn
from aggregates.base import PermissionDeniedError
from careerflow.api import i18n
from careerflow.principal import AccessRole, Principal
from tests.test_engine_messages import ROOT, python_files
from words.catalogue import in_every_language, stored_label
from words.messages import Message, is_label

ROLE = {"en": "Sales Supervisor", "zh": "销售主管"}


def test_a_label_value_is_said_in_the_readers_language() -> None:
    m = Message("{role} {person_id} may not {action}", role=ROLE, person_id="E1", action="x")
    assert i18n.say(m, "en").startswith("Sales Supervisor E1")
    assert i18n.say(m, "zh").startswith("销售主管 E1")
    assert str(m).startswith("Sales Supervisor E1")
    assert is_label({"en": "a"}) and not is_label({"en": "a", "fr": "b"})
    assert not is_label({"en": 1}) and not is_label({})


def test_dates_numbers_and_money_follow_the_locale() -> None:
    m = Message(
        "{day} {amount} {count}",
        day=Message.date(date(2026, 12, 1)),
        amount=Message.money(1200000),
        count=Message.number(1234.567, digits=1),
    )
    assert i18n.say(m, "zh") == "2026年12月1日 ¥1,200,000 1,234.6"
    assert i18n.say(m, "en") == "Dec 1, 2026 CN¥1,200,000 1,234.6"
    assert str(m) == "2026-12-01 CNY 1,200,000 1,234.567"  # no locale: plain
    assert Message.from_json(m.to_json()) == m  # they cross Temporal as they are


def test_a_list_of_messages_is_joined_in_the_languages_way() -> None:
    parts = [Message("{text}", text="a"), Message("{text}", text="b")]
    m = Message("{text}", text=parts)
    assert i18n.say(m, "en") == "a; b"
    assert i18n.say(m, "zh") == "a；b"


def test_texts_in_every_language_come_from_the_catalogue() -> None:
    m = Message(
        "unknown language {language!r}; choose one of: {choices}", language="fr", choices="zh, en"
    )
    both = in_every_language(m)
    assert both == {
        "zh": i18n.say(m, "zh"),
        "en": "unknown language 'fr'; choose one of: zh, en",
    }
    assert both["zh"] != both["en"] and "'fr'" in both["zh"]


def test_a_notification_is_made_from_messages_or_from_texts_in_both_languages() -> None:
    title = Message(
        "unknown language {language!r}; choose one of: {choices}", language="fr", choices="zh, en"
    )
    request = CreateNotification(
        key="k",
        recipient_id="E1",
        kind="test",
        title=MessageIn.model_validate(title.to_json()),
        body={"en": "as it was", "zh": "原样"},  # a history from before messages
    )
    assert isinstance(request.title, MessageIn) and isinstance(request.body, dict)
    made_title, made_body = request.texts()
    # The message is stored as it is (said when read); the old texts as they were.
    assert made_title == title.to_json()
    assert stored_label(made_title) == in_every_language(title)
    assert made_body == {"en": "as it was", "zh": "原样"}
    assert stored_label(made_body) == made_body
    # Through Temporal's JSON and back, each keeps its shape.
    again = CreateNotification.model_validate_json(request.model_dump_json())
    assert again.texts() == (made_title, made_body)


# Modules whose bilingual texts are data: the seed policy documents, the ladder's role
# names, the languages' own names (autonyms).
DATA = {"aggregates/seed_policies.py", "aggregates/ladder.py", "careerflow/api/i18n.py"}
CJK = re.compile(r"[\u3400-\u9fff]")


def bilingual_texts(path: Path) -> Iterator[str]:
    """Texts written in the code once per language ({"en": ..., "zh": ...} literals with
    words in them) instead of once, as a catalogue template."""
    where = str(path.relative_to(ROOT))
    for node in ast.walk(ast.parse(path.read_text(), where)):
        if not isinstance(node, ast.Dict):
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and key.value == "zh") or value is None:
                continue
            written = ast.unparse(value)
            made = not isinstance(value, ast.Constant)  # built by code: never data
            if CJK.search(written) and (made or where not in DATA):
                yield f"{where}:{node.lineno}: {written[:60]}"


def test_no_text_is_written_once_per_language_in_the_code() -> None:
    found = [o for path in python_files() for o in bilingual_texts(path)]
    assert not found, (
        "texts a person reads are catalogue templates, said in each language by "
        "words.messages and words.catalogue (Message, in_every_language), not dictionaries in "
        "the code:\n" + "\n".join(found)
    )


def test_what_a_role_may_not_do_is_said_in_the_readers_language() -> None:
    rep = Principal(person_id="E1", role=AccessRole.employee)
    with pytest.raises(PermissionDeniedError) as refused:
        rep.require(AccessRole.integration, action=Message("ingest metrics"))
    assert str(refused.value) == (
        "employee E1 may not ingest metrics; this needs one of these roles: integration"
    )
    chinese = i18n.say(refused.value, "zh")
    assert "导入指标数据" in chinese and "ingest" not in chinese
