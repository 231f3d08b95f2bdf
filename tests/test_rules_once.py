"""Each rule once (issue 17, step 5): a refusal is decided in one place (the aggregate or a
pure guard in the domain) and said by every face, so its text (the msgid) is written in one
module. This scans the engine as docs/layers-plan.md §1.5 measured it: the first argument of
every call to Message, the DomainError family, refuse and Invalid (words.messages.KEYWORDS),
and fails when a msgid is written in more than one module.

ALLOWED lists the templates that are frames, not rules; a msgid of one or two lowercase
words (a table header, a state) is a word, not a rule. A new duplicate fails:
decide the rule once (a guard returning `Message | None` in aggregates/, a not-found
constructor in aggregates/not_found.py, or a shared parser in careerflow/validation.py) and
call it from every place. An entry that is no longer a duplicate fails too."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from words.messages import KEYWORDS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("words", "aggregates", "activities", "projections", "workflows", "careerflow")

# Not rules: a template that only frames other text, or a word said in several sentences.
WORDS = "a word or frame, not a rule"
ALLOWED: dict[str, str] = {
    "{text}": WORDS,
    "{field}: {problem}": WORDS,
    "Value error, {error}": WORDS + " (pydantic's prefix, said by validation and ingest)",
    "{label} {value} of {target}": WORDS + " (a progress line: plans and criteria)",
    "manager": WORDS + " (the 360° rater group and the access role)",
    "{first}, {rest}": WORDS + " (a list: criteria and roles)",
}


# A table header or a state ("met", "not met", "team") is a word, not a rule: a msgid of
# at most two lowercase words, without placeholders or punctuation.
WORD = re.compile(r"[a-z]+( [a-z]+)?")


def is_word(msgid: str) -> bool:
    return WORD.fullmatch(msgid) is not None


def modules() -> Iterable[Path]:
    for source in SOURCES:
        yield from sorted((ROOT / source).rglob("*.py"))


def called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def msgids(source: str) -> set[str]:
    """The templates one module writes: the literal first argument of each keyword call."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and called_name(node) in KEYWORDS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def written_in(files: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """msgid → the modules (of `files`: name, source) that write it, for those in two or more."""
    where: dict[str, list[str]] = {}
    for name, source in files:
        for msgid in msgids(source):
            where.setdefault(msgid, []).append(name)
    return {m: sorted(names) for m, names in where.items() if len(names) > 1}


def engine_duplicates() -> dict[str, list[str]]:
    return written_in((str(p.relative_to(ROOT)), p.read_text()) for p in modules())


def test_each_refusal_is_written_in_one_module() -> None:
    found = engine_duplicates()
    new = {m: where for m, where in found.items() if m not in ALLOWED and not is_word(m)}
    assert not new, (
        "msgids written in more than one module: decide the rule once (a pure guard in "
        "aggregates/ or one parser in careerflow/validation.py) and call it from each face:\n"
        + "\n".join(f"  {m!r}: {', '.join(where)}" for m, where in sorted(new.items()))
    )


def test_the_allowed_duplicates_are_still_duplicates() -> None:
    found = engine_duplicates()
    gone = sorted(m for m in ALLOWED if m not in found)
    assert not gone, f"no longer written twice: remove from ALLOWED: {gone}"


def test_a_new_duplicate_is_found() -> None:
    a = 'raise DomainError("the plan is closed")\nx = Message("{text}", text="t")\n'
    b = 'raise refuse("the plan is closed")\nMessage(f"not {a}")\n'
    c = 'Invalid("the plan is closed", x=1)\nNotFoundError("no {x}", x=1)\n'
    found = written_in([("aggregates/a.py", a), ("workflows/b.py", b), ("careerflow/c.py", c)])
    assert found == {"the plan is closed": ["aggregates/a.py", "careerflow/c.py", "workflows/b.py"]}


def test_only_short_lowercase_words_are_words() -> None:
    assert is_word("met") and is_word("not met") and is_word("team")
    for rule in ("the plan is closed", "no {x}", "Met", "plan closed;", "E1 left"):
        assert not is_word(rule), rule
