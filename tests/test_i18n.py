"""The dashboards' catalogue is complete: every string marked in the templates and in the
page code (extracted with Babel, with the project's babel.cfg) has a Chinese translation
in careerflow/api/locale/zh_CN, with the same placeholders and markup; the committed .pot
and compiled .mo match the sources; and no template carries English text outside the
gettext calls."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from jinja2 import Environment

from careerflow.api import i18n
from careerflow.api.pages import TEMPLATE_SETS, TEMPLATES
from tests.catalogues import catalogue
from tests.catalogues import extracted as extract

API = Path(i18n.__file__).resolve().parent
PO = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
HOW = (
    "run `.venv/bin/python -m careerflow.api.i18n extract update`, translate the new "
    "entries in careerflow/api/locale/zh_CN/LC_MESSAGES/messages.po, then "
    "`.venv/bin/python -m careerflow.api.i18n compile`"
)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]|%%")
TAG = re.compile(r"</?[a-z]+[^>]*>")
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# Translations that are rightly the same as the English.
SAME_IN_CHINESE = {"HR"}


def extracted() -> dict[str, list[str]]:
    """The dashboards' msgids, as `pybabel extract -F babel.cfg` finds them."""
    return extract(i18n.MAPPING, API)


def translated(cat: Catalog) -> Iterator[tuple[str, str, bool]]:
    for message in cat:
        if message.id and isinstance(message.id, str):
            yield message.id, str(message.string or ""), message.fuzzy


def test_the_extraction_finds_the_marked_strings() -> None:
    found = extracted()
    assert len(found) > 200, len(found)
    # One from each kind of source: page code, the words it knows, a template.
    assert "Not allowed" in found and "manager review" in found and "Sign in" in found
    assert any(where.startswith("templates/") for where in found["Sign in"])


def test_every_marked_string_has_a_chinese_translation() -> None:
    found = extracted()
    zh = {msgid: (text, fuzzy) for msgid, text, fuzzy in translated(catalogue(PO))}
    missing = sorted(f"{m!r} ({', '.join(found[m])})" for m in found if m not in zh)
    empty = sorted(m for m in found if m in zh and not zh[m][0].strip())
    fuzzy = sorted(m for m in found if m in zh and zh[m][1])
    assert not missing, f"not in the zh_CN catalogue: {missing}; {HOW}"
    assert not empty, f"no Chinese for: {empty}; {HOW}"
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"


def test_the_translations_are_chinese_with_the_same_placeholders_and_markup() -> None:
    cat = catalogue(PO)
    problems: list[str] = []
    for message in cat:
        if not message.id:
            continue
        msgid, text = str(message.id), str(message.string)
        if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(text)):
            problems.append(f"placeholders differ: {msgid!r} → {text!r}")
        if sorted(TAG.findall(msgid)) != sorted(TAG.findall(text)):
            problems.append(f"markup differs: {msgid!r} → {text!r}")
        words = re.findall(r"[A-Za-z]{2,}", TAG.sub("", PLACEHOLDER.sub("", text)))
        if msgid not in SAME_IN_CHINESE and words and not CJK.search(text):
            problems.append(f"not Chinese: {msgid!r} → {text!r}")
        problems += [f"{msgid!r}: {error}" for error in message.check(cat)]
    assert not problems, problems


def test_the_template_and_the_compiled_catalogue_are_up_to_date() -> None:
    found = extracted()
    pot = {msgid for msgid, _text, _fuzzy in translated(catalogue(i18n.POT))}
    assert pot == set(found), (
        f"messages.pot is stale: new {sorted(set(found) - pot)}, gone {sorted(pot - set(found))}; "
        + HOW
    )
    with MO.open("rb") as f:
        compiled = {str(m.id): str(m.string) for m in read_mo(f) if m.id}
    source = {msgid: text for msgid, text, fuzzy in translated(catalogue(PO)) if not fuzzy}
    assert compiled == source, f"messages.mo does not match messages.po; {HOW}"


def test_the_pages_load_the_chinese_catalogue() -> None:
    zh = i18n.translations("zh")
    assert type(zh).__name__ == "GNUTranslations"
    assert zh.gettext("Sign in") == "登录"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"
    env = TEMPLATE_SETS["zh"].env
    assert env.globals["lang"] == "zh"
    assert env.from_string('{{ _("Approve") }}').render() == "批准"
    page = env.from_string('{{ _("Rank %(rank)s of %(size)s in the team", rank=1, size=4) }}')
    assert page.render() == "团队排名第 1，共 4 人"


# -- English left outside the gettext calls ----------------------------------------------
FACING_ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|alt|data-label)="([^"]*)"')
# The brand, the version prefix (v3) and the login page's body class.
NOT_WORDS = {"careerflow", "v", "login"}
LITERALS = {"cf_…"}  # a token's shape, the same in every language


def unmarked(env: Environment, source: str) -> list[str]:
    """Letters in a template's own text (outside tags, expressions and statements), and
    literal values of attributes people read."""
    skeleton: list[str] = []
    for _lineno, kind, value in env.lex(source):
        skeleton.append(value if kind == "data" else "\x00")
    text = "".join(skeleton)
    found = [
        value
        for value in FACING_ATTRIBUTES.findall(text)
        if "\x00" not in value and re.search(r"[A-Za-z]{2,}", value) and value not in LITERALS
    ]
    text = re.sub(r"<script\b[^>]*>.*?</script>", "\x00", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    for piece in text.split("\x00"):
        words = [w for w in re.findall(r"[A-Za-z_]+", piece) if w not in NOT_WORDS]
        if words:
            found.append(piece.strip())
    return found


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_no_template_has_english_outside_gettext(template: str) -> None:
    env = TEMPLATE_SETS["en"].env
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    assert not unmarked(env, source), f"{template}: mark these with _(…): {unmarked(env, source)}"
