"""One language per page: the text a person reads on a Chinese page has no English words,
on an English page no Chinese. Data without a language (names, ids, team names) sits in
`translate="no"` elements and the language switch in `[lang]` ones: both are skipped, as
are scripts and styles. A few words are the same in both languages (HR, CSV, XLSX, the
product's name, the chart library, the time zone's id)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
SAME_IN_BOTH = re.compile(
    r"\b(HR|CSV|XLSX|JSON|JSONL|HTML|KPI|careerflow|Chart\.js|Asia/Shanghai|UTC)\b"
    r"|\b[A-Z]{1,2}\d{1,5}\b|\b\d{4}-W\d{2}\b"
)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
# In the browser: the same text, read from the live page.
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


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: skipped?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        names = dict(attrs)
        skip = (
            tag in ("script", "style", "head")
            or names.get("translate") == "no"
            or ("lang" in names and tag != "html")
        )
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def readable_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def other_language(text: str, lang: str) -> list[str]:
    """The words of the other language in `text` (empty: one language only)."""
    if lang == "en":
        return sorted(set(CJK.findall(text)))
    return sorted(set(LATIN_WORD.findall(SAME_IN_BOTH.sub(" ", text))))
