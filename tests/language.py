"""The one-language check for pages: nothing English on a Chinese page, nothing Chinese
on an English one. Data without a language (person and customer names, comments, ids)
sits in an element marked translate="no" and is skipped, as are the language switch's
links (each in its own language), scripts and styles; `data` names further strings that
are data (names from a fixture's organisation)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]+")
# Tokens with a digit are ids, weeks, versions or figures (E00001, 2026-W48, v2, 5km).
WITH_DIGIT = re.compile(r"[\w.+-]*\d[\w.+-]*")
WORD = re.compile(r"[A-Za-z]{2,}")
# Latin words a Chinese page may show: abbreviations people use in Chinese as they are,
# ISO country codes, and the names of software (the `holidays` calendar package).
LATIN_IN_CHINESE = frozenset(
    {
        "KPI",
        "KPIs",
        "HR",
        "SLA",
        "careerflow",
        "Chart",
        "js",
        "CSV",
        "XLSX",
        "JSON",
        "JSONL",
        "HTML",
        "API",
        "ID",
        "PDF",
        "UTC",
        "GMT",
        "OK",
        "CST",
        "CN",
        "holidays",
        "GBK",
        "Excel",
        "CNY",
    }
)
# In the browser: the text a person reads, from the live page (the same skips).
VISIBLE_TEXT_JS = """() => {
  const out = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { out.push(child.textContent); continue; }
      if (child.nodeType !== Node.ELEMENT_NODE) continue;
      const tag = child.tagName.toLowerCase();
      if (tag === 'script' || tag === 'style') continue;
      if (child.getAttribute('translate') === 'no' || child.hasAttribute('lang')) continue;
      walk(child);
    }
  };
  walk(document.body);
  return out.join(' ');
}"""

_SKIP = {"script", "style", "template"}
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_SAID_ATTRS = ("title", "aria-label", "placeholder", "alt", "data-label")


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.texts: list[str] = []

    def _skipped(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        skip = (
            tag in _SKIP
            or found.get("translate") == "no"
            or ("lang" in found and tag != "html")
            or "hreflang" in found
        )
        if not self._skipped() and not skip:
            self.texts += [str(found[a]) for a in _SAID_ATTRS if found.get(a)]
        if tag not in _VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipped() and data.strip():
            self.texts.append(data)


def texts_of(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def other_language(html: str, lang: str, data: Iterable[str] = ()) -> list[str]:
    """The texts of the page with words of the other language, each as `word: text`
    (empty: the page is clean)."""
    found: list[str] = []
    names = sorted((d for d in data if d), key=len, reverse=True)
    for text in texts_of(html):
        for name in names:
            text = text.replace(name, " ")
        if lang == "en":
            bad = CJK.findall(text)
        else:
            words = WORD.findall(WITH_DIGIT.sub(" ", text))
            bad = [w for w in words if w not in LATIN_IN_CHINESE]
        if bad:
            found.append(f"{bad[0]}: {' '.join(text.split())[:80]}")
    return found


def readable_text(html: str) -> str:
    return " ".join(texts_of(html))


def foreign_words(text: str, lang: str) -> list[str]:
    """The words of the other language in a page's readable text (empty: one language)."""
    if lang == "en":
        return sorted(set(CJK.findall(text)))
    words = WORD.findall(WITH_DIGIT.sub(" ", text))
    return sorted({w for w in words if w not in LATIN_IN_CHINESE})
