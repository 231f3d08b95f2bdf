"""A page's text in one language only: what a person reads (script, `translate="no"`
and `[lang]` elements dropped: data, ids and the language switch's autonyms), with no
Chinese on an English page and no English words on a Chinese one (a few names allowed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Names and formats that are the same in Chinese.
ALLOWED = {"careerflow", "Chart", "js", "HR", "KPI", "CSV", "XLSX", "JSON", "JSONL", "HTML"}
ISO_WEEK = re.compile(r"\b\d{4}-W\d{2}\b")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []  # the tags of skipped elements still open
        self.depth = 0
        self.parts: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            if not self.skipping:
                self.attributes.extend(v or "" for k, v in attrs if k in ("placeholder", "alt"))
            return
        found = dict(attrs)
        if self.skipping:
            self.skipping.append(tag)
            return
        skipped = tag in ("script", "style") or found.get("translate") == "no" or "lang" in found
        if skipped and tag != "html":
            self.skipping.append(tag)
            return
        self.attributes.extend(
            v or "" for k, v in attrs if k in ("aria-label", "title", "data-label")
        )

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.skipping:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


FOOTER = re.compile(r"<footer>.*?</footer>", re.S)


def readable(html: str) -> str:
    """The page's words (the footer's time-zone id, e.g. Asia/Shanghai, left out: data)."""
    reader = _Reader()
    html = FOOTER.sub("", html)
    reader.feed(html)
    return " ".join(reader.parts + reader.attributes)


def other_language(html: str, lang: str) -> list[str]:
    """The words of the other language found on a page in `lang` (none: fine)."""
    text = ISO_WEEK.sub(" ", readable(html))
    if lang == "en":
        return CJK.findall(text)
    return [w for w in LATIN_WORD.findall(text) if w not in ALLOWED]
