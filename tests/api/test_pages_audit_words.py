"""The audit pages say the engine's own names in the page's language (issue 18): every
field of every aggregate's state that time travel shows (and every key of the records
nested in those fields), every event store a verification lists and every read model a
projection check compares has a word in both languages; only identifiers stay as code."""

from __future__ import annotations

import ast
import importlib
import inspect
import typing
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel

from careerflow.api import audit_words, i18n
from careerflow.api.audit_words import (
    FIELDS,
    NESTED_FIELDS,
    READ_MODELS,
    STORES,
    field_word,
    read_model_word,
    store_word,
    worded,
)
from projections.schema import READ_MODEL_TABLES
from tests.language import foreign_words

ROOT = Path(__file__).resolve().parent.parent.parent


def aggregate_fields() -> set[str]:
    """The public attributes the aggregates set on themselves (what `vars` shows)."""
    found: set[str] = set()
    for path in sorted((ROOT / "aggregates").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if not any("Aggregate" in ast.unparse(b) for b in cls.bases):
                continue
            for node in ast.walk(cls):
                targets = (
                    node.targets
                    if isinstance(node, ast.Assign)
                    else [node.target]
                    if isinstance(node, ast.AnnAssign)
                    else []
                )
                for t in targets:
                    if (
                        isinstance(t, ast.Attribute)
                        and isinstance(t.value, ast.Name)
                        and t.value.id == "self"
                        and not t.attr.startswith("_")
                    ):
                        found.add(t.attr)
    return found


def _models(annotation: typing.Any, found: set[type[BaseModel]]) -> None:
    """The pydantic models an annotation holds, and the models their fields hold."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            for field in annotation.model_fields.values():
                _models(field.annotation, found)
        return
    for inner in typing.get_args(annotation):
        _models(inner, found)


def nested_keys() -> dict[str, set[str]]:
    """By aggregate: the keys of the records its state holds (the fields of the pydantic
    models its constructor takes and its annotated attributes hold, and theirs in turn),
    which time travel shows as nested values."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "aggregates").glob("*.py")):
        module = importlib.import_module(f"aggregates.{path.stem}")
        names = {**vars(typing), "date": date, "datetime": datetime, **vars(module)}
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if not any("Aggregate" in ast.unparse(b) for b in cls.bases):
                continue
            models: set[type[BaseModel]] = set()
            init = getattr(module, cls.name).__init__
            for hint in typing.get_type_hints(init, names).values():
                _models(hint, models)
            for node in ast.walk(cls):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
                    _models(eval(ast.unparse(node.annotation), names), models)
            found[cls.name] = {key for m in models for key in m.model_fields}
    return found


def store_names() -> set[str]:
    """The `name` of every event-sourced application (its events table's prefix)."""
    found: set[str] = set()
    for path in [
        *sorted((ROOT / "careerflow" / "applications").glob("*.py")),
        ROOT / "careerflow" / "apps.py",
    ]:
        tree = ast.parse(path.read_text(), str(path))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for node in cls.body:
                if (
                    isinstance(node, ast.Assign)
                    and [ast.unparse(t) for t in node.targets] == ["name"]
                    and isinstance(node.value, ast.Constant)
                ):
                    found.add(str(node.value.value))
    return found


def test_the_walks_find_the_fields_and_stores() -> None:
    assert {"employee_id", "stage", "plan_source", "deadline"} <= aggregate_fields()
    assert {"people", "cycles", "promotions", "audit"} <= store_names()


def test_every_state_field_has_a_word() -> None:
    missing = sorted(aggregate_fields() - set(FIELDS))
    assert not missing, f"state fields without a word in audit_words.FIELDS: {missing}"


def test_every_key_nested_in_a_state_has_a_word() -> None:
    keys = nested_keys()
    assert {"metric", "source", "batch_id"} <= keys["MetricLedger"]
    assert {"due_at", "team_label"} <= keys["SupportRequest"]
    missing = {
        kind: sorted(k for k in found if field_word(k, i18n.gettext_for("en")) is None)
        for kind, found in keys.items()
    }
    missing = {kind: names for kind, names in missing.items() if names}
    assert not missing, f"nested keys without a word in audit_words.NESTED_FIELDS: {missing}"


def test_every_read_model_has_a_word() -> None:
    _ = i18n.gettext_for("zh")
    missing = sorted(t for t in READ_MODEL_TABLES if read_model_word(t, _) is None)
    assert not missing, f"read models without a word in audit_words.READ_MODELS: {missing}"
    assert read_model_word("no_such_table", _) is None
    assert len(READ_MODELS) == len(READ_MODEL_TABLES)


def test_a_nested_value_is_worded_by_its_keys() -> None:
    _ = i18n.gettext_for("zh")
    entry = {"2026-10|sales|": {"measurement": {"metric": "sales", "source": "crm"}}}
    assert worded(entry, _) == {"2026-10|sales|": {"度量值": {"指标": "sales", "来源": "crm"}}}
    assert worded([{"no_such_key": 1}], _) == [{"no_such_key": 1}]


def test_every_store_has_a_word() -> None:
    missing = sorted(store_names() - set(STORES))
    assert not missing, f"event stores without a word in audit_words.STORES: {missing}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_words_are_in_the_pages_language(lang: str) -> None:
    _ = i18n.gettext_for(lang)
    bad = []
    for name in sorted(FIELDS):
        said = field_word(name, _) or ""
        if not said or foreign_words(said, lang):
            bad.append(f"field {name}: {said!r}")
    for name in sorted(STORES):
        said = store_word(name, _) or ""
        if not said or foreign_words(said, lang):
            bad.append(f"store {name}: {said!r}")
    # What the CLI says too: workflow types, verification findings, projection differences,
    # the read models and the keys nested in a state.
    tables = (audit_words.WORKFLOWS, audit_words.PROBLEMS, audit_words.DIFFERENCES)
    for table in (*tables, NESTED_FIELDS, READ_MODELS):
        for name, word in sorted(table.items()):
            if foreign_words(_(word), lang):
                bad.append(f"{name}: {_(word)!r}")
    assert not bad, "\n".join(bad)


def test_an_unknown_name_is_shown_as_code() -> None:
    _ = i18n.gettext_for("zh")
    assert field_word("no_such_field", _) is None
    assert store_word("no_such_store", _) is None
    assert field_word("plan_source", _) == "计划来源"
    assert store_word("people", _) == "人员与组织"


def test_every_workflow_type_has_a_word() -> None:
    """A replay counts the histories by workflow type (each @workflow.defn's name): the
    CLI says each by its word."""
    from temporalio.workflow import _Definition

    from careerflow.api.audit_words import WORKFLOWS
    from worker import WORKFLOWS as REGISTERED

    names = {_Definition.must_from_class(w).name for w in REGISTERED}
    assert {"PromotionApplication", "WeeklyCycle"} <= names
    missing = sorted(n for n in names if n not in WORKFLOWS)
    assert not missing, f"workflow types without a word in audit_words.WORKFLOWS: {missing}"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_stored_text_in_a_state_is_said_in_the_faces_language(lang: str) -> None:
    """A notification's title (a Message's JSON, typed text kept apart) or a text stored
    said in each language is shown in the reader's language, not as its template or keys;
    other nested values keep their keys' words."""
    from words.messages import Message

    body = Message(
        "{subject}: {answer} · confirm it resolved your request, "
        "or reopen it with what is missing.",
        subject=Message("Your support request is answered"),
        answer=Message.quote("客服 Li"),
    ).to_json()
    stored = {"body": body, "label": {"en": "Sales Supervisor", "zh": "销售主管"}}
    shown = audit_words.worded(stored, i18n.gettext_for(lang), lang)
    said = list(shown.values())
    assert all(isinstance(s, str) for s in said), shown
    assert "客服 Li" in said[0] and "{answer}" not in said[0]
    assert said[1] == {"en": "Sales Supervisor", "zh": "销售主管"}[lang]
    text = " ".join(said).replace("客服 Li", "")
    assert foreign_words(text, lang) == [], text
