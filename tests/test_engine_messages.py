"""The engine's messages (errors, refusals, validator complaints) reach people in Chinese
and English: every one is a literal template with named placeholders given as keyword
arguments (so Babel extracts it and the reader's language can say it), workflows refuse
with `refuse(...)` rather than a bare ValueError, pydantic validators complain with
`Invalid(...)`, and the engine catalogue has a Chinese translation of every template with
the same placeholders, compiled and current."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo

from careerflow.api import i18n
from tests.catalogues import catalogue
from tests.catalogues import extracted as extract
from words.messages import KEYWORDS, Invalid, Message

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("words", "aggregates", "activities", "projections", "workflows", "careerflow")
PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "engine.po"
MO = PO.with_suffix(".mo")
HOW = (
    "run `.venv/bin/python -m careerflow.api.i18n extract update`, translate the new "
    "entries in careerflow/api/locale/zh_CN/LC_MESSAGES/engine.po, then "
    "`.venv/bin/python -m careerflow.api.i18n compile`"
)
# An argument that already is a Message (passed on, not written here).
PASSED_ON = {"message", "template", "said", "refusal"}
VALIDATORS = {"field_validator", "model_validator", "validator", "root_validator"}


def python_files() -> Iterator[Path]:
    for source in SOURCES:
        yield from sorted((ROOT / source).rglob("*.py"))


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def placeholders(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


def words(template: str) -> str:
    """A template without its placeholders."""
    return "".join(text for text, *_ in string.Formatter().parse(template))


def template_problems(call: ast.Call) -> list[str]:
    """What is wrong with one call of a keyword (DomainError(...), refuse(...), ...)."""
    if not call.args:
        return ["no message"]
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        problems = []
        if len(call.args) > 1:
            problems.append("values must be keyword arguments named as the placeholders")
        if any(k.arg is None for k in call.keywords):
            return problems  # **values: checked when it is said
        given = {k.arg for k in call.keywords if k.arg is not None}
        wanted = placeholders(first.value)
        if "" in wanted:
            problems.append("placeholders must be named ({name}, not {})")
        if wanted - given - {""}:
            problems.append(f"no value for {sorted(wanted - given - {''})}")
        if given - wanted:
            problems.append(f"values without a placeholder: {sorted(given - wanted)}")
        return problems
    if isinstance(first, ast.JoinedStr):
        return ["an f-string cannot be translated: write a template with {name} placeholders"]
    if isinstance(first, ast.Call) and called_name(first) in ("Message", "verbatim"):
        return []
    if isinstance(first, ast.Name) and first.id in PASSED_ON:
        return []
    if isinstance(first, ast.Attribute) and first.attr in PASSED_ON:
        return []
    return [f"the message must be a string literal, not {ast.unparse(first)}"]


def offences(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    where = path.relative_to(ROOT)
    in_workflows = where.parts[0] == "workflows"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and called_name(node) in KEYWORDS:
            for problem in template_problems(node):
                yield f"{where}:{node.lineno}: {called_name(node)}: {problem}"
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = {
                called_name(d) if isinstance(d, ast.Call) else getattr(d, "id", None)
                for d in node.decorator_list
            }
            is_validator = bool(decorators & VALIDATORS)
            for inner in ast.walk(node):
                if not (isinstance(inner, ast.Raise) and isinstance(inner.exc, ast.Call)):
                    continue
                raised = called_name(inner.exc)
                if raised == "ValueError" and is_validator:
                    yield f"{where}:{inner.lineno}: a validator raises Invalid(...), not ValueError"
                if raised in ("ValueError", "ApplicationError") and in_workflows:
                    yield (
                        f"{where}:{inner.lineno}: a workflow refuses with refuse(...) from "
                        f"workflows.refusals, not {raised}"
                    )


def test_every_message_is_a_translatable_template() -> None:
    found = [offence for path in python_files() for offence in offences(path)]
    assert not found, "messages that cannot be translated:\n" + "\n".join(found)


def test_the_lint_catches_what_it_should() -> None:
    bad = ast.parse(
        "def f(x):\n"
        "    raise DomainError(f'no {x}')\n"
        "def g(x):\n"
        "    raise DomainError('no {y}', x=x)\n"
        "def h(x):\n"
        "    raise NotFoundError('no ' + x)\n"
    )
    calls = [n for n in ast.walk(bad) if isinstance(n, ast.Call)]
    problems = [p for call in calls for p in template_problems(call)]
    assert any("f-string" in p for p in problems)
    assert any("no value for ['y']" in p for p in problems)
    assert any("values without a placeholder: ['x']" in p for p in problems)
    assert any("string literal" in p for p in problems)


def test_the_mapping_uses_the_keywords() -> None:
    with i18n.ENGINE_MAPPING.open() as config:
        _, options_map = parse_mapping_cfg(config)
    for pattern, options in options_map.items():
        assert set(options["keywords"]) == set(parse_keywords(KEYWORDS)), pattern


def extracted() -> dict[str, list[str]]:
    """The engine's templates, as `python -m careerflow.api.i18n extract` finds them."""
    return extract(i18n.ENGINE_MAPPING, ROOT, keywords={})


def test_the_extraction_finds_the_engine_messages() -> None:
    found = extracted()
    assert len(found) > 300, len(found)
    assert "a rejection needs a comment that tells the applicant why" in found


def test_every_engine_message_has_a_chinese_translation() -> None:
    found = extracted()
    zh = {m.id: (str(m.string or ""), m.fuzzy) for m in catalogue(PO) if m.id}
    missing = sorted(f"{m!r} ({', '.join(found[m])})" for m in found if m not in zh)
    empty = sorted(m for m in found if m in zh and not zh[m][0].strip())
    fuzzy = sorted(m for m in found if m in zh and zh[m][1])
    assert not missing, f"not in the engine catalogue: {missing}; {HOW}"
    assert not empty, f"no Chinese for: {empty}; {HOW}"
    assert not fuzzy, f"fuzzy (check and clear the flag): {fuzzy}; {HOW}"
    wrong = [
        f"{msgid!r} -> {text!r}"
        for msgid, (text, _) in zh.items()
        if isinstance(msgid, str) and msgid in found and placeholders(text) != placeholders(msgid)
    ]
    assert not wrong, f"the Chinese must keep the placeholders exactly: {wrong}"
    # Only a template with words needs different Chinese ("{field}: {problem}" is the same).
    english_only = [
        m for m in found if m in zh and zh[m][0] == m and re.search("[A-Za-z]", words(m))
    ]
    assert not english_only, f"left in English: {english_only}"


def test_the_compiled_catalogue_and_template_are_current() -> None:
    with MO.open("rb") as f:
        compiled = {m.id: m.string for m in read_mo(f) if m.id}
    po = {m.id: m.string for m in catalogue(PO) if m.id and not m.fuzzy}
    assert compiled == po, f"engine.mo is stale; {HOW}"
    pot = {m.id for m in catalogue(i18n.ENGINE_POT) if m.id}
    assert pot == set(extracted()), f"engine.pot is stale; {HOW}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refusal_is_said_in_the_readers_language(lang: str) -> None:
    from aggregates.base import DomainError

    error = DomainError("a rejection needs a comment that tells the applicant why")
    said = i18n.say(error, lang)
    assert str(error) == "a rejection needs a comment that tells the applicant why"
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", said), said
    else:
        assert said == str(error)


def test_messages_cross_a_boundary_as_json_and_keep_nested_messages() -> None:
    inner = [Message("line {line}: no rows", line=3), Message("line {line}: no rows", line=4)]
    outer = Message("{source}: {problems}", source="a.csv", problems=inner)
    again = Message.from_json(outer.to_json())
    assert again == outer
    assert str(again) == "a.csv: line 3: no rows; line 4: no rows"
    assert str(Invalid("bad {x}", x=1)) == "bad 1"


def test_errors_survive_pickling_with_their_message() -> None:
    import pickle

    from aggregates.base import DomainError, NotFoundError
    from careerflow.applications.files import IngestError, file_problem

    label = Message("labels need both languages, got {label}", label={"en": "x"})
    for error in (
        DomainError(label),
        NotFoundError("no {kind} {id!r}", kind="plan", id="p-1"),
        Invalid(label),
        IngestError.of("a.csv", [file_problem(3, "value", Message("not a number"))]),
    ):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert again.message == error.message and str(again) == str(error)
        assert again.__dict__.keys() == error.__dict__.keys()


def test_a_failure_says_its_message_or_its_text() -> None:
    carried = Message("{who} may not {what}", who="E1", what="decide")
    assert Message.from_failure([carried.to_json()], "ignored") == carried
    old = Message.from_failure([], "recorded before templates")
    assert old == Message.verbatim("recorded before templates")  # shown as it is
    assert i18n.say(old, "zh") == "recorded before templates"
    assert Message.from_failure([{"no": "template"}], "as is") == Message.verbatim("as is")
