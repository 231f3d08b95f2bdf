"""The building blocks of every policy document and result: the frozen, strict base
model, bilingual labels and time zone names. Pure; small so that workflow code can use
them without loading the documents."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

from words.messages import Invalid

LANGS: tuple[str, ...] = ("en", "zh")


def _require_langs(label: dict[str, str]) -> dict[str, str]:
    missing = [lang for lang in LANGS if not label.get(lang, "").strip()]
    if missing:
        raise Invalid(
            "label needs non-empty {missing} text, got {label!r}",
            missing=" and ".join(missing),
            label=label,
        )
    return label


Label = Annotated[dict[str, str], AfterValidator(_require_langs)]
"""Bilingual text: {"en": ..., "zh": ...}; both keys are required and non-empty."""


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("unknown time zone {value!r} (use an IANA name)", value=value) from None
    return value


# An IANA time zone name, refused with a clear message when the machine does not know it.
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]


class Frozen(BaseModel):
    """Base for every document and result: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


Unit = Literal["percent", "count", "currency", "score5", "score10", "score100"]
"""How a metric's values read (and are shown)."""
Op = Literal[">=", ">", "<=", "<"]
"""A threshold's comparison."""
