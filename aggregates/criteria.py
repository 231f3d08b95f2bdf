"""One promotion criterion as evaluated: the result the report stores, the API shows and
the workflow passes on (returned applications). Apart from aggregates.evaluation (which
re-exports it) so that activity contracts need not import the whole evaluation."""

from __future__ import annotations

from pydantic import Field

from aggregates.document_types import Frozen, Label
from words.messages import Message


class CriterionResult(Frozen):
    """One criterion as evaluated; `message()` says it ("repurchase 55% ✗").

    display_value / threshold / of_target are language-neutral; when of_target is set the
    value reads as progress ("mentored 1 of 2"). suggestion is set only when unmet.
    """

    id: str
    type: str
    label: Label
    value: float | None
    display_value: str
    threshold: str
    of_target: str | None = None
    met: bool
    suggestion: Label | None = None
    detail: Label | None = None
    team_average: str | None = None
    options: list[CriterionResult] = Field(default_factory=list)

    def message(self, verbose: bool = False) -> Message:
        """The criterion as a catalogue message ("repurchase 55% ✗"; verbose: with what
        it needs and the team's average). Light: workflows pass it on to a notification."""
        mark = "✓" if self.met else "✗"
        if self.options:
            inner = self.options[-1].message(verbose)
            for option in reversed(self.options[:-1]):
                inner = Message("{first} | {rest}", first=option.message(verbose), rest=inner)
            return Message("{label} {mark} ({options})", label=self.label, mark=mark, options=inner)
        if self.value is None:
            text = Message("{label} no data", label=self.label)
        elif self.of_target is not None:
            text = Message(
                "{label} {value} of {target}",
                label=self.label,
                value=self.display_value,
                target=self.of_target,
            )
        else:
            text = Message("{label} {value}", label=self.label, value=self.display_value)
        if verbose:
            notes = [Message("needs {threshold}", threshold=self.threshold)]
            if self.team_average is not None:
                notes.insert(0, Message("team average {average}", average=self.team_average))
            text = Message("{text} ({notes})", text=text, notes=notes)
        return Message("{text} {mark}", text=text, mark=mark)
