"""One rating of a 360° round: a level per competency and an optional comment, and why
a rating cannot be taken. Pure, apart from the competency model it is checked against
(`aggregates.competency` re-exports both). A rating is stored as plain JSON inside the
round's events, never by topic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aggregates.document_types import Frozen
from words.messages import Message

if TYPE_CHECKING:
    from aggregates.competency import CompetencyModel


class RatingItem(Frozen):
    """One competency rated: a level on the scale and an optional comment."""

    level: int
    comment: str | None = None


def rating_problems(
    model: CompetencyModel, items: Mapping[str, RatingItem], comment_max: int | None = None
) -> list[Message]:
    """Why a rating cannot be taken (empty: it can): every competency, once, on the scale."""
    problems: list[Message] = []
    ids = model.ids()
    missing = [c for c in ids if c not in items]
    unknown = sorted(set(items) - set(ids))
    if missing:
        problems.append(
            Message("rate every competency; missing: {missing}", missing=", ".join(missing))
        )
    if unknown:
        problems.append(
            Message(
                "unknown competency: {unknown} (the model has {known})",
                unknown=", ".join(unknown),
                known=", ".join(ids),
            )
        )
    limit = model.comment_max_length if comment_max is None else comment_max
    for cid in ids:
        item = items.get(cid)
        if item is None:
            continue
        if not 1 <= item.level <= model.top:
            problems.append(
                Message(
                    "{competency}: level {level} is off the scale 1..{top}",
                    competency=cid,
                    level=item.level,
                    top=model.top,
                )
            )
        if item.comment is not None and len(item.comment) > limit:
            problems.append(
                Message(
                    "{competency}: the comment is longer than {limit} characters",
                    competency=cid,
                    limit=limit,
                )
            )
    return problems
