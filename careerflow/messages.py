"""Moved below the domain (issue 17, step 1): Message and labels are `words.messages`, the
engine catalogue (`said_in`, `in_every_language`) is `words.catalogue`. Re-exported here
until the remaining importers move; new code imports from `words`."""

from __future__ import annotations

from words.messages import KEYWORDS as KEYWORDS
from words.messages import LANGUAGES as LANGUAGES
from words.messages import SEPARATORS as SEPARATORS
from words.messages import TYPED as TYPED
from words.messages import Formatter as Formatter
from words.messages import Gettext as Gettext
from words.messages import Invalid as Invalid
from words.messages import Label as Label
from words.messages import Message as Message
from words.messages import is_label as is_label


def said_in(message: Message, lang: str) -> str:
    """words.catalogue.said_in, imported when a text is made (the catalogue loads Babel)."""
    from words import catalogue

    return catalogue.said_in(message, lang)


def in_every_language(message: Message) -> Label:
    """words.catalogue.in_every_language, imported when a text is made (Babel, as above)."""
    from words import catalogue

    return catalogue.in_every_language(message)
